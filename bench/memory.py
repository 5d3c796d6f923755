"""The server's own memory: `cxbot serve` in a process of its own (Slack and Teams on), its RSS once it answers
/healthz (imports done, app started) and its peak after rounds of Slack commands and Teams activities, each round
worked off (every command logged, every message sent) before the next.

    python -m bench.memory [--rounds 5] [--requests 600] [--postgres URL]
The load client and the fakes of Slack's Web API and the Bot Framework connector run in this process, so the
figure is the server's alone (the other benches run the server inside the bench process).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import slack, teams
from storage.models import InboxRequest, OutboxMessage
from tests.ledger import free_port, healthy

ROUNDS = 5



def rss(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) in MB, as the kernel counts them for that process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def worked_off(url: str, timeout: float = 300) -> None:
    """Every command taken in has been worked, every message sent (read from the server's database)."""
    engine = create_async_engine(url)
    deadline = time.perf_counter() + timeout
    try:
        while True:
            async with engine.connect() as conn:
                waiting = await conn.scalar(select(func.count()).where(InboxRequest.processed_at.is_(None)))
                unsent = await conn.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
            if not waiting and not unsent:
                return
            assert time.perf_counter() < deadline, f"{waiting} commands, {unsent} messages left after {timeout} s"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def serve(url: str, slack_api: str, response_url: str, rounds: int, requests: int, connector: str
                ) -> tuple[float, float]:
    """Run `cxbot serve` on `url`, load it; (RSS once serving, peak RSS) in MB."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CX_ORG_FILE": str(slack.ORG), "HOST": "127.0.0.1",
           "PORT": str(port), "SLACK_BOT_TOKEN": slack.TOKEN, "SLACK_SIGNING_SECRET": slack.SECRET,
           "SLACK_API_URL": slack_api, "CX_TEAMS_EMULATOR": "true", "PYTHONPATH": str(Path(__file__).parents[1])}
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "migrate", env=env,
                                                   stdout=asyncio.subprocess.DEVNULL)
    assert await migrate.wait() == 0, "cxbot migrate failed"
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "serve", env=env,
                                                  stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        await healthy(port, deadline=30)
        started, _ = rss(server.pid)
        for n in range(rounds):
            numbers = range(n * requests, (n + 1) * requests)
            await slack.load(f"{base}/slack/events", numbers, response_url)
            await teams.load(f"{base}/api/messages", connector, requests // 6)
            await worked_off(url)
        return started, rss(server.pid)[1]
    finally:
        server.terminate()
        await server.wait()


async def main(rounds: int, requests: int, postgres: str | None) -> list[tuple[str, float, float]]:
    fake, connector = slack.FakeSlack(), teams.FakeConnector()
    fake.server, connector.server = TestServer(fake.app()), TestServer(connector.app())
    await fake.server.start_server()
    await connector.server.start_server()
    rows: list[tuple[str, float, float]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            started, peak = await serve(f"sqlite+aiosqlite:///{folder}/memory.db", fake.url, fake.response_url(),
                                        rounds, requests, connector.url)
            rows.append(("server's own peak RSS, SQLite (MB; vs once serving)", peak, started))
        if postgres:
            name = f"cxbench_memory_{os.getpid()}"
            admin = create_async_engine(postgres, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                started, peak = await serve(postgres.rsplit("/", 1)[0] + f"/{name}", fake.url,
                                            fake.response_url(), rounds, requests,
                                            connector.url)
                rows.append(("server's own peak RSS, PostgreSQL (MB; vs once serving)", peak, started))
            finally:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await admin.dispose()
    finally:
        await fake.server.close()
        await connector.server.close()
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"cxbot serve in its own process, Slack and Teams on: {args.rounds} rounds of {args.requests} Slack commands"
          f" and {args.requests // 6} Teams activities; baseline: its RSS once it answers /healthz")
    print(table(asyncio.run(main(args.rounds, args.requests, args.postgres))))
