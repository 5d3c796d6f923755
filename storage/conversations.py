"""Conversation references: how the bot reaches people and channels who did not just write to it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef


async def remember(*, session: AsyncSession, key: str, reference: dict[str, Any], at: datetime,
                   tenant_id: str | None, service_url: str | None, platform_user_id: str | None = None,
                   personal: bool = False) -> None:
    """Keep the newest reference; a personal (1:1) one is never replaced by a group one."""
    current = await session.get(ConversationRef, key)
    if current is None:
        session.add(ConversationRef(key=key, reference=reference, tenant_id=tenant_id, service_url=service_url,
                                    platform_user_id=platform_user_id, personal=personal, updated_at=at))
        await session.flush()
        return
    if personal or not current.personal:
        current.reference, current.personal = reference, personal or current.personal
    current.tenant_id = tenant_id or current.tenant_id
    current.service_url = service_url or current.service_url
    current.platform_user_id = platform_user_id or current.platform_user_id
    current.updated_at = at


async def get(*, session: AsyncSession, key: str) -> ConversationRef | None:
    return await session.get(ConversationRef, key)


async def any_in_tenant(*, session: AsyncSession, tenant_id: str | None) -> ConversationRef | None:
    """Some reference in the tenant, for its service URL when opening a new 1:1 chat."""
    query = select(ConversationRef).order_by(ConversationRef.updated_at.desc()).limit(1)
    if tenant_id:
        query = query.where(ConversationRef.tenant_id == tenant_id)
    return (await session.scalars(query)).first()
