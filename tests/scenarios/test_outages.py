"""Outages: the database goes away for a moment. Clear replies, no partial state, recovery without a restart."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import server
from bot.app import create_app
from bot.settings import Settings
from handlers.base import Actor, Command
from handlers.clock import FixedClock
from storage.models import Event, OutboxMessage, PainPoint
from tests.ledger import ORG, PG_URL, Database


class Proxy:
    """A TCP forwarder in front of PostgreSQL that the test can cut and restore: an outage on loopback."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.silent = False  # connections stay open, and nothing gets through either way

    async def start(self) -> None:
        self.server = server = await asyncio.start_server(self.link, "127.0.0.1", self.port)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.links):
            writer.close()
        self.links.clear()

    async def link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.links.update({writer, upstream_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    if self.silent:
                        continue
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    if not PG_URL:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    parts = urlsplit(PG_URL.replace("+asyncpg", ""))
    made = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    await made.start()
    yield made
    if made.server is not None and made.server.is_serving():
        await made.stop()


async def test_database_outage_then_recovery(proxy: Proxy, database: Database) -> None:
    if database.schema is None:
        pytest.skip("the PostgreSQL half of the suite")
    parts = urlsplit(PG_URL or "")
    url = PG_URL.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")  # type: ignore[union-attr]
    app = create_app(Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG)), clock=FixedClock(), schema=database.schema)
    sam = Actor(identity="local:sam")
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        assert (await app.run(Command(actor=sam, action="log", fields={"summary": "Invoice late"}))).ok
        await proxy.stop()
        outcome = await app.run(Command(actor=sam, action="log", fields={"summary": "Refund missing"}))
        assert not outcome.ok and "try again" in outcome.replies[0].data["message"]
        health = await client.get("/healthz")
        assert health.status == 503 and (await health.json())["database"] is False
        await proxy.start()  # the same port: the bot recovers without a restart
        again = await app.run(Command(actor=sam, action="log", fields={"summary": "Refund missing"}))
        assert again.ok and again.replies[0].data["item"]["ref"] == "CX-2"
        assert (await client.get("/healthz")).status == 200
    checker = create_app(Settings(DATABASE_URL=PG_URL or "", CX_ORG_FILE=str(ORG)), schema=database.schema)
    async with checker.db.transaction() as session:
        summaries = list(await session.scalars(select(PainPoint.summary).order_by(PainPoint.id)))
        events = await session.scalar(select(func.count()).select_from(Event))
        notices = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await checker.close()
    assert summaries == ["Invoice late", "Refund missing"]  # nothing half-written by the failed attempt
    assert events == 2 and notices == 2


async def test_a_silent_database_fails_requests_in_time_and_the_bot_recovers(proxy: Proxy, database: Database) -> None:
    """The path to the database goes silent (connections open, nothing forwarded): on main every request, and
    /healthz, hung for as long as the cut lasted, and requests failed long after it ended."""
    if database.schema is None:
        pytest.skip("the PostgreSQL half of the suite")
    parts = urlsplit(PG_URL or "")
    url = PG_URL.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")  # type: ignore[union-attr]
    app = create_app(Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG), CX_DATABASE_TIMEOUT_SECONDS=1),
                     clock=FixedClock(), schema=database.schema)
    sam = Actor(identity="local:sam")
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        assert (await app.run(Command(actor=sam, action="log", fields={"summary": "Invoice late"}))).ok
        proxy.silent = True
        outcome = await asyncio.wait_for(app.run(Command(actor=sam, action="log", fields={"summary": "Refund"})), 15)
        assert not outcome.ok and "try again" in outcome.replies[0].data["message"]
        health = await asyncio.wait_for(client.get("/healthz"), 15)
        body = await health.json()
        assert health.status == 503 and "did not answer within 1 s" in body["database_problem"]
        proxy.silent = False  # the path is back: so is the bot, at once
        again = await asyncio.wait_for(app.run(Command(actor=sam, action="log", fields={"summary": "Refund"})), 15)
        assert again.ok, again.replies[0].data
        assert (await client.get("/healthz")).status == 200
