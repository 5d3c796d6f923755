"""The dashboard's figures, every one an SQL aggregate over what the viewer may see: the journey map, the stages'
weekly trend, causes, and the item lists behind them. The handlers decide who sees what and how much each
severity weighs; these only count."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, false, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Affected, Department, Event, PainPoint
from storage.reports import WEEK, medians_by, seconds, unindexed, week_of, within


@dataclass(frozen=True)
class Cell:
    stage: str
    department_id: int
    items: int
    weight: int


async def roomy(session: AsyncSession) -> None:
    """Set this transaction up for reports (PostgreSQL): room to group in memory (the default 4 MB spills the
    grouping of a year's 200,000 rows to disk, or makes the planner sort instead of hash), and a plan for each
    statement's own time range (asyncpg prepares statements; from the sixth run PostgreSQL may switch to one
    generic plan, which cannot tell a week from five years: the scorecards went from 270 to 600 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT set_config('work_mem', '32MB', true), "
                                   "set_config('plan_cache_mode', 'force_custom_plan', true)"))


def scope(*, everything: bool, departments: Collection[int], handles: Collection[str]) -> ColumnElement[bool]:
    """The items a viewer sees: everything, or their departments' and what they raised (reported, said "me
    too" on) or own."""
    if everything:
        return true()
    if not departments and not handles:
        return false()
    raised = select(Affected.pain_point_id).where(Affected.person.in_(list(handles)))
    return or_(PainPoint.department_id.in_(list(departments)), PainPoint.reporter.in_(list(handles)),
               PainPoint.owner.in_(list(handles)), PainPoint.id.in_(raised))


def counted() -> ColumnElement[bool]:
    """A duplicate is counted in its original (its "me too"s moved there)."""
    return unindexed(PainPoint.status) != "duplicate"


def weight(weights: Mapping[str, int]) -> tuple[Any, Any]:
    """An item's weight: its severity's, times everyone it hurts (its reporter and each "me too"); and the
    grouped "me too" counts to outer-join for it (one pass over them, not a lookup per item)."""
    counts = (select(Affected.pain_point_id.label("item"), func.count().label("n"))
              .group_by(Affected.pain_point_id).subquery())
    return case(weights, value=PainPoint.severity, else_=1) * (1 + func.coalesce(counts.c.n, 0)), counts


async def journey(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool],
                  weights: Mapping[str, int]) -> list[Cell]:
    """Per journey stage and department: the items logged in the period and their weight (one hashed pass;
    their medians are `journey_medians`, which must sort)."""
    p = PainPoint
    heavy, counts = weight(weights)
    query = (select(p.stage, p.department_id, func.count(), func.sum(heavy)).select_from(p)
             .outerjoin(counts, counts.c.item == p.id)
             .where(within(p.created_at, start, end), counted(), where).group_by(p.stage, p.department_id))
    return [Cell(stage, dep, int(n), int(w or 0)) for stage, dep, n, w in (await session.execute(query)).all()]


async def journey_medians(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool]
                          ) -> dict[tuple[str, int], float]:
    """Per journey stage and department: the median time from logging to resolution of the items logged in the
    period and resolved since (over the resolved ones alone)."""
    p = PainPoint
    took = seconds(p.resolved_at, p.created_at, session.get_bind().dialect.name)
    resolved = and_(within(p.created_at, start, end), unindexed(p.status) == "resolved", where)
    return await medians_by(session=session, value=took, where=resolved, by=[p.stage, p.department_id])


async def weekly(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool],
                 by: Any) -> dict[tuple[Any, int], int]:
    """Items logged per week of the period (0 = the first) and per value of `by` (the stage, say)."""
    p = PainPoint
    weeks = -(-(end - start) // WEEK)
    week = week_of(p.created_at, start, weeks, session.get_bind().dialect.name)
    rows = await session.execute(select(by, week, func.count())
                                 .where(within(p.created_at, start, end), counted(), where).group_by(by, week))
    return {(key, int(n)): int(count) for key, n, count in rows.all()}


async def causes(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool]
                 ) -> list[tuple[str, int, int, str | None]]:
    """(stage, department id, count, root-cause category or None) of the items resolved in the period: together
    they are every resolution of the period, filed or not."""
    p = PainPoint
    rows = await session.execute(
        select(p.stage, p.department_id, func.count(), p.cause_category)
        .where(within(p.resolved_at, start, end), unindexed(p.status) == "resolved", where)
        .group_by(p.stage, p.department_id, p.cause_category))
    return [(stage, dep, int(n), category) for stage, dep, n, category in rows.all()]


async def confirmed(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool],
                    limit: int = 10) -> tuple[int, list[int]]:
    """Fixes the people who raised them confirmed in the period: how many, and the latest (their ids)."""
    confirms = (select(Event.pain_point_id, func.max(Event.at).label("at"))
                .where(Event.action == "confirm", within(Event.at, start, end)).group_by(Event.pain_point_id)
                .subquery())
    base = select(PainPoint.id).join(confirms, confirms.c.pain_point_id == PainPoint.id).where(where)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    latest = await session.scalars(base.order_by(confirms.c.at.desc(), PainPoint.id.desc()).limit(limit))
    return int(total or 0), list(latest)


def listed(readable: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """An item as a list shows it, in plain columns (no ORM objects: an export reads 50,000): its department's
    name, how many said "me too", and `readable`, whether this viewer may read its words."""
    p = PainPoint
    affected = select(func.count()).where(Affected.pain_point_id == p.id).scalar_subquery()
    return (select(p.id, p.summary, p.stage, p.severity, p.status, p.customer_ref, p.owner, p.reporter,
                   p.created_at, p.resolved_at, p.ack_due_at, p.resolve_due_at, p.resolution_note, p.cause_category,
                   p.root_cause, p.waiting_on, p.snoozed_until, Department.name.label("department"),
                   affected.label("affected"),
                   readable.label("readable"))
            .join(Department, Department.id == p.department_id))


async def count(*, session: AsyncSession, where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(PainPoint).where(where)) or 0)


async def items(*, session: AsyncSession, where: ColumnElement[bool], readable: ColumnElement[bool], limit: int,
                offset: int = 0) -> tuple[int, list[Row[Any]]]:
    """The items `where` selects, newest first: how many in all, and one page of them (`listed`)."""
    total = await count(session=session, where=where)
    if not limit or not total:
        return total, []
    newest = (PainPoint.created_at.desc(), PainPoint.id.desc())
    found = await session.execute(listed(readable).where(where).order_by(*newest).limit(limit).offset(offset))
    return total, list(found.all())


async def these(*, session: AsyncSession, ids: list[int], readable: ColumnElement[bool]) -> list[Row[Any]]:
    """These items as `listed`, in this order."""
    if not ids:
        return []
    found = {r.id: r for r in (await session.execute(listed(readable).where(PainPoint.id.in_(ids)))).all()}
    return [found[i] for i in ids if i in found]


def customer_is(text: str) -> ColumnElement[bool]:
    """Items raised for a customer whose reference contains `text` (its own, or a "me too"'s)."""
    pattern = f"%{escape_like(text.lower())}%"
    others = select(Affected.pain_point_id).where(func.lower(Affected.customer_ref).like(pattern, escape="\\"))
    return or_(func.lower(PainPoint.customer_ref).like(pattern, escape="\\"), PainPoint.id.in_(others))


def text_is(text: str) -> ColumnElement[bool]:
    """Items whose summary or details contain `text` (any case)."""
    pattern = f"%{escape_like(text.lower())}%"
    return or_(func.lower(PainPoint.summary).like(pattern, escape="\\"),
               func.lower(PainPoint.details).like(pattern, escape="\\"))


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
