"""the ledger

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lead', sa.String(length=320), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('slack_channel', sa.String(length=64), nullable=True),
    sa.Column('teams_channel', sa.String(length=200), nullable=True),
    sa.Column('triage', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('inbound_deliveries',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identity')
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_email'), ['email'], unique=False)

    op.create_table('department_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_id', 'person', 'role')
    )
    with op.batch_alter_table('department_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_members_person'), ['person'], unique=False)

    op.create_table('pain_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('customer_ref', sa.String(length=200), nullable=True),
    sa.Column('source_url', sa.String(length=2000), nullable=True),
    sa.Column('reporter', sa.String(length=320), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=320), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolve_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['pain_points.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pain_points', schema=None) as batch_op:
        batch_op.create_index('ix_pain_points_department_created', ['department_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pain_points_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_pain_points_reporter'), ['reporter'], unique=False)
        batch_op.create_index('ix_pain_points_status_ack_due', ['status', 'ack_due_at'], unique=False)

    op.create_table('affected',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pain_point_id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(length=320), nullable=False),
    sa.Column('customer_ref', sa.String(length=200), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pain_point_id'], ['pain_points.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pain_point_id', 'person')
    )
    with op.batch_alter_table('affected', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affected_pain_point_id'), ['pain_point_id'], unique=False)

    op.create_table('pain_point_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pain_point_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pain_point_id'], ['pain_points.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pain_point_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pain_point_events_pain_point_id'), ['pain_point_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pain_point_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pain_point_events_pain_point_id'))

    op.drop_table('pain_point_events')
    with op.batch_alter_table('affected', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affected_pain_point_id'))

    op.drop_table('affected')
    with op.batch_alter_table('pain_points', schema=None) as batch_op:
        batch_op.drop_index('ix_pain_points_status_ack_due')
        batch_op.drop_index(batch_op.f('ix_pain_points_reporter'))
        batch_op.drop_index(batch_op.f('ix_pain_points_owner'))
        batch_op.drop_index('ix_pain_points_department_created')

    op.drop_table('pain_points')
    with op.batch_alter_table('department_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_members_person'))

    op.drop_table('department_members')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_email'))

    op.drop_table('people')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    op.drop_table('inbound_deliveries')
    op.drop_table('departments')
