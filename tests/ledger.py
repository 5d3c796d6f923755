"""What tests share about the ledger: where the databases are, how a person's typed line is run, the
ledger's state to compare, a walk through every action, and a sender that records what it is given."""
from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App
from bot.outbox import SendFailed
from handlers.base import Actor, Command, Outcome
from handlers.clock import FixedClock
from handlers.parse import parse
from storage import db
from storage.models import Event, OutboxMessage, PainPoint

ORG = Path(__file__).parent / "org.toml"
PG_URL = os.environ.get("TEST_DATABASE_URL")


@dataclass
class Database:
    url: str
    schema: str | None = None


async def say(app: App, identity: str, line: str, *, workspace: str | None = None) -> Outcome:
    """What a person typing `line` gets: the same path as every text door."""
    parsed = parse(line)
    actor = Actor(identity=identity, workspace=workspace)
    return await app.run(Command(actor=actor, action=parsed.action, ref=parsed.ref, fields=parsed.fields))


def message(outcome: Outcome) -> str:
    return " ".join(str(r.data.get("message", "")) for r in outcome.replies)


async def snapshot(app: App) -> tuple[int, int, int, list[tuple[str, str | None, str]]]:
    """The ledger's state, to check that a refused request changed nothing."""
    async with app.db.transaction() as session:
        points = await session.scalar(select(func.count()).select_from(PainPoint))
        events = await session.scalar(select(func.count()).select_from(Event))
        notes = await session.scalar(select(func.count()).select_from(OutboxMessage))
        rows = (await session.execute(select(PainPoint.status, PainPoint.owner, PainPoint.summary)
                                      .order_by(PainPoint.id))).all()
    return int(points or 0), int(events or 0), int(notes or 0), [(r[0], r[1], r[2]) for r in rows]


async def outbox_for(app: App, recipient: str) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                                          .order_by(OutboxMessage.id)))


def free_port() -> int:
    """A loopback port nobody listens on now (for a server started in a process of its own)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def healthy(port: int, deadline: float = 60) -> None:
    """Wait for a server started in a process of its own to answer /healthz."""
    until = time.monotonic() + deadline
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < until:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)  # waiting for a child process to listen
    raise AssertionError("the server did not come up")


@dataclass
class Recorder:
    """A door that records what it delivers and fails as told."""

    prefixes: tuple[str, ...] = ("local:",)
    sent: list[tuple[int, str]] = field(default_factory=list)
    failures: list[SendFailed] = field(default_factory=list)

    async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
        if self.failures:
            raise self.failures.pop(0)
        await asyncio.sleep(0)  # let other dispatchers interleave
        self.sent.append((message.id, message.recipient))


TEXTS = {
    "short": ("Bad", "x", "A"),
    "long": ("S" * 200, "D" * 4000, "C" * 200),
    "hostile": ("<!channel> & <@U1> *bold* `code` \"quotes\" \\ back" + "é" * 20 + " <https://x|y>",
                "```\n</script>{\"blocks\": []}\n```" + "& < >" * 500, "<!here>|"),
}


async def everything(app: App, summary: str, details: str, customer: str) -> list[tuple[str, dict[str, Any]]]:
    """Walk an item through every action, collecting what each reply and notice carries."""
    rendered: list[tuple[str, dict[str, Any]]] = []

    async def run(who: str, action: str, ref: str | None = None, **fields: str) -> Outcome:
        outcome = await app.run(Command(actor=Actor(identity=who), action=action, ref=ref, fields=fields))
        rendered.extend((r.template, r.data) for r in outcome.replies)
        rendered.extend((n.template, n.data) for n in outcome.notices)
        return outcome

    await run("local:sam", "log", summary=summary, details=details, customer=customer, severity="high",
              department="billing",
              source="https://acme.slack.com/archives/C1/p1|<!channel>")
    await run("local:sam", "log", summary=summary, details=details, department="billing")  # alike: shown CX-1
    await run("local:sam", "log", summary=summary, details=details, department="billing", anyway="yes")
    await run("local:lee", "metoo", "CX-1", customer=customer)
    await run("local:dana", "ack", "CX-1")
    await run("local:dana", "ack", "CX-1")
    await run("local:lee", "comment", "CX-1", text=details)
    await run("local:dana", "snooze", "CX-1", until="2d")
    await run("local:dana", "wait", "CX-1", on=customer[:100], note=details[:2000], until="2d")  # the clock paused
    await run("local:dana", "show", "CX-1")
    await run("local:dana", "check", "CX-1", verb="wait")
    await run("local:dana", "assign", "CX-1", to="onboarding", note=details[:2000])
    await run("local:cora", "assign", "CX-1", to="billing")
    await run("local:dana", "duplicate", "CX-2", of="CX-1")
    await run("local:dana", "resolve", "CX-1", note=details, cause=details[:2000], category="product")
    await run("local:sam", "fixed", "CX-1")
    await run("local:sam", "reopen", "CX-1", reason=details[:2000])
    await run("local:dana", "decline", "CX-1", reason=details[:2000])
    for action in ("show", "mine", "home", "form", "stats", "departments", "overdue", "help", "dashboard"):
        await run("local:dana", action, "CX-1")
    await run("local:dana", "resolve", "CX-999", note="x")
    await run("local:dana", "check", "CX-1", verb="reopen")
    await run("local:sam", "log", summary=summary, details=details, department="billing", severity="critical",
              anyway="yes")
    clock = app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=50))  # the critical one: most of its hour to acknowledge has run
    await run("system:scheduler", "nudge")
    for _ in range(3):  # three working days overdue: the owner, then the lead too
        clock.advance(timedelta(days=1))
        await run("system:scheduler", "nudge")  # and the follow-ups' reminders
    for who in ("local:sam", "local:dana"):  # customers still waiting: Sam's to tell, and on Dana's items
        await run(who, "mine")
    await run("local:dana", "check", "CX-1", verb="notneeded")
    await run("local:lee", "notneeded", "CX-1", reason=details[:2000])
    await run("local:sam", "told", "CX-1")
    await run("local:sam", "show", "CX-1")  # each customer's state
    await run("local:dana", "customer", name=customer)  # the account view
    await run("local:dana", "find", words=summary)  # search: found
    await run("local:dana", "find", words="teleport")  # and nothing
    await run("local:sam", "log", summary=summary, details=details, department="billing", anyway="yes")
    await run("local:dana", "resolve", "CX-4", note=details, category="policy")  # the digest's top causes
    await run("local:sam", "check", "CX-4", verb="rate")
    await run("local:sam", "rate", "CX-4", rating="2", comment=details[:2000])  # a low rating offers to reopen
    await run("system:scheduler", "digest", week="2026-W48")
    await run("system:scheduler", "digest_send", week="2026-W47")  # only complete weeks are sent
    return rendered


@asynccontextmanager
async def ledger_at(database: Database, folder: Path, revision: str) -> AsyncIterator[AsyncEngine]:
    """An empty ledger of its own, migrated only up to `revision`, for a test of the migrations after it: a file
    in `folder` on SQLite, a schema of its own on PostgreSQL (dropped afterwards)."""
    sqlite = database.url.startswith("sqlite")
    url = f"sqlite+aiosqlite:///{folder}/old.db" if sqlite else database.url
    schema = None if sqlite else f"cxmigration_{revision}_{os.getpid()}"
    admin = db.create_engine(url)
    if schema:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.create_engine(url, schema=schema)

    def upgrade(connection: Connection) -> None:
        from alembic import command

        cfg = db.alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        yield engine
    finally:
        await engine.dispose()
        if schema:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
