"""Follow-ups: the customers an item's raisers owe word of what was done (models.FollowUp)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import upsert
from storage.models import FollowUp, PainPoint
from storage.reports import within


async def open_for(*, session: AsyncSession, item_id: int, owed: Sequence[tuple[str, str, datetime]], outcome: str,
                   at: datetime) -> list[FollowUp]:
    """Open a follow-up for each (person, customer, remind at), or open it again (a later resolution: the
    customer is to hear again). The item's others, for people no longer owed one, are left as they were."""
    for person, customer, remind_at in owed:
        values = {"pain_point_id": item_id, "person": person, "customer": customer, "outcome": outcome,
                  "status": "pending", "note": None, "opened_at": at, "remind_at": remind_at,
                  "reminded_at": None, "answered_at": None}
        await upsert(session=session, table=FollowUp, values=values, conflict=["pain_point_id", "person"])
    return await of_item(session=session, item_id=item_id)


async def of_item(*, session: AsyncSession, item_id: int) -> list[FollowUp]:
    return list(await session.scalars(select(FollowUp).where(FollowUp.pain_point_id == item_id)
                                      .order_by(FollowUp.id).execution_options(populate_existing=True)))


async def of_items(*, session: AsyncSession, item_ids: Sequence[int]) -> list[FollowUp]:
    if not item_ids:
        return []
    return list(await session.scalars(select(FollowUp).where(FollowUp.pain_point_id.in_(list(item_ids)))
                                      .order_by(FollowUp.id)))


async def pending(*, session: AsyncSession, item_id: int, handles: Sequence[str]) -> FollowUp | None:
    """This person's pending follow-up on the item, if any."""
    return await session.scalar(select(FollowUp).where(
        FollowUp.pain_point_id == item_id, FollowUp.person.in_(handles), FollowUp.status == "pending"))


async def answer(*, session: AsyncSession, item_id: int, handles: Sequence[str], status: str, note: str | None,
                 at: datetime) -> FollowUp | None:
    """Answer this person's pending follow-up on the item: the one answered, or None (none pending)."""
    found = await pending(session=session, item_id=item_id, handles=handles)
    if found is not None:
        found.status, found.note, found.answered_at = status, note, at
        await session.flush()
    return found


async def postpone(*, session: AsyncSession, item_id: int, handles: Sequence[str], until: datetime
                   ) -> FollowUp | None:
    """Remind this person of their pending follow-up once more, at `until`."""
    found = await pending(session=session, item_id=item_id, handles=handles)
    if found is not None:
        found.remind_at, found.reminded_at = until, None
        await session.flush()
    return found


async def withdraw(*, session: AsyncSession, item_id: int) -> None:
    """The item's pending follow-ups are no longer owed (it was reopened)."""
    await session.execute(update(FollowUp).where(FollowUp.pain_point_id == item_id, FollowUp.status == "pending")
                          .values(status="withdrawn"))


async def claim_reminders(*, session: AsyncSession, now: datetime, limit: int = 500) -> list[FollowUp]:
    """The pending follow-ups whose reminder is due, marked reminded in this transaction: a replica sweeping at
    the same time finds them taken (the UPDATE's condition is checked again under the row's lock)."""
    due = list(await session.scalars(select(FollowUp.id).where(
        FollowUp.status == "pending", FollowUp.remind_at <= now, FollowUp.reminded_at.is_(None))
        .order_by(FollowUp.remind_at, FollowUp.id).limit(limit)))
    if not due:
        return []
    taken = await session.scalars(update(FollowUp).where(FollowUp.id.in_(due), FollowUp.reminded_at.is_(None),
                                                         FollowUp.status == "pending")
                                  .values(reminded_at=now).returning(FollowUp.id))
    ids = list(taken)
    return list(await session.scalars(select(FollowUp).where(FollowUp.id.in_(ids)).order_by(FollowUp.id)))


async def waiting(*, session: AsyncSession, where: ColumnElement[bool], limit: int = 20) -> list[Any]:
    """Pending follow-ups that `where` selects (it may name FollowUp and PainPoint): (id, summary, customer,
    person, opened_at, reminded_at), oldest first."""
    rows = await session.execute(
        select(PainPoint.id, PainPoint.summary, FollowUp.customer, FollowUp.person, FollowUp.opened_at,
               FollowUp.reminded_at)
        .join(PainPoint, PainPoint.id == FollowUp.pain_point_id)
        .where(FollowUp.status == "pending", where)
        .order_by(FollowUp.opened_at, FollowUp.id).limit(limit))
    return list(rows.all())


@dataclass(frozen=True)
class Told:
    """Customers owed word in a period (opened then): told, not needed, still pending."""

    told: int = 0
    not_needed: int = 0
    pending: int = 0

    @property
    def owed(self) -> int:
        """Those who were to hear: every one but the "not needed"."""
        return self.told + self.pending

    def __add__(self, other: Told) -> Told:
        return Told(self.told + other.told, self.not_needed + other.not_needed, self.pending + other.pending)


async def told(*, session: AsyncSession, start: datetime, end: datetime, as_of: datetime,
               where: ColumnElement[bool], by: Any = None) -> dict[Any, Told]:
    """Per value of `by` (a department, say; None: all together), the follow-ups opened in the period, as they
    stood at `as_of`: told or "not needed" by then, else pending. Those withdrawn (the item was reopened) were
    owed to nobody."""
    def counted(status: str) -> Any:
        return func.sum(case((and_(FollowUp.status == status, FollowUp.answered_at <= as_of), 1), else_=0))

    keys = [by] if by is not None else []
    rows = await session.execute(
        select(*keys, counted("told"), counted("not_needed"), func.count())
        .join(PainPoint, PainPoint.id == FollowUp.pain_point_id)
        .where(within(FollowUp.opened_at, start, end), FollowUp.status != "withdrawn", where).group_by(*keys))
    found = {}
    for row in rows.all():
        told_, not_needed, every = (int(v or 0) for v in row[-3:])
        found[row[0] if by is not None else None] = Told(told_, not_needed, every - told_ - not_needed)
    return found
