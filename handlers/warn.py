"""Before the breach: an item's owner is told once, inside their working hours, when a share of its SLA has run
(`[nudges] warn_at`, 80% by default), so it can be done in time rather than chased after. The warning is claimed
like a nudge (slot 0 of the clock's cycle), so replicas sweeping together send it once."""
from __future__ import annotations

from datetime import datetime, timedelta

from handlers import notify, overdue
from handlers.base import Context, Notice
from handlers.clock import hours_of, humanise, is_working_time, working_between, zone_of
from handlers.org import Org, WorkingHours
from handlers.views import item_view
from storage import nudges, pain_points, people
from storage.models import PainPoint

AHEAD = timedelta(days=21)  # the furthest due time a warning could concern (any SLA's last fifth, with weekends)


def working(length: timedelta, hours: WorkingHours) -> timedelta:
    """An SLA's length in working hours: whole days ("3d") are working days."""
    days, rest = divmod(length, timedelta(days=1))
    return days * hours.length + rest


def left(org: Org, item: PainPoint, now: datetime) -> tuple[str, datetime, timedelta, timedelta] | None:
    """(clock, due, working time left, the SLA's working length) of the clock running on the item."""
    clock = overdue.running(item)
    if clock is None:
        return None
    kind, due = clock
    hours = org.department_hours(item.department.key)
    sla = org.sla_for(item.severity)
    length = working(sla.acknowledge if kind == "ack" else sla.resolve, hours)
    return kind, due, working_between(now, due, hours, org.zone), length


async def sweep(ctx: Context, now: datetime) -> list[Notice]:
    share = ctx.org.nudges.warn_at
    if not share:
        return []
    due: list[tuple[PainPoint, str, datetime, timedelta, str]] = []
    for item in await pain_points.due_soon(session=ctx.session, now=now, until=now + AHEAD):
        found = left(ctx.org, item, now)
        if found is None:
            continue
        kind, at, remaining, length = found
        if remaining > length * (1 - share):
            continue
        owner = item.owner or next(iter(item.department.named("owner") or item.department.named("rep")), None)
        if owner is None:
            continue
        person = await people.get(session=ctx.session, who=owner)
        if not is_working_time(now, hours_of(ctx.org, owner, person), zone_of(ctx.org, person)):
            continue  # inside their hours: the next sweep in them tells them, if there is time left
        due.append((item, kind, at, remaining, owner))
    won = await nudges.claim(session=ctx.session, rows=[
        {"pain_point_id": item.id, "kind": kind, "due_at": at, "slot": 0, "level": 0, "owner": owner, "at": now}
        for item, kind, at, _, owner in due])
    notices: list[Notice] = []
    for item, kind, _, remaining, owner in due:
        if (item.id, 0) not in won:
            continue
        view = await item_view(ctx, item)
        notices += await notify.send(ctx, [owner], "breach_warning", {
            "item": view, "kind": kind, "left": humanise(remaining),
            "verb": "acknowledged" if kind == "ack" else "resolved"})
    return notices
