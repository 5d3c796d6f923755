"""Ratings of fixes (models.Rating)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import upsert
from storage.models import PainPoint, Rating
from storage.reports import within


async def give(*, session: AsyncSession, item_id: int, person: str, resolved_at: datetime, rating: int,
               comment: str | None, at: datetime) -> tuple[int, str | None] | None:
    """Record this person's rating of this resolution, or change the one they gave: (rating, comment) as it was
    before (None: the first)."""
    before = await mine(session=session, item_id=item_id, person=person, resolved_at=resolved_at)
    await upsert(session=session, table=Rating, conflict=["pain_point_id", "person", "resolved_at"],
                 values={"pain_point_id": item_id, "person": person, "resolved_at": resolved_at, "rating": rating,
                         "comment": comment, "at": at})
    return before


async def mine(*, session: AsyncSession, item_id: int, person: str, resolved_at: datetime
               ) -> tuple[int, str | None] | None:
    """(rating, comment) this person gave this resolution, if any."""
    found = (await session.execute(select(Rating.rating, Rating.comment).where(
        Rating.pain_point_id == item_id, Rating.person == person, Rating.resolved_at == resolved_at))).first()
    return None if found is None else (int(found[0]), found[1])


@dataclass(frozen=True)
class Rated:
    count: int
    total: int

    @property
    def average(self) -> float:
        return self.total / self.count


async def rated(*, session: AsyncSession, start: datetime, end: datetime, where: ColumnElement[bool],
                by: Any = None) -> dict[Any, Rated]:
    """Per value of `by` (None: all together), the ratings given in the period: how many, and their sum."""
    keys = [by] if by is not None else []
    rows = await session.execute(
        select(*keys, func.count(), func.sum(Rating.rating)).join(PainPoint, PainPoint.id == Rating.pain_point_id)
        .where(within(Rating.at, start, end), where).group_by(*keys))
    return {(r[0] if by is not None else None): Rated(int(r[-2]), int(r[-1] or 0)) for r in rows.all() if r[-2]}
