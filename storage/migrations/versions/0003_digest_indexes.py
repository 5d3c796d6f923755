"""indexes for the digest's week windows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {"ix_pain_points_created": "created_at", "ix_pain_points_acknowledged": "acknowledged_at",
           "ix_pain_points_resolved": "resolved_at", "ix_pain_points_closed": "closed_at"}


def upgrade() -> None:
    for name, column in INDEXES.items():
        op.create_index(name, "pain_points", [column])


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="pain_points")
