"""SQLite's statements take one trip to aiosqlite's thread each, and SQLAlchemy still reads all it needs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import db
from storage.sqlite import OneTripConnection


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls sent to aiosqlite's thread from now on (each a trip there and back through the event loop)."""
    trips: list[str] = []
    sent = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await sent(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    return trips


async def test_a_statement_is_one_trip_with_its_rows_and_counts(engine: Any, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the transaction begun (BEGIN IMMEDIATE: a statement of its own)
        trips = counting(monkeypatch)
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('ana')"))
        assert inserted.lastrowid == 1 and inserted.rowcount == 1
        assert trips == ["_run"]  # aiosqlite's own cursor takes four: cursor, execute, fetchall, close
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "bea"}, {"n": "cy"}])
        rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "ana"), (2, "bea"), (3, "cy")]
        changed = await conn.execute(text("UPDATE t SET name = upper(name) WHERE id > 1"))
        assert changed.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('dee') RETURNING id, name"))
        assert tuple(returned.one()) == (4, "dee")
        assert trips == ["_run"] * 5
        await conn.commit()


async def test_a_failing_statement_raises_as_sqlalchemy_names_it_and_leaves_the_connection_usable(engine: Any
                                                                                               ) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('ana')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('ana')"))
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM t")) == 1


async def test_rows_can_be_streamed(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": f"p{n}"} for n in range(150)])
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row[0] async for row in result]
    assert names == [f"p{n}" for n in range(150)]
