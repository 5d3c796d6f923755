"""Every test runs on a real SQLite file, and again on the real PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from bot.app import App, create_app
from bot.settings import Settings
from handlers.clock import FixedClock
from storage import db
from storage.models import Base
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.teams.fake_connector import FakeConnector
from tests.ledger import ORG, PG_URL, Database

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"

    async def build() -> None:
        engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
        await db.migrate(engine)
        await engine.dispose()  # the last connection to close folds the WAL into the file

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """One schema for this test run, migrated once, dropped at the end."""
    if not PG_URL:
        yield None
        return
    schema = f"cxtest_{os.getpid()}"

    async def run(*sqls: str, migrate: bool = False) -> None:
        engine = db.create_engine(PG_URL)
        async with engine.begin() as conn:
            for sql in sqls:
                await conn.execute(text(sql))
        await engine.dispose()
        if migrate:
            engine = db.create_engine(PG_URL, schema=schema)
            await db.migrate(engine)
            await engine.dispose()

    asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"', migrate=True))
    yield schema
    asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
             pg_schema: str | None) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copy(sqlite_template, path)
        yield Database(f"sqlite+aiosqlite:///{path}")
        return
    assert PG_URL and pg_schema

    async def truncate() -> None:
        # a test's setup, not the bot: on a loaded machine emptying every table may take longer than the bot's
        # own statement timeout (CI once ran beside a benchmark filling a million rows, and timed out here)
        engine = db.create_engine(PG_URL, schema=pg_schema, timeout=60)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())
    yield Database(PG_URL, pg_schema)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()  # Monday 23 Nov 2026, 09:00 in London (GMT)


@pytest.fixture
async def app(database: Database, clock: FixedClock) -> AsyncIterator[App]:
    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), CX_ADMINS="")
    application = create_app(settings, clock=clock, schema=database.schema)
    await application.prepare()
    yield application
    await application.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """Slack's Web API, faked at the HTTP level on loopback."""
    slack = FakeSlack()
    slack.server = TestServer(slack.app())
    await slack.server.start_server()
    yield slack
    await slack.server.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A Teams serviceUrl (the Bot Framework connector), faked at the HTTP level on loopback."""
    teams = FakeConnector()
    teams.server = TestServer(teams.app())
    await teams.server.start_server()
    yield teams
    await teams.server.close()
