"""Before the breach: an item's owner is told once, inside their working hours, when a share of its SLA has run
(`[nudges] warn_at`, 80% by default), so it can be done in time rather than chased after. The warning is claimed
like a nudge (slot 0 of the clock's cycle), so replicas sweeping together send it once."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from handlers import notify
from handlers.base import Context, Notice
from handlers.clock import after_working, hours_of, humanise, is_working_time, working_between, zone_of
from handlers.org import SEVERITIES, Org, WorkingHours
from handlers.views import item_view
from storage import departments, nudges, pain_points, people
from storage.models import PainPoint


def working(length: timedelta, hours: WorkingHours) -> timedelta:
    """An SLA's length in working hours: whole days ("3d") are working days."""
    days, rest = divmod(length, timedelta(days=1))
    return days * hours.length + rest


def near(org: Org, now: datetime, share: float, groups: list[tuple[WorkingHours, list[int] | None]]
         ) -> tuple[ColumnElement[bool], datetime]:
    """Items whose running clock has no more than (1 - share) of its SLA's working time left: due by the moment
    that much working time after now, worked out once per department hours, severity and clock (a few moments,
    whatever the number of items), never item by item."""
    p, parts, latest = PainPoint, [], now
    for hours, department_ids in groups:
        for severity in SEVERITIES:
            sla = org.sla_for(severity)
            for status, length, due in (("open", sla.acknowledge, p.ack_due_at),
                                        ("acknowledged", sla.resolve, p.resolve_due_at)):
                by = after_working(now, working(length, hours) * (1 - share), hours, org.zone)
                latest = max(latest, by)
                part = and_(p.status == status, p.severity == severity, due <= by)
                parts.append(part if department_ids is None else and_(part, p.department_id.in_(department_ids)))
    return or_(*parts), latest


async def sweep(ctx: Context, now: datetime) -> list[Notice]:
    share = ctx.org.nudges.warn_at
    if not share:
        return []
    own = {d.key: ctx.org.department_hours(d.key) for d in ctx.org.departments if d.holidays}
    ids = {key: i for i, key, _ in await departments.listed(session=ctx.session)} if own else {}
    special = [ids[k] for k in own if k in ids]
    groups: list[tuple[WorkingHours, list[int] | None]] = [(own[k], [ids[k]]) for k in own if k in ids]
    default = ctx.org.department_hours(None)
    bounds = [near(ctx.org, now, share, [group]) for group in groups]
    rest, latest = near(ctx.org, now, share, [(default, None)])
    rows = await pain_points.about_to_breach(
        session=ctx.session, now=now, until=max([latest, *(b for _, b in bounds)]),
        where=or_(*(clause for clause, _ in bounds), and_(PainPoint.department_id.not_in(special), rest)))
    if not rows:
        return []
    homes = {d.id: d for d in await departments.all(session=ctx.session)}
    owners = {r.id: r.owner or next(iter(homes[r.department_id].named("owner") or homes[r.department_id].named(
        "rep")), None) for r in rows if r.department_id in homes}
    known = {h: p for p in await people.many(session=ctx.session, whos={o for o in owners.values() if o})
             for h in (p.identity, p.email) if h}
    due = []
    for row in rows:
        owner = owners.get(row.id)
        if owner is None:
            continue
        person = known.get(owner)
        if not is_working_time(now, hours_of(ctx.org, owner, person), zone_of(ctx.org, person)):
            continue  # inside their hours: the next sweep in them tells them, if there is time left
        due.append((row, owner))
    won = await nudges.claim(session=ctx.session, at=now, rows=[
        {"pain_point_id": row.id, "kind": row.kind, "due_at": nudges.aware(row.due_at, now), "slot": 0, "level": 0,
         "owner": owner} for row, owner in due])
    notices: list[Notice] = []
    for row, owner in due:
        if (row.id, 0) not in won:
            continue
        item = await pain_points.get(session=ctx.session, ref=f"CX-{row.id}")
        if item is None:
            continue
        hours = ctx.org.department_hours(item.department.key)
        view = await item_view(ctx, item)
        notices += await notify.send(ctx, [owner], "breach_warning", {
            "item": view, "kind": row.kind, "left": humanise(working_between(now, nudges.aware(row.due_at, now), hours,
                                                                             ctx.org.zone)),
            "verb": "acknowledged" if row.kind == "ack" else "resolved"})
    return notices

