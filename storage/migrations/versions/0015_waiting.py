"""pain_points waiting on a customer or another team: their SLA clock paused, and the time they waited

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pain_points") as batch:
        batch.add_column(sa.Column("waiting_on", sa.String(200), nullable=True))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_note", sa.Text, nullable=True))
        batch.add_column(sa.Column("waited_seconds", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pain_points") as batch:
        for column in ("waited_seconds", "waiting_note", "waiting_until", "waiting_since", "waiting_on"):
            batch.drop_column(column)
