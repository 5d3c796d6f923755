"""pain_points (status, resolve_due_at): the most overdue acknowledged items, read in index order

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pain_points_status_resolve_due", "pain_points", ["status", "resolve_due_at"])


def downgrade() -> None:
    op.drop_index("ix_pain_points_status_resolve_due", table_name="pain_points")
