"""Pain points, their append-only history and the people affected by them."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Affected, Event, PainPoint

REF = re.compile(r"^\s*(?:cx-?)?#?(\d{1,9})\s*$", re.IGNORECASE)
LIVE = ("open", "acknowledged")


def parse_ref(text: str) -> int | None:
    """'CX-42', 'cx42', '#42' or '42' -> 42."""
    match = REF.match(text or "")
    return int(match.group(1)) if match else None


async def create(*, session: AsyncSession, **fields: Any) -> PainPoint:
    item = PainPoint(**fields)
    session.add(item)
    await session.flush()
    return item


async def get(*, session: AsyncSession, ref: str) -> PainPoint | None:
    number = parse_ref(ref)
    return None if number is None else await session.get(PainPoint, number)


async def from_source(*, session: AsyncSession, source: str) -> PainPoint | None:
    """The first item logged from this link (a chat message's permalink)."""
    return await session.scalar(select(PainPoint).where(PainPoint.source_url == source).order_by(PainPoint.id)
                                .limit(1))


async def lock(*, session: AsyncSession, item: PainPoint) -> PainPoint:
    """Re-read an item under a row lock (PostgreSQL) so two concurrent actions on it serialise."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(PainPoint.id).where(PainPoint.id == item.id).with_for_update())
        await session.refresh(item)
    return item


async def record(*, session: AsyncSession, item: PainPoint, action: str, actor: str, at: datetime,
                 note: str | None = None, **data: Any) -> Event:
    event = Event(pain_point_id=item.id, action=action, actor=actor, at=at, note=note, data=data)
    session.add(event)
    item.updated_at = at
    await session.flush()
    return event


async def history(*, session: AsyncSession, item: PainPoint) -> list[Event]:
    return list(await session.scalars(
        select(Event).where(Event.pain_point_id == item.id).order_by(Event.id)))


async def add_affected(*, session: AsyncSession, item: PainPoint, person: str, customer_ref: str | None,
                       at: datetime) -> bool:
    existing = (await session.scalars(select(Affected).where(
        Affected.pain_point_id == item.id, Affected.person == person))).first()
    if existing is not None:
        if customer_ref and existing.customer_ref != customer_ref:
            existing.customer_ref = customer_ref
        return False
    session.add(Affected(pain_point_id=item.id, person=person, customer_ref=customer_ref, at=at))
    await session.flush()
    return True


async def affected(*, session: AsyncSession, item: PainPoint) -> list[Affected]:
    return list(await session.scalars(
        select(Affected).where(Affected.pain_point_id == item.id).order_by(Affected.id)))


async def affected_counts(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, int]:
    rows = await session.execute(select(Affected.pain_point_id, func.count()).where(
        Affected.pain_point_id.in_(list(ids))).group_by(Affected.pain_point_id))
    return {pid: count for pid, count in rows.all()}


async def duplicates_of(*, session: AsyncSession, item: PainPoint) -> list[PainPoint]:
    return list(await session.scalars(
        select(PainPoint).where(PainPoint.duplicate_of_id == item.id).order_by(PainPoint.id)))


def overdue_clause(now: datetime) -> Any:
    return and_(
        PainPoint.status.in_(LIVE),
        or_(PainPoint.snoozed_until.is_(None), PainPoint.snoozed_until <= now),
        or_(and_(PainPoint.status == "open", PainPoint.ack_due_at < now), PainPoint.resolve_due_at < now),
    )


def _urgent_first(now: datetime) -> list[Any]:
    overdue = case((overdue_clause(now), 0), else_=1)
    due = case((PainPoint.status == "open", PainPoint.ack_due_at), else_=PainPoint.resolve_due_at)
    return [overdue, due, PainPoint.id]


async def owned(*, session: AsyncSession, handles: Iterable[str], now: datetime, limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.owner.in_(list(handles)), PainPoint.status.in_(LIVE))
             .order_by(*_urgent_first(now)).limit(limit))
    return list(await session.scalars(query))


async def reported(*, session: AsyncSession, handles: Iterable[str], limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.reporter.in_(list(handles)))
             .order_by(PainPoint.id.desc()).limit(limit))
    return list(await session.scalars(query))


async def in_department(*, session: AsyncSession, department_id: int, now: datetime,
                        limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.department_id == department_id, PainPoint.status.in_(LIVE))
             .order_by(*_urgent_first(now)).limit(limit))
    return list(await session.scalars(query))


async def overdue(*, session: AsyncSession, now: datetime, limit: int = 50,
                  department_id: int | None = None) -> list[PainPoint]:
    query = select(PainPoint).where(overdue_clause(now)).order_by(*_urgent_first(now)).limit(limit)
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return list(await session.scalars(query))


async def counts_by_status(*, session: AsyncSession, department_id: int | None = None) -> dict[str, int]:
    query = select(PainPoint.status, func.count()).group_by(PainPoint.status)
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return {status: count for status, count in (await session.execute(query)).all()}


async def overdue_count(*, session: AsyncSession, now: datetime, department_id: int | None = None) -> int:
    query = select(func.count()).select_from(PainPoint).where(overdue_clause(now))
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return int(await session.scalar(query) or 0)
