"""The inbox: requests accepted (written down) before they are answered, worked on after."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.models import InboxRequest
from storage.upsert import insert_ignore


async def accept(*, session: AsyncSession, key: str, payload: dict[str, Any], at: datetime,
                 lease: timedelta) -> int | None:
    """Write a request down, held by this process for `lease`; None when the same delivery came before."""
    if not await insert_ignore(session=session, table=InboxRequest, conflict=["key"], values={
            "key": key, "payload": payload, "received_at": at, "claimed_until": at + lease}):
        return None
    return await session.scalar(select(InboxRequest.id).where(InboxRequest.key == key))


async def done(*, session: AsyncSession, request_id: int, at: datetime) -> None:
    await session.execute(update(InboxRequest).where(InboxRequest.id == request_id).values(
        processed_at=at, claimed_until=None))


async def unfinished(*, session: AsyncSession, now: datetime, lease: timedelta,
                     limit: int = 50) -> list[InboxRequest]:
    """Requests nobody finished (their process died): take them over under a new lease."""
    return await leases.take(session=session, model=InboxRequest, where=[InboxRequest.processed_at.is_(None)],
                             now=now, lease=lease, limit=limit)
