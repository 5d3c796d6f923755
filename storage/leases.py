"""Taking rows under a lease: the one way a process claims work (outbox messages, inbox requests) so that no
other process does it too, and a process that dies gives it back when the lease runs out."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


async def take(*, session: AsyncSession, model: type[Row], where: list[ColumnElement[bool]], now: datetime,
               lease: timedelta, limit: int) -> list[Row]:
    """Rows matching `where` that nobody holds, now held by the caller until `now + lease`.

    On PostgreSQL concurrent takers skip each other's rows; SQLite's single writer serialises them.
    """
    table: Any = model
    query = (select(model)
             .where(*where, or_(table.claimed_until.is_(None), table.claimed_until <= now))
             .order_by(table.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(await session.scalars(query))
    held: list[Any] = rows
    for row in held:
        row.claimed_until = now + lease
    await session.flush()
    return rows
