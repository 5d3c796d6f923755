"""The weekly accountability figures, every one an SQL aggregate (no rows are loaded to count them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department, Event, PainPoint


@dataclass(frozen=True)
class Row:
    department_id: int
    department: str
    new: int
    acknowledged: int
    acknowledged_in_sla: int
    resolved: int
    declined: int
    open: int
    overdue: int
    median_ack: float | None  # seconds
    median_resolve: float | None


def seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(ColumnElement[float], func.extract("epoch", later - earlier))
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def medians(*, session: AsyncSession, moment: Any, since: Any, start: datetime, end: datetime,
                  department_id: int | None) -> dict[int, float]:
    """Median seconds from `since` to `moment`, per department, for items whose `moment` fell in the week, to the
    second (SQLite's julianday arithmetic and PostgreSQL's epoch differ below it)."""
    dialect = session.get_bind().dialect.name
    value = seconds(moment, since, dialect)
    ranked = (select(PainPoint.department_id.label("dep"), value.label("v"),
                     func.row_number().over(partition_by=PainPoint.department_id, order_by=value).label("rn"),
                     func.count().over(partition_by=PainPoint.department_id).label("n"))
              .where(within(moment, start, end)))
    if department_id is not None:
        ranked = ranked.where(PainPoint.department_id == department_id)
    r = ranked.subquery()
    middle = or_(r.c.rn == (r.c.n + 1) // 2, r.c.rn == (r.c.n + 2) // 2)  # one middle row, or two
    rows = await session.execute(select(r.c.dep, func.avg(r.c.v)).where(middle).group_by(r.c.dep))
    return {dep: float(round(v)) for dep, v in rows.all()}


def overdue_at(moment: datetime) -> ColumnElement[bool]:
    """Overdue as it stood at a past moment (the end of a complete week), from the items' own times: alive
    then, and its acknowledgement or resolution due before then. (Snoozes are not kept in history.)"""
    p = PainPoint
    alive = and_(p.created_at < moment, or_(p.closed_at.is_(None), p.closed_at >= moment))
    unacked = or_(p.acknowledged_at.is_(None), p.acknowledged_at >= moment)
    return and_(alive, or_(and_(unacked, p.ack_due_at < moment), p.resolve_due_at < moment))


async def acknowledgements(*, session: AsyncSession, start: datetime, end: datetime,
                           department_id: int | None = None) -> dict[int, tuple[int, int]]:
    """Per department: (acknowledgements in the week, of those inside their SLA), from the history: an item
    acknowledged in the week counts there even if it was reopened since. Its due time is the one recorded
    with the acknowledgement (older events: the item's own)."""
    query = (select(PainPoint.department_id, Event.at, Event.data, PainPoint.ack_due_at)
             .join(PainPoint, PainPoint.id == Event.pain_point_id)
             .where(Event.action == "acknowledge", within(Event.at, start, end)))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    counts: dict[int, tuple[int, int]] = {}
    for department, at, data, item_due in (await session.execute(query)).all():
        recorded = (data or {}).get("due")
        due = datetime.fromisoformat(recorded) if recorded else item_due
        acked, in_sla = counts.get(department, (0, 0))
        counts[department] = (acked + 1, in_sla + (at <= due))
    return counts


async def week(*, session: AsyncSession, start: datetime, end: datetime, overdue: ColumnElement[bool],
               department_id: int | None = None) -> list[Row]:
    """Per department: what came in, was acknowledged (and in SLA), resolved, declined; open at the week's end
    (or now, for a week in progress) and overdue by the caller's rule; median time to acknowledge and resolve."""
    p = PainPoint
    alive_at_end = and_(p.created_at < end, or_(p.closed_at.is_(None), p.closed_at >= end))
    query = (select(Department.id, Department.name,
                    count_if(within(p.created_at, start, end)),
                    count_if(and_(p.status == "resolved", within(p.resolved_at, start, end))),
                    count_if(and_(p.status == "declined", within(p.closed_at, start, end))),
                    count_if(alive_at_end),
                    count_if(overdue))
             # an item closed before the week began can count for nothing in it
             .select_from(Department).outerjoin(p, and_(p.department_id == Department.id, p.created_at < end,
                                                       or_(p.closed_at.is_(None), p.closed_at >= start)))
             .group_by(Department.id, Department.name).order_by(Department.name))
    if department_id is not None:
        query = query.where(Department.id == department_id)
    figures = (await session.execute(query)).all()
    acks = await acknowledgements(session=session, start=start, end=end, department_id=department_id)
    ack = await medians(session=session, moment=p.acknowledged_at, since=p.created_at, start=start, end=end,
                        department_id=department_id)
    resolve = await medians(session=session, moment=p.resolved_at, since=p.created_at, start=start, end=end,
                            department_id=department_id)
    return [Row(dep, name, int(new), *acks.get(dep, (0, 0)), int(resolved), int(declined), int(alive), int(late),
                median_ack=ack.get(dep), median_resolve=resolve.get(dep))
            for dep, name, new, resolved, declined, alive, late in figures]


async def stages(*, session: AsyncSession, start: datetime, end: datetime, department_id: int | None = None,
                 limit: int = 5) -> list[tuple[str, int]]:
    """Where in the journey customers hurt most this week."""
    n = func.count().label("n")
    query = (select(PainPoint.stage, n).where(within(PainPoint.created_at, start, end))
             .group_by(PainPoint.stage).order_by(n.desc(), PainPoint.stage).limit(limit))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return [(stage, int(count)) for stage, count in (await session.execute(query)).all()]


async def wins(*, session: AsyncSession, start: datetime, end: datetime, department_id: int | None = None,
               limit: int = 5) -> list[PainPoint]:
    """Resolved this week, newest first: "you said, we did"."""
    query = (select(PainPoint).where(PainPoint.status == "resolved", within(PainPoint.resolved_at, start, end))
             .order_by(PainPoint.resolved_at.desc(), PainPoint.id.desc()).limit(limit))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return list(await session.scalars(query))


async def totals(*, session: AsyncSession, start: datetime, end: datetime,
                 department_id: int | None = None) -> tuple[int, int]:
    """(new, resolved) in a week: the comparison against the previous one. Two counts over index ranges (the
    week's creations, the week's resolutions), never a pass over the whole table."""
    p = PainPoint
    new = select(func.count()).select_from(p).where(within(p.created_at, start, end))
    resolved = select(func.count()).select_from(p).where(within(p.resolved_at, start, end), p.status == "resolved")
    if department_id is not None:
        new, resolved = new.where(p.department_id == department_id), resolved.where(p.department_id == department_id)
    both = (await session.execute(select(new.scalar_subquery(), resolved.scalar_subquery()))).one()
    return int(both[0]), int(both[1])


