"""How many pain points per second the handlers log and resolve, against raw inserts into the same database.

    python -m bench.handlers [--count 500] [--postgres postgresql+asyncpg://postgres@127.0.0.1/test]
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import event, insert, text

from bot.app import App, create_app
from bot.settings import Settings
from handlers.base import Actor, Command
from handlers.clock import FixedClock
from storage.models import PainPoint

Result = TypeVar("Result")

ORG = Path(__file__).parents[1] / "tests" / "org.toml"


async def empty_schema(app: App, schema: str | None, *, drop_only: bool = False) -> None:
    """A PostgreSQL schema of the benchmark's own, empty (or gone, afterwards); nothing to do on SQLite."""
    if schema:
        async with app.db.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not drop_only:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))


async def finished(app: App) -> None:
    """The bench is done with this app: its PostgreSQL schema is dropped (a run left five behind, one of 42 MB),
    and it is closed."""
    await empty_schema(app, app.db.schema, drop_only=True)
    await app.close()


async def fresh(url: str, schema: str | None) -> App:
    app = create_app(Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG)), clock=FixedClock(), schema=schema)
    await empty_schema(app, schema)
    await app.prepare()
    return app


LOGGED = itertools.count()


def unlike(n: int) -> str:
    """The n-th of many pain points alike in nothing but one word ("Invoice 17 kqhdmfae"), so that each is logged
    as most are: looked for among the others (one statement), none found, logged in one step."""
    code = hashlib.sha1(str(n).encode()).hexdigest()[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    return f"Invoice {n} {code}"


async def handler_rate(app: App, count: int) -> float:
    sam, dana = Actor(identity="local:sam"), Actor(identity="local:dana")
    started = time.perf_counter()
    for n in itertools.islice(LOGGED, count):  # never the same text twice, however often it is called
        logged = await app.run(Command(actor=sam, action="log", fields={"summary": unlike(n)}))
        ref = logged.replies[0].data["item"]["ref"]
        await app.run(Command(actor=dana, action="resolve", ref=ref, fields={"note": "Corrected"}))
    return count / (time.perf_counter() - started)


async def raw_rate(app: App, count: int) -> float:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    row = {"summary": "Invoice is wrong", "stage": "billing", "severity": "medium", "reporter": "local:sam",
           "department_id": 1, "owner": "local:dana", "status": "open", "created_at": now, "updated_at": now,
           "ack_due_at": now + timedelta(days=1), "resolve_due_at": now + timedelta(days=7)}
    started = time.perf_counter()
    for _ in range(count):  # one transaction per row, as each handler call has
        async with app.db.transaction() as session:
            await session.execute(insert(PainPoint).values(**row))
    return count / (time.perf_counter() - started)


RAW_SQL = ("INSERT INTO pain_points (summary, stage, severity, reporter, department_id, owner, status, created_at,"
           " updated_at, ack_due_at, resolve_due_at, restricted) VALUES ({})")


async def driver_rate(url: str, schema: str | None, count: int) -> float:
    """The machine's own pace: the same row through the bare driver (aiosqlite or asyncpg), one INSERT and COMMIT
    each, no SQLAlchemy."""
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    row = ("Invoice is wrong", "billing", "medium", "local:sam", 1, "local:dana", "open", now, now,
           now + timedelta(days=1), now + timedelta(days=7), False)
    insert_row: tuple[str, tuple[Any, ...]]
    if url.startswith("sqlite"):
        insert_row = (RAW_SQL.format(", ".join("?" * len(row))),
                      tuple(v.isoformat(" ").replace("+00:00", "") if isinstance(v, datetime) else v for v in row))
    else:
        insert_row = (RAW_SQL.format(", ".join(f"${n}" for n in range(1, len(row) + 1))), row)
    return await replay_rate(url, schema, [[insert_row]], count)


Sent = list[list[tuple[str, Any]]]  # each transaction's statements, with their parameters as the driver got them


async def statements(app: App) -> tuple[Sent, int]:
    """The SQL statements one log+resolve sends (BEGIN and COMMIT aside), by transaction, and how many one raw
    insert sends."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if not statement.startswith(("BEGIN", "COMMIT")):
            sent.append((statement, parameters))

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        n = next(LOGGED)
        logged = await app.run(Command(actor=Actor(identity="local:sam"), action="log", fields={"summary": unlike(n)}))
        log, sent[:] = list(sent), []
        ref = logged.replies[0].data["item"]["ref"]
        await app.run(Command(actor=Actor(identity="local:dana"), action="resolve", ref=ref,
                              fields={"note": "Corrected"}))
        resolve, sent[:] = list(sent), []
        await raw_rate(app, 1)
        return [log, resolve], len(sent)
    finally:
        event.remove(app.db.engine.sync_engine, "before_cursor_execute", keep)


async def replay_rate(url: str, schema: str | None, sent: Sent, count: int) -> float:
    """How many times a second the bare driver (aiosqlite or asyncpg, no SQLAlchemy) sends these transactions'
    statements, as they were sent (the same SQL and parameters), with nothing around them: for a log+resolve's,
    the most any code sending those statements could reach on this machine. Each statement is one trip to the
    database (aiosqlite's thread, asyncpg's server), its rows read."""
    if url.startswith("sqlite"):
        import aiosqlite
        async with aiosqlite.connect(url.split("///", 1)[1], isolation_level=None) as conn:
            started = time.perf_counter()
            for _ in range(count):
                for transaction in sent:
                    await conn.execute("BEGIN IMMEDIATE")
                    for statement, parameters in transaction:
                        await conn.execute_fetchall(statement, parameters)
                    await conn.execute("COMMIT")
            return count / (time.perf_counter() - started)
    import asyncpg
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql", 1),
                                 server_settings={"search_path": schema or "public", "jit": "off"})
    try:
        started = time.perf_counter()
        for _ in range(count):
            for transaction in sent:
                async with conn.transaction():
                    for statement, parameters in transaction:
                        await conn.fetch(statement, *parameters)
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


async def measure(label: str, url: str, schema: str | None, count: int) -> list[tuple[str, float, float]]:
    app = await fresh(url, schema)
    try:
        await handler_rate(app, 3)  # the first of each kind of statement is compiled and cached
        handlers = await handler_rate(app, count)
        raw = await raw_rate(app, count)
        driver = await driver_rate(url, schema, count)
        sent, raw_sent = await statements(app)
        replayed = await replay_rate(url, schema, sent, count)
    finally:
        await empty_schema(app, schema, drop_only=True)
        await app.close()
    return [(f"{label}: log+resolve via handlers (items/s)", handlers, raw),
            (f"{label}: SQL statements per log+resolve (vs raw insert)", sum(map(len, sent)), raw_sent),
            (f"{label}: raw insert via SQLAlchemy (rows/s; vs bare driver)", raw, driver),
            (f"{label}: log+resolve's statements alone, bare driver (items/s; vs raw insert)", replayed, raw)]


async def serving(web_app: web.Application, path: str, work: Callable[[str], Awaitable[Result]]) -> Result:
    """Serve `web_app` on loopback while `work` runs against the URL of `path` on it."""
    test_server = TestServer(web_app)
    await test_server.start_server()
    try:
        return await work(str(test_server.make_url(path)))
    finally:
        await test_server.close()


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = [f"{'figure':<52} {'value':>10} {'baseline':>10} {'ratio':>7}"]
    lines += [f"{name:<52} {value:>10.1f} {base:>10.1f} {value / base:>7.2f}" for name, value, base in rows]
    return "\n".join(lines)


async def measure_all(count: int, postgres: str | None) -> list[tuple[str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += await measure("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db", None, count)
    if postgres:
        rows += await measure("PostgreSQL", postgres, f"cxbench_{os.getpid()}", count)
    return rows


async def main(count: int, postgres: str | None) -> None:
    rows = await measure_all(count, postgres)
    print(f"{count} pain points each; baseline: single-row INSERTs, one transaction each, same database")
    print(table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    asyncio.run(main(args.count, args.postgres))
