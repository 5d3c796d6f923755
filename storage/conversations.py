"""Conversation references: how the bot reaches people and channels who did not just write to it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef


async def remember(*, session: AsyncSession, key: str, reference: dict[str, Any], at: datetime,
                   tenant_id: str | None, service_url: str | None, platform_user_id: str | None = None,
                   personal: bool = False, team_id: str | None = None) -> None:
    """Keep the newest reference; a personal (1:1) one is never replaced by a group one."""
    conversation = str((reference.get("conversation") or {}).get("id") or "")[:300] or None
    current = await session.get(ConversationRef, key)
    if current is None:
        session.add(ConversationRef(key=key, reference=reference, tenant_id=tenant_id, service_url=service_url,
                                    platform_user_id=platform_user_id, personal=personal, updated_at=at,
                                    conversation_id=conversation, team_id=team_id))
        await session.flush()
        return
    if personal or not current.personal:
        current.reference, current.personal = reference, personal or current.personal
        current.conversation_id, current.team_id = conversation, team_id
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


async def forget(*, session: AsyncSession, keys: tuple[str, ...] = (), conversation_id: str | None = None,
                 team_id: str | None = None) -> list[str]:
    """Drop references: by key, those that came from a conversation, or from any conversation of a team.
    Returns the keys dropped."""
    wanted: list[ColumnElement[bool]] = [ConversationRef.key.in_(list(keys))] if keys else []
    if conversation_id:
        wanted.append(ConversationRef.conversation_id == conversation_id)
    if team_id:
        wanted.append(ConversationRef.team_id == team_id)
    if not wanted:
        return []
    result = await session.scalars(delete(ConversationRef).where(or_(*wanted)).returning(ConversationRef.key))
    return list(result)
