"""pain_points: a partial index on the items waiting (the digest counts them, the sweep ends their waits), so
neither passes over every live item; follow_ups.opened_at, so the digest's "customers told" reads the week's

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

WAITING = sa.text("waiting_on IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_pain_points_waiting", "pain_points", ["waiting_on", "waiting_until"],
                    sqlite_where=WAITING, postgresql_where=WAITING)
    op.create_index("ix_follow_ups_opened_at", "follow_ups", ["opened_at"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_opened_at", table_name="follow_ups")
    op.drop_index("ix_pain_points_waiting", table_name="pain_points")
