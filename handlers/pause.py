"""The pause of a waiting item's SLA clock (handlers.waiting): how a wait ends, and how views show it."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.base import Context
from handlers.clock import after_working, humanise, working_between
from storage import pain_points
from storage.models import PainPoint, Person

ENDS_WAIT = ("acknowledge", "reassign", "resolve", "decline", "duplicate")  # acting on it ends a wait


def on_words(on: str) -> str:
    return "the customer" if on == "customer" else on


async def end(ctx: Context, item: PainPoint, now: datetime, *, shift: bool, by: Person | None = None
              ) -> timedelta:
    """End the item's wait: its due times move on by the working time it waited (`shift`; a reassignment sets
    fresh ones instead), which is added to its total. The working time waited."""
    assert item.waiting_since is not None
    hours, zone = ctx.org.department_hours(item.department.key), ctx.org.zone
    waited = working_between(item.waiting_since, now, hours, zone)
    if shift:
        item.ack_due_at = after_working(item.ack_due_at, waited, hours, zone)
        item.resolve_due_at = after_working(item.resolve_due_at, waited, hours, zone)
    item.waited_seconds = (item.waited_seconds or 0) + int(waited.total_seconds())
    on = item.waiting_on
    item.waiting_on, item.waiting_since, item.waiting_until, item.waiting_note = None, None, None, None
    actor = (by.identity or "") if by else "system:scheduler"
    await pain_points.record(session=ctx.session, item=item, action="resume", actor=actor, at=now, on=on,
                             waited=int(waited.total_seconds()))
    return waited


async def ended_by_acting(ctx: Context, item: PainPoint, action_id: str, who: Person) -> None:
    """Someone acts on a waiting item (acknowledges, resolves, ...): the wait is over."""
    if item.waiting_on and action_id in ENDS_WAIT:
        await end(ctx, item, ctx.clock.now(), shift=action_id != "reassign", by=who)


def view(item: PainPoint, now: datetime) -> dict[str, Any]:
    """What a view shows of a wait, and of the time waited so far."""
    waited = timedelta(seconds=item.waited_seconds or 0)
    if not item.waiting_on:
        return {"waiting": None, "waited": humanise(waited) if waited else None}
    return {"waiting": {"on": on_words(item.waiting_on), "since": item.waiting_since.isoformat()
                        if item.waiting_since else None,
                        "until": item.waiting_until.isoformat() if item.waiting_until else None,
                        "note": item.waiting_note},
            "waited": humanise(waited) if waited else None}
