"""Claims: insert-if-absent that holds on both SQLite and PostgreSQL, the basis of every act-once rule (an
inbound platform delivery handled once, a chat message logged once, a digest sent once)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundDelivery


async def insert_ignore(*, session: AsyncSession, table: Any, values: dict[str, Any],
                        conflict: list[str]) -> bool:
    """Insert a row unless one with the same unique key exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def upsert(*, session: AsyncSession, table: Any, values: dict[str, Any], conflict: list[str]) -> None:
    """Insert a row, or update the one with the same unique key to these values: one statement, and two
    requests at once leave one row."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=conflict, set_={k: v for k, v in values.items() if k not in conflict}))


async def first_time(*, session: AsyncSession, key: str, at: datetime) -> bool:
    """Claim a key (a platform's delivery id, a message's link); False when another request (maybe still
    running) already claimed it."""
    return await insert_ignore(session=session, table=InboundDelivery, values={"key": key, "at": at},
                               conflict=["key"])
