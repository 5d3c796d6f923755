"""Engine, sessions and migrations for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite+aiosqlite:///cxbot.db"
READ_ONLY = "cx_read_only"  # an execution option: this transaction reads only
# what the database raises when it is away (as opposed to a bug of ours)
UNAVAILABLE = (OperationalError, DBAPIError, OSError, ConnectionError, TimeoutError)


SECRET_PARAMS = ("password", "pass", "passwd", "sslpassword", "token", "secret")


def shown_url(url: str) -> str:
    """A database URL fit for a log line: no password, in the user part or in the query."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # noqa: BLE001 - an URL we cannot read is not shown at all
        return "(an unreadable DATABASE_URL)"
    query = {k: ("***" if k.lower() in SECRET_PARAMS else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick the async driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+asyncpg://" + url[len("postgresql+psycopg2://"):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(f"DATABASE_URL {url.split(':', 1)[0][:30]!r}... is not a database cxbot can use: give "
                         "sqlite:///cxbot.db or postgresql://user:password@host/db")
    return url


TIMEOUT = 10.0  # seconds: connecting, each statement, waiting for a pooled connection


def create_engine(url: str, *, schema: str | None = None, timeout: float = TIMEOUT, **kwargs: Any) -> AsyncEngine:
    """An engine that never waits forever: a database that goes silent fails a request within `timeout` (and
    the connection it held is dropped), instead of wedging every request behind it."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # one trip to aiosqlite's thread per statement (storage.sqlite), not four
        engine = create_async_engine(url, connect_args={"timeout": 30, "async_creator_fn": sqlite.connect}, **kwargs)
        _tune_sqlite(engine)
        return engine
    server = {"statement_timeout": str(int(timeout * 1000)),
              "idle_in_transaction_session_timeout": str(int(timeout * 6000)),
              # no JIT compiling: on a dashboard statement over a million items it took 30-200 ms to compile what
              # ran in 300 (the scorecards' p95 ~12% lower without it), and the bot's other statements are short
              "jit": "off"}
    if schema:
        server["search_path"] = schema
    connect_args: dict[str, Any] = {"timeout": timeout, "command_timeout": timeout, "server_settings": server}
    engine = create_async_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_timeout=timeout,
                                 **kwargs)

    @event.listens_for(engine.sync_engine, "handle_error")
    def on_error(context: Any) -> None:  # a statement that timed out leaves its connection mid-protocol
        if isinstance(context.original_exception, TimeoutError | asyncio.TimeoutError):
            context.is_disconnect = True

    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let us issue BEGIN ourselves (below); WAL lets readers run beside the one writer
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        # take the write lock up front: a deferred transaction that later writes fails at once with
        # "database is locked" instead of waiting out the busy timeout. A read-only one reads beside the
        # writer (WAL) and takes no lock.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def alembic_config() -> Any:
    from alembic.config import Config  # alembic (with mako) loads only when a migration is to run: ~10 MB

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest migration, read from the migration files themselves (the one no other revises), so that an
    up-to-date database is recognised without loading alembic."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision = "([^"]+)"', source, re.MULTILINE)
        down = re.search(r'^down_revision = (?:"([^"]+)"|None)', source, re.MULTILINE)
        if revision:
            revisions[revision.group(1)] = down.group(1) if down else None
    heads = set(revisions) - set(revisions.values())
    assert len(heads) == 1, f"the migrations must have one head, not {sorted(heads)}"
    return heads.pop()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None: none yet)."""
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:  # no alembic_version table: a database never migrated
        return None


class SchemaNotReady(Exception):
    """The database has no tables yet, or older ones than this version of the bot needs."""


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaNotReady unless the schema is at the newest migration (read only: changes nothing)."""
    revision, head = await current_revision(engine), head_revision()
    if revision != head:
        raise SchemaNotReady(f"the database is at migration {revision or 'none'}, this cxbot needs {head}")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent; run at every start)."""
    if await current_revision(engine) == head_revision():
        return  # nothing to do, and alembic is not even loaded

    def upgrade(connection: Connection) -> None:
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


STARTUP_LOCK = 7_306_211  # an arbitrary, fixed PostgreSQL advisory-lock key: "cxbot is starting"


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Replicas starting together take turns to migrate and load the org file (PostgreSQL; SQLite has one)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            await conn.commit()


class WriteGate:
    """Transactions take turns here, in order, with urgent ones (writing a request down before answering
    Slack) first, so that a burst of work never keeps an answer waiting.

    SQLite has one writer at a time and makes the others poll for its lock, unfairly: its gate lets one
    through. PostgreSQL takes `capacity` at once (the connection pool's size less one), and urgent ones
    pass at once.
    """

    def __init__(self, capacity: int | None, *, urgent_waits: bool = False) -> None:
        self.capacity, self.urgent_waits = capacity, urgent_waits
        self.busy = 0
        self.urgent_waiting = 0
        self.changed = asyncio.Condition()

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> WriteGate:
        if engine.dialect.name == "sqlite":
            return cls(1, urgent_waits=True)
        return cls(max(engine.pool.size() - 1, 1))  # type: ignore[attr-defined]

    @asynccontextmanager
    async def __call__(self, urgent: bool = False) -> AsyncIterator[None]:
        if self.capacity is None or (urgent and not self.urgent_waits):
            yield
            return
        capacity = self.capacity
        async with self.changed:
            if urgent:
                self.urgent_waiting += 1
            try:
                await self.changed.wait_for(
                    lambda: self.busy < capacity and (urgent or not self.urgent_waiting))
            finally:
                if urgent:
                    self.urgent_waiting -= 1
            self.busy += 1
        try:
            yield
        finally:
            async with self.changed:
                self.busy -= 1
                self.changed.notify_all()


class Database:
    """The ledger's engine, and the one way any code opens a session: `transaction()`, which takes its turn
    at the write gate, begins, and commits (or rolls back) when the block ends."""

    def __init__(self, url: str, *, schema: str | None = None, timeout: float = TIMEOUT) -> None:
        self.schema, self.timeout = schema, timeout
        self.engine = create_engine(url, schema=schema, timeout=timeout)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.gate = WriteGate.for_engine(self.engine)

    @asynccontextmanager
    async def transaction(self, urgent: bool = False, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction; `urgent` ones (writing a request down before answering it) go first. A `read_only`
        one (it must write nothing) skips the turns writers take: on SQLite it reads beside the one writer."""
        if read_only:
            async with self.sessions() as session, session.begin():
                await session.connection(execution_options={READ_ONLY: True})
                yield session
            return
        async with self.gate(urgent=urgent), self.sessions() as session, session.begin():
            yield session

    async def prepare(self, apply: Any, *, write: bool = True) -> None:
        """Migrate the schema, then run `apply(session)` (loading the org file) in one transaction; replicas
        starting together take turns. With `write` False, only check that the schema is ready."""
        if not write:
            await check_schema(self.engine)
            return
        async with startup_lock(self.engine):
            await migrate(self.engine)
            async with self.transaction() as session:
                await apply(session)

    async def reachable(self) -> bool:
        return await self.problem() is None

    async def problem(self) -> str | None:
        """What keeps the database from answering now (None: it answers), within the timeout."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return f"the database did not answer within {self.timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure is the answer
            return f"the database refused: {type(getattr(error, 'orig', error)).__name__}"
        return None

    async def close(self) -> None:
        await self.engine.dispose()
