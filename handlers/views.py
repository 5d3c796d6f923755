"""View-models: the plain data every surface's templates render a pain point from."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row

from handlers import actions, pause
from handlers.base import Context
from handlers.clock import humanise
from handlers.overdue import Clocked, is_overdue, running
from storage import pain_points, people
from storage.models import Event, PainPoint

EVENTS = {  # what each history event is called where people read it
    "create": "logged", "acknowledge": "acknowledged", "reassign": "reassigned", "snooze": "snoozed",
    "resolve": "resolved", "decline": "declined", "reopen": "reopened", "confirm": "fix confirmed",
    "comment": "comment", "me_too": "\"me too\"", "duplicate": "marked a duplicate",
    "restrict": "restricted", "unrestrict": "made visible to everyone", "wait": "paused the clock, waiting",
    "resume": "ended the wait", "told": "told the customer", "notneeded": "no word needed for the customer",
}
STATUS = {"open": "open, awaiting acknowledgement", "acknowledged": "acknowledged", "resolved": "resolved",
          "declined": "declined", "duplicate": "a duplicate"}


def event_words(action: str | None) -> str | None:
    """An event as people read it: "confirm" is "confirmed the fix"; an action added later reads as its name."""
    return None if action is None else EVENTS.get(action, action.replace("_", " "))


def due_at(item: PainPoint, now: datetime) -> dict[str, Any]:
    """When the running clock is due, for templates to show in the reader's zone: within the coming week a
    weekday and time is enough ("Tue 14:00")."""
    clock = running(item)
    if clock is None:
        return {"due_at": None, "due_soon": False}
    return {"due_at": clock[1].isoformat(), "due_soon": abs(clock[1] - now) < timedelta(days=6)}


def clock_view(item: PainPoint | Row[Any], now: datetime) -> dict[str, Any]:
    """What a view says of an item's clock: when it is due, unless a wait pauses it (then on whom it waits, in
    words: the due time moves when the wait ends), and until when a snooze silences its reminders."""
    return {"due": None if item.waiting_on else due_text(item, now),
            "waiting_on": pause.on_words(item.waiting_on) if item.waiting_on else None,
            "snoozed_until": item.snoozed_until.isoformat() if item.snoozed_until and item.snoozed_until > now
            else None}


def due_text(item: Clocked, now: datetime) -> str | None:
    """'ack due in 4h', 'resolve overdue 2d', or None when nothing is due."""
    clock = running(item)
    if clock is None:
        return None
    kind, due = clock
    if due < now:
        return f"{kind} overdue {humanise(now - due)}"
    return f"{kind} due in {humanise(due - now)}"


async def item_view(ctx: Context, item: PainPoint, *, affected: int | None = None, buttons: bool = True,
                    names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`buttons`: with the actions a card offers (a web page acts in chat, and leaves them out); `names`: the
    people's names, when read already."""
    now = ctx.clock.now()
    if names is None:
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
        "status_text": STATUS[item.status] + (f" of {duplicate_of}" if duplicate_of else ""),
        "department": item.department.name,
        "department_key": item.department.key,
        "owner": item.owner,
        "owner_name": names.get(item.owner) if item.owner else None,
        "reporter": item.reporter,
        "reporter_name": names[item.reporter],
        **clock_view(item, now),
        **due_at(item, now),
        **pause.view(item, now),
        "overdue": is_overdue(item, now),
        "affected": affected,
        "resolution_note": item.resolution_note,
        "root_cause": item.root_cause,
        "cause_category": item.cause_category,
        "decline_reason": item.decline_reason,
        "duplicate_of": duplicate_of,
        "restricted": item.restricted,
        "created_at": item.created_at.isoformat(),
        # what its department's people can do now, and what the people who raised it can
        "actions": actions.buttons(item.ref, item.status, causes=tuple(ctx.org.root_causes),
                                   waiting=bool(item.waiting_on)) if buttons else [],
        "asks": actions.buttons(item.ref, item.status, "raisers") if buttons else [],
    }


async def list_view(ctx: Context, items: list[PainPoint]) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    names = await people.names(session=ctx.session, whos=[i.owner for i in items])
    return [{"ref": i.ref, "summary": i.summary, "department": i.department.name, "severity": i.severity,
             "status": i.status, "owner_name": names.get(i.owner) if i.owner else None,
             **clock_view(i, now), **due_at(i, now), "overdue": is_overdue(i, now)} for i in items]


async def history_view(ctx: Context, events: list[Event], names: Mapping[str, str] | None = None
                       ) -> list[dict[str, Any]]:
    if names is None:
        names = await people.names(session=ctx.session, whos=[e.actor for e in events])
    return [{"action": said(e), "actor_name": names[e.actor], "at": e.at.isoformat(),
             "until": (e.data or {}).get("until") if e.action in ("snooze", "wait") else None,
             "note": None if e.action == "snooze" else e.note} for e in events]


def said(event: Event) -> str | None:
    """An event's words, with what it carries that a reader needs: a rating's figure, what a wait is on."""
    data = event.data or {}
    if event.action == "rate":
        return f"rated the fix {data.get('rating')} of 5"
    if event.action == "wait":
        return f"paused the clock, waiting on {'the customer' if data.get('on') == 'customer' else data.get('on')}"
    if event.action in ("told", "notneeded") and data.get("customer"):
        return f"{event_words(event.action)} ({data['customer']})"
    return event_words(event.action)
