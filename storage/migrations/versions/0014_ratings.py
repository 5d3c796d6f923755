"""ratings: how well each fix worked (1-5), one per person per resolution

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pain_point_id", sa.Integer, sa.ForeignKey("pain_points.id"), nullable=False),
        sa.Column("person", sa.String(320), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("pain_point_id", "person", "resolved_at"),
    )
    op.create_index("ix_ratings_pain_point_id", "ratings", ["pain_point_id"])
    op.create_index("ix_ratings_at", "ratings", ["at"])


def downgrade() -> None:
    op.drop_table("ratings")
