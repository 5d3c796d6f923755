"""Inbound deliveries already handled, so that retries and double clicks act once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery
from storage.upsert import insert_ignore


async def first_time(*, session: AsyncSession, key: str, at: datetime) -> bool:
    """Claim a delivery key; False when another delivery (maybe still running) already claimed it."""
    return await insert_ignore(session=session, table=InboundDelivery, values={"key": key, "at": at},
                               conflict=["key"])
