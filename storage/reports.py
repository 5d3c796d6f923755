"""The weekly accountability figures, every one an SQL aggregate (no rows are loaded to count them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, DateTime, Integer, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from storage.models import Department, Event, PainPoint, Snooze


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
        return cast(ColumnElement[float], func.date_part("epoch", later - earlier))  # a float: cheaper to sort
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


class unindexed(ColumnElement[Any]):
    """A column that must not choose the index on SQLite (rendered `+column`, SQLite's documented way). Without
    statistics SQLite prefers any equality (status = 'resolved': a quarter of the ledger) or an index that
    orders the groups to the week's narrow time range, and walks far too much. Elsewhere: the column."""

    inherit_cache = True
    # its column is part of its cache key: without it no statement holding one was ever cached (each compiled
    # again, ~30 ms of a year's overview)
    _traverse_internals: _TraverseInternalsType = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _column(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(unindexed, "sqlite")
def _plus_column(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def medians(*, session: AsyncSession, moment: Any, since: Any, start: datetime, end: datetime,
                  department_id: int | None) -> dict[int, float]:
    """Median seconds from `since` to `moment`, per department, for items whose `moment` fell in the week, to the
    second (SQLite's julianday arithmetic and PostgreSQL's epoch differ below it)."""
    where = within(moment, start, end)
    if department_id is not None:
        where = and_(where, PainPoint.department_id == department_id)
    found = await medians_by(session=session, value=seconds(moment, since, session.get_bind().dialect.name),
                             where=where, by=[PainPoint.department_id])
    return {dep: value for (dep,), value in found.items()}


async def medians_by(*, session: AsyncSession, value: Any, where: ColumnElement[bool],
                     by: list[Any]) -> dict[tuple[Any, ...], float]:
    """The median of `value` per group of `by`, over the rows `where` selects (one middle row, or two)."""
    labelled = [c.label(f"g{n}") for n, c in enumerate(by)]
    if session.get_bind().dialect.name == "postgresql":
        # each group's values gathered by hashing (one pass: no sort of all the rows by group), then each group's
        # own values sorted for its median; a year of 150,000 resolutions: ~40% less work than ranking them all
        cells = select(*labelled, func.array_agg(value).label("v")).where(where).group_by(*by).subquery()
        values = func.unnest(cells.c.v).table_valued("x").render_derived()
        median = select(func.percentile_cont(0.5).within_group(values.c.x)).scalar_subquery()
        rows = await session.execute(select(*(cells.c[c.name] for c in labelled), median))
    else:
        ranked = select(*labelled, value.label("v"),
                        func.row_number().over(partition_by=by, order_by=value).label("rn"),
                        func.count().over(partition_by=by).label("n")).where(where).subquery()
        groups = [ranked.c[c.name] for c in labelled]
        middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        rows = await session.execute(select(*groups, func.avg(ranked.c.v)).where(middle).group_by(*groups))
    return {tuple(row[:-1]): float(round(row[-1])) for row in rows.all()}


def _spans(start: datetime, end: datetime, dialect: str) -> Any:
    """The spans of time each item alive in [start, end) was overdue by `overdue_at`'s rule, as (department,
    from, until, sign): late for acknowledgement from its due time (exclusive) to its acknowledgement, its
    resolution's due time or its closing, whichever came first (inclusive); then late for resolution from that due
    time to its closing (inclusive; none: still late); a wait still going ends either at its start. Each stretch
    of a span the item was snoozed comes again with the sign -1. The items overdue at a moment m are the spans
    with from < m <= until, less the snoozed stretches with the same (as `overdue_at`, but for a snooze that began
    or ended at m itself, to the microsecond)."""
    p = PainPoint
    alive = and_(or_(p.closed_at.is_(None), p.closed_at >= start), unindexed(p.created_at) < end)
    least = func.least if dialect == "postgresql" else func.min
    # a wait still going ends a span at its start (an item that closed ended its wait)
    ack_until = least(func.coalesce(p.acknowledged_at, p.resolve_due_at), p.resolve_due_at,
                      func.coalesce(p.closed_at, p.resolve_due_at), func.coalesce(p.waiting_since, p.resolve_due_at))
    resolve_until = func.coalesce(p.closed_at, p.waiting_since)
    late = union_all(
        select(p.id.label("item"), p.department_id.label("dep"), p.ack_due_at.label("s"), ack_until.label("t"))
        .where(alive, p.ack_due_at < ack_until),
        select(p.id, p.department_id, p.resolve_due_at, resolve_until)
        .where(alive, or_(resolve_until.is_(None), p.resolve_due_at < resolve_until))).cte("late")
    # the stretches of those spans the item was snoozed (its clock ran, but it was quiet): counted against them
    greatest = func.greatest if dialect == "postgresql" else func.max
    z = Snooze
    quiet_from, quiet_until = greatest(late.c.s, z.started_at), least(func.coalesce(late.c.t, z.until), z.until)
    return union_all(
        select(late.c.dep, late.c.s, late.c.t, literal(1).label("sign")),
        select(late.c.dep, quiet_from, quiet_until, literal(-1)).join(z, z.pain_point_id == late.c.item)
        .where(quiet_from < quiet_until, z.until > start, z.started_at < end)).cte("spans")


async def _late_at_ends(session: AsyncSession, start: datetime, weeks: int, overdue_now: ColumnElement[bool]
                        ) -> dict[tuple[int, int], int]:
    """Per (department, week): the items overdue at each complete week's end (`overdue_at`), from the spans:
    those overdue at the start, plus the spans begun, minus those ended, week by week (one pass over the items
    alive in the period, however many weeks); the last week (ending now) by the caller's live rule."""
    p, end = PainPoint, start + weeks * WEEK
    dialect = session.get_bind().dialect.name
    spans = _spans(start, end, dialect)
    counted = func.sum(spans.c.sign)  # a snoozed stretch counts against its span
    at_start = (select(literal("base"), spans.c.dep, literal(-1), counted)
                .where(spans.c.s < start, or_(spans.c.t.is_(None), spans.c.t >= start)).group_by(spans.c.dep))
    began, ended = week_of(spans.c.s, start, weeks, dialect), week_of(spans.c.t, start, weeks, dialect)
    starts = (select(literal("began"), spans.c.dep, began, counted)
              .where(spans.c.s >= start, spans.c.s < end).group_by(spans.c.dep, began))
    stops = (select(literal("ended"), spans.c.dep, ended, counted)
             .where(spans.c.t >= start, spans.c.t < end).group_by(spans.c.dep, ended))
    moves: dict[int, dict[tuple[str, int], int]] = {}
    for kind, dep, n, count in (await session.execute(union_all(at_start, starts, stops))).all():
        moves.setdefault(dep, {})[(kind, int(n))] = int(count)
    late: dict[tuple[int, int], int] = {}
    for dep, got in moves.items():
        running = got.get(("base", -1), 0)
        for n in range(weeks - 1):
            running += got.get(("began", n), 0) - got.get(("ended", n), 0)
            late[(dep, n)] = running
    now = select(p.department_id, func.count()).where(overdue_now).group_by(p.department_id)
    for dep, count in (await session.execute(now)).all():
        late[(dep, weeks - 1)] = int(count)
    return late


def overdue_at(moment: datetime, *, snoozes: bool = True) -> ColumnElement[bool]:
    """Overdue as it stood at a past moment (the end of a complete week), from the items' own times: alive then,
    not waiting then (a wait pauses the clock: one still going began at `waiting_since`; one that ended moved the
    due times on by the time it took), not snoozed then (`snoozed_at`), and its acknowledgement or resolution due
    before then. `snoozes` False: by the clocks alone (a count over every open item takes the snoozed ones out
    itself, from the few snoozes of that moment: `week`)."""
    p = PainPoint
    alive = and_(unindexed(p.created_at) < moment, or_(p.closed_at.is_(None), p.closed_at >= moment))
    running = or_(p.waiting_since.is_(None), p.waiting_since > moment)  # set and cleared with waiting_on
    unacked = or_(p.acknowledged_at.is_(None), p.acknowledged_at >= moment)
    rule = and_(alive, running, or_(and_(unacked, p.ack_due_at < moment), p.resolve_due_at < moment))
    return and_(rule, ~snoozed_at(moment)) if snoozes else rule


def snoozed_at(moment: datetime) -> ColumnElement[bool]:
    """The item was snoozed at that moment (`running_at`)."""
    return select(Snooze.id).where(Snooze.pain_point_id == PainPoint.id, running_at(moment)).exists()


def running_at(moment: datetime) -> ColumnElement[bool]:
    """A snooze running at that moment: it began by then and was to last beyond it."""
    return and_(Snooze.started_at <= moment, Snooze.until > moment)


async def acknowledgements(*, session: AsyncSession, start: datetime, end: datetime,
                           department_id: int | None = None) -> dict[int, tuple[int, int]]:
    """Per department: (acknowledgements in the week, of those inside their SLA), from the history: an item
    acknowledged in the week counts there even if it was reopened since. Its due time is the one recorded
    with the acknowledgement (older events: the item's own)."""
    counts: dict[int, tuple[int, int]] = {}
    for department, _, in_time in await _acknowledged(session, start, end, department_id):
        acked, in_sla = counts.get(department, (0, 0))
        counts[department] = (acked + 1, in_sla + in_time)
    return counts


async def _acknowledged(session: AsyncSession, start: datetime, end: datetime,
                        department_id: int | None) -> list[tuple[int, datetime, bool]]:
    """(department, when, whether inside its SLA) of each acknowledgement in [start, end)."""
    query = (select(PainPoint.department_id, Event.at, Event.data, PainPoint.ack_due_at)
             .join(PainPoint, PainPoint.id == Event.pain_point_id)
             .where(Event.action == "acknowledge", within(Event.at, start, end)))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    found = []
    for department, at, data, item_due in (await session.execute(query)).all():
        recorded = (data or {}).get("due")
        found.append((department, at, at <= (datetime.fromisoformat(recorded) if recorded else item_due)))
    return found


WEEK = timedelta(weeks=1)


def week_of(column: Any, start: datetime, weeks: int, dialect: str) -> ColumnElement[int]:
    """Which of `weeks` weeks from `start` a moment falls in (0 = the first). PostgreSQL finds it among the
    weeks' bounds (width_bucket: a third faster over 200,000 rows than the arithmetic on intervals)."""
    if dialect == "postgresql":
        bounds = bindparam(None, [start + n * WEEK for n in range(weeks + 1)],
                           type_=ARRAY(DateTime(timezone=True)))
        return func.width_bucket(column, bounds) - 1
    return sql_cast(func.floor(seconds(column, literal(start, column.type), dialect) / WEEK.total_seconds()),
                    Integer)


@dataclass(frozen=True)
class Weekly:
    new: int = 0
    acknowledged: int = 0
    acknowledged_in_sla: int = 0
    resolved: int = 0
    declined: int = 0
    open: int = 0  # alive at the end of the last week (now); 0 for the others
    overdue: int = 0  # at the week's end (the last week: now, by the caller's rule)
    median_ack: float | None = None  # seconds
    median_resolve: float | None = None


async def weekly(*, session: AsyncSession, start: datetime, weeks: int,
                 overdue_now: ColumnElement[bool] | None) -> dict[tuple[int, int], Weekly]:
    """Per (department, week from `start`): `week`'s own figures, for `weeks` weeks at once: what came in, was
    acknowledged (and in SLA) and resolved, the median times, and what was overdue at each week's end. One pass
    over each index range for the counts and medians, not one query per week; the overdue counts are `week`'s
    rule at each week's end, from the spans of time items were overdue; what is open at the end (now, when the
    last week ends now). The weeks' counts add up to `week`'s over the whole period. Without `overdue_now`:
    the counts and acknowledgements only."""
    p, end = PainPoint, start + weeks * WEEK
    dialect = session.get_bind().dialect.name
    created, closed = week_of(p.created_at, start, weeks, dialect), week_of(p.resolved_at, start, weeks, dialect)
    new = (select(literal("new"), p.department_id, created, func.count())
           .where(within(p.created_at, start, end)).group_by(p.department_id, created))
    resolved = (select(literal("resolved"), p.department_id, closed, func.count())
                .where(within(p.resolved_at, start, end), unindexed(p.status) == "resolved")
                .group_by(p.department_id, closed))
    shut = week_of(p.closed_at, start, weeks, dialect)
    declined = (select(literal("declined"), p.department_id, shut, func.count())
                .where(within(p.closed_at, start, end), unindexed(p.status) == "declined")
                .group_by(p.department_id, shut))
    alive = [select(literal("open"), p.department_id, literal(weeks - 1), func.count())  # two index ranges
             .where(living, unindexed(p.created_at) < end).group_by(unindexed(p.department_id))
             for living in (p.closed_at.is_(None), p.closed_at >= end)]
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for kind, dep, n, count in (await session.execute(union_all(new, resolved, declined, *alive))).all():
        got = counts.setdefault((dep, int(n)), {})
        got[kind] = got.get(kind, 0) + int(count)
    for dep, at, in_time in await _acknowledged(session, start, end, None):
        got = counts.setdefault((dep, (at - start) // WEEK), {})
        got["acknowledged"] = got.get("acknowledged", 0) + 1
        got["acknowledged_in_sla"] = got.get("acknowledged_in_sla", 0) + in_time
    if overdue_now is None:  # acknowledgements and counts only
        return {key: Weekly(**got) for key, got in counts.items()}
    for (dep, n), count in (await _late_at_ends(session, start, weeks, overdue_now)).items():
        if count:
            counts.setdefault((dep, n), {})["overdue"] = count
    for name, moment in (("median_ack", p.acknowledged_at), ("median_resolve", p.resolved_at)):
        found = await medians_by(session=session, value=seconds(moment, p.created_at, dialect),
                                 where=within(moment, start, end),
                                 by=[p.department_id, week_of(moment, start, weeks, dialect)])
        for (dep, n), value in found.items():
            counts.setdefault((dep, int(n)), {})[name] = value  # type: ignore[assignment]
    return {key: Weekly(**got) for key, got in counts.items()}


async def week(*, session: AsyncSession, start: datetime, end: datetime, overdue: ColumnElement[bool],
               department_id: int | None = None, snoozed: datetime | None = None) -> list[Row]:
    """Per department: what came in, was acknowledged (and in SLA), resolved, declined; open at the week's end
    (or now, for a week in progress) and overdue by the caller's rule; median time to acknowledge and resolve.
    `snoozed`: the moment a past week's rule was asked at (`overdue_at(..., snoozes=False)`): the items snoozed
    then are taken out of its overdue count, found from that moment's snoozes (a handful), not looked up for
    each open item (PostgreSQL would leave closed_at's covering index for the rows to find their ids).

    Each figure is a count over an index range, never a pass over the whole ledger: the week's creations, its
    resolutions, its closures, and the items alive at its end (those not closed, and those closed since)."""
    p = PainPoint
    mine = [] if department_id is None else [p.department_id == department_id]

    def per_department(kind: str, *where: ColumnElement[bool], late: Any = None, by: Any = None) -> Any:
        return (select(literal(kind), p.department_id, func.count(), late if late is not None else literal(0))
                .where(*where, *mine).group_by(unindexed(p.department_id) if by is None else by))

    alive = [unindexed(p.created_at) < end]
    status = unindexed(p.status)
    counted = union_all(
        per_department("new", within(p.created_at, start, end)),
        per_department("resolved", within(p.resolved_at, start, end), status == "resolved"),
        per_department("declined", within(p.closed_at, start, end), status == "declined"),
        # the items open now: read from closed_at's index alone, which holds them in department order (0018)
        per_department("open", p.closed_at.is_(None), *alive, late=count_if(overdue), by=p.department_id),
        per_department("open", p.closed_at >= end, *alive, late=count_if(overdue)))
    figures: dict[int, dict[str, int]] = {}
    for kind, dep, count, late in (await session.execute(counted)).all():
        row = figures.setdefault(dep, {"new": 0, "resolved": 0, "declined": 0, "open": 0, "overdue": 0})
        row[kind] += int(count)
        row["overdue"] += int(late)
    if snoozed is not None:
        quiet = (select(p.department_id, func.count()).join(Snooze, Snooze.pain_point_id == p.id)
                 .where(running_at(snoozed), overdue, *mine).group_by(p.department_id))
        for dep, count in (await session.execute(quiet)).all():
            figures[dep]["overdue"] -= int(count)
    names = select(Department.id, Department.name).order_by(Department.name)
    if department_id is not None:
        names = names.where(Department.id == department_id)
    acks = await acknowledgements(session=session, start=start, end=end, department_id=department_id)
    ack = await medians(session=session, moment=p.acknowledged_at, since=p.created_at, start=start, end=end,
                        department_id=department_id)
    resolve = await medians(session=session, moment=p.resolved_at, since=p.created_at, start=start, end=end,
                            department_id=department_id)
    rows = []
    for dep, name in (await session.execute(names)).all():
        got = figures.get(dep, {})
        rows.append(Row(dep, name, got.get("new", 0), *acks.get(dep, (0, 0)), got.get("resolved", 0),
                        got.get("declined", 0), got.get("open", 0), got.get("overdue", 0),
                        median_ack=ack.get(dep), median_resolve=resolve.get(dep)))
    return rows


async def stages(*, session: AsyncSession, start: datetime, end: datetime, department_id: int | None = None,
                 limit: int = 5) -> list[tuple[str, int]]:
    """Where in the journey customers hurt most this week."""
    n = func.count().label("n")
    query = (select(PainPoint.stage, n).where(within(PainPoint.created_at, start, end))
             .group_by(PainPoint.stage).order_by(n.desc(), PainPoint.stage).limit(limit))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return [(stage, int(count)) for stage, count in (await session.execute(query)).all()]


async def waiting(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool]
                  ) -> tuple[int, int, int]:
    """(live items waiting now on a customer, on another team; the working seconds waited by the items closed
    in the period), of the items `where` selects."""
    p = PainPoint
    now = (select(func.sum(case((p.waiting_on == "customer", 1), else_=0)), func.count())  # the waiting index
           .where(p.waiting_on.is_not(None), unindexed(p.status).in_(("open", "acknowledged")), where))
    on_customer, every = (await session.execute(now)).one()
    waited = await session.scalar(select(func.sum(p.waited_seconds)).where(within(p.closed_at, start, end), where))
    return int(on_customer or 0), int(every or 0) - int(on_customer or 0), int(waited or 0)


async def wins(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool],
               limit: int = 5) -> list[PainPoint]:
    """Resolved in the period, newest first, of the items `where` selects: "you said, we did"."""
    query = (select(PainPoint).where(unindexed(PainPoint.status) == "resolved",
                                     within(PainPoint.resolved_at, start, end), where)
             .order_by(PainPoint.resolved_at.desc(), PainPoint.id.desc()).limit(limit))
    return list(await session.scalars(query))


async def totals(*, session: AsyncSession, start: datetime, end: datetime,
                 department_id: int | None = None) -> tuple[int, int]:
    """(new, resolved) in a week: the comparison against the previous one. Two counts over index ranges (the
    week's creations, the week's resolutions), never a pass over the whole table."""
    p = PainPoint
    new = select(func.count()).select_from(p).where(within(p.created_at, start, end))
    resolved = select(func.count()).select_from(p).where(within(p.resolved_at, start, end),
                                                         unindexed(p.status) == "resolved")
    if department_id is not None:
        new, resolved = new.where(p.department_id == department_id), resolved.where(p.department_id == department_id)
    both = (await session.execute(select(new.scalar_subquery(), resolved.scalar_subquery()))).one()
    return int(both[0]), int(both[1])


