"""Snoozes as stretches of time (from, until), so that a past moment knows which items were snoozed then: a
complete week's digest and the scorecards' weekly trend no longer count overdue an item quiet at the week's end
(`overdue` leaves it alone while it is). Filled from the history: each snooze lasts until the time it asked for,
or until the item's next snooze, reassignment or closing, whichever came first.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25
"""
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ENDS = ("snooze", "reassign", "resolve", "decline", "duplicate")  # what ends a snooze still running


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def upgrade() -> None:
    snoozes = op.create_table(
        "snoozes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pain_point_id", sa.Integer, sa.ForeignKey("pain_points.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_snoozes_pain_point_id", "snoozes", ["pain_point_id"])
    op.create_index("ix_snoozes_until", "snoozes", ["until"])
    events = sa.table("pain_point_events", sa.column("id", sa.Integer), sa.column("pain_point_id", sa.Integer),
                      sa.column("action", sa.String), sa.column("at", sa.DateTime(timezone=True)),
                      sa.column("data", sa.JSON))
    rows = op.get_bind().execute(sa.select(events.c.pain_point_id, events.c.action, events.c.at, events.c.data)
                                 .where(events.c.action.in_(ENDS)).order_by(events.c.pain_point_id, events.c.id))
    stretches: list[dict[str, Any]] = []
    running: dict[str, Any] | None = None
    for item, action, at, data in rows:
        at = utc(at)
        if running is not None and running["pain_point_id"] == item and running["until"] > at:
            running["until"] = at  # ended sooner than asked
        running = None
        until = (data or {}).get("until") if action == "snooze" else None
        if until:
            running = {"pain_point_id": item, "started_at": at, "until": utc(datetime.fromisoformat(str(until)))}
            stretches.append(running)
    if stretches:
        op.bulk_insert(snoozes, stretches)


def downgrade() -> None:
    op.drop_index("ix_snoozes_until", table_name="snoozes")
    op.drop_index("ix_snoozes_pain_point_id", table_name="snoozes")
    op.drop_table("snoozes")
