"""an index on pain_points.source_url: a chat message is logged once, whoever reacts to it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pain_points_source_url", "pain_points", ["source_url"])


def downgrade() -> None:
    op.drop_index("ix_pain_points_source_url", table_name="pain_points")
