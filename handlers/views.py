"""View-models: the plain data every surface's templates render a pain point from."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers import actions
from handlers.base import Context
from handlers.clock import humanise
from handlers.overdue import is_overdue, running
from storage import pain_points, people
from storage.models import Event, PainPoint

STATUS = {"open": "open, awaiting acknowledgement", "acknowledged": "acknowledged", "resolved": "resolved",
          "declined": "declined", "duplicate": "duplicate"}


def due_text(item: PainPoint, now: datetime) -> str | None:
    """'ack due in 4h', 'resolve overdue 2d', or None when nothing is due."""
    clock = running(item)
    if clock is None:
        return None
    kind, due = clock
    if due < now:
        return f"{kind} overdue {humanise(now - due)}"
    return f"{kind} due in {humanise(due - now)}"


async def item_view(ctx: Context, item: PainPoint, *, affected: int | None = None) -> dict[str, Any]:
    now = ctx.clock.now()
    names = await people.names(session=ctx.session, whos=[item.reporter, item.owner])
    if affected is None:
        affected = len(await pain_points.affected(session=ctx.session, item=item))
    duplicate_of = f"CX-{item.duplicate_of_id}" if item.duplicate_of_id else None
    return {
        "ref": item.ref,
        "summary": item.summary,
        "details": item.details,
        "stage": item.stage,
        "severity": item.severity,
        "customer_ref": item.customer_ref,
        "source_url": item.source_url,
        "status": item.status,
        "status_text": STATUS[item.status],
        "department": item.department.name,
        "department_key": item.department.key,
        "owner": item.owner,
        "owner_name": names.get(item.owner) if item.owner else None,
        "reporter": item.reporter,
        "reporter_name": names[item.reporter],
        "due": due_text(item, now),
        "overdue": is_overdue(item, now),
        "snoozed_until": item.snoozed_until.isoformat() if item.snoozed_until and item.snoozed_until > now else None,
        "affected": affected,
        "resolution_note": item.resolution_note,
        "root_cause": item.root_cause,
        "decline_reason": item.decline_reason,
        "duplicate_of": duplicate_of,
        "created_at": item.created_at.isoformat(),
        "actions": actions.buttons(item.ref, item.status),  # what its department's people can do now
        "asks": actions.buttons(item.ref, item.status, "raisers"),  # what the people who raised it can
    }


async def list_view(ctx: Context, items: list[PainPoint]) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    names = await people.names(session=ctx.session, whos=[i.owner for i in items])
    return [{"ref": i.ref, "summary": i.summary, "department": i.department.name, "severity": i.severity,
             "status": i.status, "owner_name": names.get(i.owner) if i.owner else None,
             "due": due_text(i, now), "overdue": is_overdue(i, now)} for i in items]


async def history_view(ctx: Context, events: list[Event]) -> list[dict[str, Any]]:
    names = await people.names(session=ctx.session, whos=[e.actor for e in events])
    return [{"action": e.action, "actor_name": names[e.actor], "at": e.at.isoformat(), "note": e.note}
            for e in events]
