"""How the bot's connections to PostgreSQL are set up."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from storage import db
from tests.ledger import PG_URL


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_postgresql_connections_bound_their_statements_and_never_jit_compile() -> None:
    """A statement that goes silent fails within the timeout; none is JIT-compiled (a compile of 30-200 ms was
    measured on the dashboard's statements over a million items, which run in ~300 ms: main compiled them)."""
    assert PG_URL
    engine = db.create_engine(PG_URL, timeout=4)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW jit")) == "off"
            assert await conn.scalar(text("SHOW statement_timeout")) == "4s"
    finally:
        await engine.dispose()
