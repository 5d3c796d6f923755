"""Pain points, their append-only history and the people affected by them."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, exists, func, insert, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defaultload, joinedload, selectinload

from storage import people
from storage.models import LIVE, Affected, Department, Event, Nudge, PainPoint, Snooze

REF = re.compile(r"^\s*(?:cx-?)?#?(\d{1,9})\s*$", re.IGNORECASE)
EVENTS = cast(Table, Event.__table__)  # the history is written as plain INSERTs
SNOOZES = cast(Table, Snooze.__table__)
DUPLICATE = aliased(PainPoint)  # one alias for every read: a fresh one per call is adapted afresh (~1 ms)


def parse_ref(text: str) -> int | None:
    """'CX-42', 'cx42', '#42' or '42' -> 42."""
    match = REF.match(text or "")
    return int(match.group(1)) if match else None


async def create(*, session: AsyncSession, **fields: Any) -> PainPoint:
    item = PainPoint(**fields)
    session.add(item)
    await session.flush()
    return item


async def get(*, session: AsyncSession, ref: str, lock: bool = False) -> PainPoint | None:
    """The item with its department, its people and those who said "me too", in one statement; `lock`: under a
    row lock (PostgreSQL), so that two concurrent actions on it serialise."""
    number = parse_ref(ref)
    if number is None:
        return None
    query = (select(PainPoint, exists().where(DUPLICATE.duplicate_of_id == PainPoint.id))
             .where(PainPoint.id == number)
             .options(joinedload(PainPoint.department).joinedload(Department.members),
                      joinedload(PainPoint.affected_rows), joinedload(PainPoint.reporter_person),
                      joinedload(PainPoint.owner_person))
             .execution_options(populate_existing=True))
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=PainPoint)
    row = (await session.execute(query)).unique().one_or_none()
    if row is None:
        return None
    item, duplicated = row
    people.keep(session, item.reporter_person)
    people.keep(session, item.owner_person)
    without = without_duplicates(session)
    (without.discard if duplicated else without.add)(item.id)
    return item


def without_duplicates(session: AsyncSession) -> set[int]:
    """The items this transaction read (`get`) and found no duplicate of."""
    found: set[int] = session.info.setdefault("without_duplicates", set())
    return found


async def from_source(*, session: AsyncSession, source: str) -> PainPoint | None:
    """The first item logged from this link (a chat message's permalink)."""
    return await session.scalar(select(PainPoint).where(PainPoint.source_url == source).order_by(PainPoint.id)
                                .limit(1))


async def record(*, session: AsyncSession, item: PainPoint, action: str, actor: str, at: datetime,
                 note: str | None = None, **data: Any) -> None:
    """One line of the item's history (written at once, as a plain INSERT: the history is never read back as
    objects in the transaction that writes it); the item's own changes are written with it."""
    item.updated_at = at
    await session.flush()
    await session.execute(insert(EVENTS), {"pain_point_id": item.id, "action": action, "actor": actor, "at": at,
                                           "note": note, "data": data})


async def snooze(*, session: AsyncSession, item: PainPoint, until: datetime, at: datetime) -> None:
    """The item is quiet from `at` until `until` (a snooze still running ends at `at`: this one follows it)."""
    await unsnooze(session=session, item=item, at=at)
    await session.execute(insert(SNOOZES), {"pain_point_id": item.id, "started_at": at, "until": until})
    item.snoozed_until = until


async def snoozes(*, session: AsyncSession, item: PainPoint) -> list[tuple[datetime, datetime]]:
    """(from, until) of each of the item's snoozes, the first first (none overlaps the next: each ends it)."""
    rows = await session.execute(select(SNOOZES.c.started_at, SNOOZES.c.until)
                                 .where(SNOOZES.c.pain_point_id == item.id).order_by(SNOOZES.c.id))
    return [(start, until) for start, until in rows.all()]


async def unsnooze(*, session: AsyncSession, item: PainPoint, at: datetime) -> None:
    """The item's snooze, if one is still running, ends at `at` (it was reassigned, or closed)."""
    if item.snoozed_until is not None and item.snoozed_until > at:
        await session.execute(update(SNOOZES).where(SNOOZES.c.pain_point_id == item.id, SNOOZES.c.until > at)
                              .values(until=at))
    item.snoozed_until = None


async def history(*, session: AsyncSession, item: PainPoint) -> list[Event]:
    return list(await session.scalars(
        select(Event).where(Event.pain_point_id == item.id).order_by(Event.id)))


async def add_affected(*, session: AsyncSession, item: PainPoint, person: str, customer_ref: str | None,
                       at: datetime) -> bool:
    existing = next((a for a in await affected(session=session, item=item) if a.person == person), None)
    if existing is not None:
        if customer_ref and existing.customer_ref != customer_ref:
            existing.customer_ref = customer_ref
        return False
    # kept in the item's collection, so that a later read in this transaction sees it
    item.affected_rows.append(Affected(pain_point_id=item.id, person=person, customer_ref=customer_ref, at=at))
    await session.flush()
    return True


async def affected(*, session: AsyncSession, item: PainPoint) -> list[Affected]:
    """Those who said "me too": read with the item (`get`), else now, into the item's collection."""
    if "affected_rows" in inspect(item).unloaded:
        await session.refresh(item, ["affected_rows"])
    return list(item.affected_rows)


async def duplicates_of(*, session: AsyncSession, item: PainPoint) -> list[PainPoint]:
    if item.id in without_duplicates(session):  # read with the item (`get`): none
        return []
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
    without_duplicates(session).discard(to.id)  # it has duplicates now (`of`, at least)


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


async def these(*, session: AsyncSession, ids: list[int]) -> list[PainPoint]:
    """These items, in this order (those that exist)."""
    if not ids:
        return []
    found = {i.id: i for i in await session.scalars(select(PainPoint).where(PainPoint.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


async def matching(*, session: AsyncSession, where: ColumnElement[bool], limit: int = 50) -> list[PainPoint]:
    """The items `where` selects, live ones first, then newest first, with those who said "me too" on each
    (read in one more statement, not one per item)."""
    live = case((PainPoint.status.in_(LIVE), 0), else_=1)
    return list(await session.scalars(select(PainPoint).where(where).order_by(live, PainPoint.id.desc())
                                      .options(selectinload(PainPoint.affected_rows)).limit(limit)))


async def about_to_breach(*, session: AsyncSession, now: datetime, until: datetime, where: ColumnElement[bool]
                          ) -> list[Any]:
    """Live items `where` selects (the handlers' bounds of "near its due time"), neither waiting nor snoozed, whose
    running clock is not yet due and was not yet warned about (a slot-0 claim of that clock's cycle): (id, kind,
    due_at, owner, department_id) rows, the fewest columns, however many live items there are."""
    p = PainPoint
    kind = case((p.status == "open", "ack"), else_="resolve")
    due = case((p.status == "open", p.ack_due_at), else_=p.resolve_due_at)
    warned = exists().where(Nudge.pain_point_id == p.id, Nudge.slot == 0, Nudge.kind == kind, Nudge.due_at == due)
    # each status read along its own (status, due) index, from now to the latest moment `where` could accept
    ranges = or_(and_(p.status == "open", p.ack_due_at > now, p.ack_due_at <= until),
                 and_(p.status == "acknowledged", p.resolve_due_at > now, p.resolve_due_at <= until))
    rows = await session.execute(
        select(p.id, kind.label("kind"), due.label("due_at"), p.owner, p.department_id)
        .where(ranges, p.waiting_on.is_(None), or_(p.snoozed_until.is_(None), p.snoozed_until <= now), where,
               ~warned).order_by(p.id))
    return list(rows.all())


async def waits_over(*, session: AsyncSession, now: datetime, limit: int = 500) -> list[PainPoint]:
    """Live items whose wait was until a moment now past."""
    return list(await session.scalars(select(PainPoint).where(
        PainPoint.status.in_(LIVE), PainPoint.waiting_on.is_not(None), PainPoint.waiting_until <= now)
        .order_by(PainPoint.waiting_until, PainPoint.id).limit(limit)))


async def in_department(*, session: AsyncSession, department_id: int, overdue: ColumnElement[bool],
                        limit: int = 50) -> list[PainPoint]:
    query = (select(PainPoint).where(PainPoint.department_id == department_id, PainPoint.status.in_(LIVE))
             .order_by(*_urgent_first(overdue)).limit(limit))
    return list(await session.scalars(query))


async def overdue(*, session: AsyncSession, overdue: ColumnElement[bool], limit: int = 50,
                  department_id: int | None = None, closed_since: datetime | None = None) -> list[PainPoint]:
    """The most overdue items by `overdue`'s rule: the soonest due first (the acknowledgement's due time while
    open, else the resolution's), then by number. Each status is read in the order of its own index and only
    `limit` rows of each are read, never a sort of every live item: open items by (status, ack_due_at),
    acknowledged ones by (status, resolve_due_at), and, for a past moment (`closed_since`: the rule asks how
    things stood then), the few closed since then, which were still alive at it."""
    p = PainPoint
    where = [overdue] if department_id is None else [overdue, p.department_id == department_id]
    parts = [select(p).where(p.status == "open", *where).order_by(p.ack_due_at, p.id),
             select(p).where(p.status == "acknowledged", *where).order_by(p.resolve_due_at, p.id)]
    if closed_since is not None:
        parts.append(select(p).where(p.closed_at >= closed_since, p.status.not_in(LIVE), *where)
                     .order_by(p.resolve_due_at, p.id))
    found: list[PainPoint] = []
    # a list names each item's department; its people are not read (a statement per part, a third of a digest)
    members = defaultload(PainPoint.department).raiseload(Department.members)
    for query in parts:
        found += await session.scalars(query.options(members).limit(limit))
    found.sort(key=lambda i: (i.ack_due_at if i.status == "open" else i.resolve_due_at, i.id))
    return found[:limit]


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
