"""Pain points, their append-only history and the people affected by them."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LIVE, Affected, Department, Event, PainPoint

REF = re.compile(r"^\s*(?:cx-?)?#?(\d{1,9})\s*$", re.IGNORECASE)


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


async def duplicates_of(*, session: AsyncSession, item: PainPoint) -> list[PainPoint]:
    return list(await session.scalars(
        select(PainPoint).where(PainPoint.duplicate_of_id == item.id).order_by(PainPoint.id)))


async def open_in(*, session: AsyncSession, department: Department, owner: str | None = None) -> list[PainPoint]:
    """A department's live items (those owned by `owner`, if given), oldest first."""
    query = select(PainPoint).where(PainPoint.department_id == department.id, PainPoint.status.in_(LIVE))
    if owner is not None:
        query = query.where(PainPoint.owner == owner)
    return list(await session.scalars(query.order_by(PainPoint.id)))


async def repoint_duplicates(*, session: AsyncSession, of: PainPoint, to: PainPoint) -> None:
    """The duplicates of `of` become duplicates of `to` (when `of` itself turns out to be one)."""
    await session.execute(update(PainPoint).where(PainPoint.duplicate_of_id == of.id).values(duplicate_of_id=to.id))


def _urgent_first(overdue: ColumnElement[bool]) -> list[Any]:
    """Overdue first (by the caller's definition), then the soonest due."""
    due = case((PainPoint.status == "open", PainPoint.ack_due_at), else_=PainPoint.resolve_due_at)
    return [case((overdue, 0), else_=1), due, PainPoint.id]


async def owned(*, session: AsyncSession, handles: Iterable[str], overdue: ColumnElement[bool],
                limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.owner.in_(list(handles)), PainPoint.status.in_(LIVE))
             .order_by(*_urgent_first(overdue)).limit(limit))
    return list(await session.scalars(query))


async def reported(*, session: AsyncSession, handles: Iterable[str], limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.reporter.in_(list(handles)))
             .order_by(PainPoint.id.desc()).limit(limit))
    return list(await session.scalars(query))


async def in_department(*, session: AsyncSession, department_id: int, overdue: ColumnElement[bool],
                        limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.department_id == department_id, PainPoint.status.in_(LIVE))
             .order_by(*_urgent_first(overdue)).limit(limit))
    return list(await session.scalars(query))


async def overdue(*, session: AsyncSession, overdue: ColumnElement[bool], limit: int = 50,
                  department_id: int | None = None) -> list[PainPoint]:
    query = select(PainPoint).where(overdue).order_by(*_urgent_first(overdue)).limit(limit)
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return list(await session.scalars(query))


async def counts_by_status(*, session: AsyncSession, department_id: int | None = None) -> dict[str, int]:
    query = select(PainPoint.status, func.count()).group_by(PainPoint.status)
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return {status: count for status, count in (await session.execute(query)).all()}


async def overdue_count(*, session: AsyncSession, overdue: ColumnElement[bool],
                        department_id: int | None = None) -> int:
    query = select(func.count()).select_from(PainPoint).where(overdue)
    if department_id is not None:
        query = query.where(PainPoint.department_id == department_id)
    return int(await session.scalar(query) or 0)
