"""The inbox: requests accepted (written down) before they are answered, worked on after."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.models import InboxRequest


async def accept_many(*, session: AsyncSession, requests: Sequence[tuple[str, dict[str, Any]]], at: datetime,
                      lease: timedelta) -> list[int | None]:
    """Write several requests down with one statement (in the caller's transaction).

    Gives each request its new row's id, or None when its key was written down before (a redelivery) or
    earlier in the same batch (the first one wins).
    """
    payloads: dict[str, dict[str, Any]] = {}
    for key, payload in requests:
        payloads.setdefault(key, payload)  # each key once, in order of arrival, with its first payload
    rows = [{"key": key, "payload": payload, "received_at": at, "claimed_until": at + lease}
            for key, payload in payloads.items()]
    table = InboxRequest.__table__
    dialect = session.get_bind().dialect
    statement = (postgresql if dialect.name == "postgresql" else sqlite).insert(table).on_conflict_do_nothing(
        index_elements=["key"])
    if dialect.insert_executemany_returning:  # PostgreSQL, and SQLite 3.35 or newer: the rows it made
        result = await session.execute(statement.returning(table.c.key, table.c.id), rows)
        ids = {row.key: row.id for row in result}
    else:  # an older SQLite: its BEGIN IMMEDIATE holds the only write lock, so nobody inserts in between
        keys = list(payloads)
        before = set(await session.scalars(select(InboxRequest.key).where(InboxRequest.key.in_(keys))))
        await session.execute(statement, rows)
        result = await session.execute(select(InboxRequest.key, InboxRequest.id).where(
            InboxRequest.key.in_([key for key in keys if key not in before])))
        ids = {row.key: row.id for row in result}
    return [ids.pop(key, None) for key, _ in requests]  # a key repeated in the batch: its first request only


async def done(*, session: AsyncSession, request_id: int, at: datetime) -> None:
    """Finished: what it carried (a response_url, the person's text) is dropped; its key stays a while, so that
    a redelivery is still known."""
    await session.execute(update(InboxRequest).where(InboxRequest.id == request_id).values(
        processed_at=at, claimed_until=None, payload={}))


async def prune(*, session: AsyncSession, before: datetime) -> int:
    """Forget the requests finished before `before` (platforms redeliver within minutes); returns how many."""
    result = await session.execute(delete(InboxRequest).where(InboxRequest.processed_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def unfinished(*, session: AsyncSession, now: datetime, lease: timedelta,
                     limit: int = 50) -> list[InboxRequest]:
    """Requests nobody finished (their process died, or they failed): take them over under a new lease, each
    taking counted."""
    taken = await leases.take(session=session, model=InboxRequest, now=now, lease=lease, limit=limit,
                              where=[InboxRequest.processed_at.is_(None), InboxRequest.failed_at.is_(None)])
    for request in taken:
        request.tries += 1
    await session.flush()
    return taken


async def note_error(*, session: AsyncSession, request_id: int, error: str) -> None:
    await session.execute(update(InboxRequest).where(InboxRequest.id == request_id).values(last_error=error[:2000]))


async def gave_up(*, session: AsyncSession, request_id: int, at: datetime, error: str) -> None:
    """A request that kept failing: recorded as failed with its reason, never taken again."""
    await session.execute(update(InboxRequest).where(InboxRequest.id == request_id).values(
        failed_at=at, claimed_until=None, last_error=error[:2000]))


async def failed(*, session: AsyncSession, limit: int = 100) -> list[InboxRequest]:
    query = select(InboxRequest).where(InboxRequest.failed_at.is_not(None))
    return list(await session.scalars(query.order_by(InboxRequest.id.desc()).limit(limit)))
