"""SQLite through aiosqlite, one trip to its thread per statement.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four calls per statement (open a
cursor, execute, fetch the rows, close the cursor): four trips there and back through the event loop, each woken
by the thread. The connection here opens, executes, fetches and closes in the one trip, and keeps what SQLAlchemy
reads afterwards (the rows, their description, the row count, the last row id) on the cursor it hands back.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Self

import aiosqlite

Outcome = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows


def _run(conn: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> Outcome:
    """On aiosqlite's thread: the whole statement, its rows read."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """What SQLAlchemy's aiosqlite adapter uses of an aiosqlite cursor, each statement in one trip."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _trip(self, many: bool, sql: str, parameters: Any) -> OneTripCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._connection._execute(
            _run, self._connection._conn, many, sql, parameters)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        return await self._trip(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> OneTripCursor:
        return await self._trip(True, sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors take one trip per statement (the rest is aiosqlite's own)."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """What `aiosqlite.connect` does, with the connection above: SQLAlchemy's aiosqlite dialect calls it with the
    arguments it worked out from the URL (`async_creator_fn`)."""
    connection = OneTripConnection(lambda: sqlite3.connect(database, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy sets it on aiosqlite's own: never holds the process open
    return connection
