"""follow_ups: the customers each item's raisers owe word of what was done, and whether they got it

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pain_point_id", sa.Integer, sa.ForeignKey("pain_points.id"), nullable=False),
        sa.Column("person", sa.String(320), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("pain_point_id", "person"),
    )
    op.create_index("ix_follow_ups_pain_point_id", "follow_ups", ["pain_point_id"])
    op.create_index("ix_follow_ups_person", "follow_ups", ["person"])
    op.create_index("ix_follow_ups_due", "follow_ups", ["status", "remind_at"])


def downgrade() -> None:
    op.drop_table("follow_ups")
