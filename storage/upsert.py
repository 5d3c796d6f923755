"""Insert-if-absent that holds on both SQLite and PostgreSQL: the basis of every exactly-once claim."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(*, session: AsyncSession, table: Any, values: dict[str, Any],
                        conflict: list[str]) -> bool:
    """Insert a row unless one with the same unique key exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
