"""The dashboard: server_secrets (its signing key, shared by replicas), sign_ins (one-use sign-in links) and
pain_points.cause_category (the root cause a resolver picked from the organisation's list), and an index on
pain_points.duplicate_of_id

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("server_secrets", sa.Column("name", sa.String(64), primary_key=True),
                    sa.Column("value", sa.String(200), nullable=False))
    op.create_table("sign_ins", sa.Column("nonce", sa.String(64), primary_key=True),
                    sa.Column("identity", sa.String(200), nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
                    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
                    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("pain_points", sa.Column("cause_category", sa.String(64), nullable=True))
    # "has it duplicates?" is asked with every item read (pain_points.get): without it, a pass over the ledger
    op.create_index("ix_pain_points_duplicate_of_id", "pain_points", ["duplicate_of_id"])


def downgrade() -> None:
    op.drop_index("ix_pain_points_duplicate_of_id", table_name="pain_points")
    with op.batch_alter_table("pain_points") as batch:
        batch.drop_column("cause_category")
    op.drop_table("sign_ins")
    op.drop_table("server_secrets")
