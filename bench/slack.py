"""Signed `/cx log` requests at concurrency 32 against the bot's server, next to a bare Bolt app that only acks.

    python -m bench.slack [--requests 600] [--postgres URL]
Both run in this process on loopback, against the same local fake Web API.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bench.handlers import empty_schema, finished, serving, unlike
from bot import server
from bot.app import App, create_app
from bot.settings import Settings
from bot.slack.client import web_client
from storage.models import InboxRequest, OutboxMessage, PainPoint
from tests.bot.slack.fake_slack import FakeSlack

SECRET, TOKEN = "bench-secret", "xoxb-test-token"
ORG = Path(__file__).parents[1] / "tests" / "bot" / "slack" / "org.toml"
CONCURRENCY = 32
ROUNDS = 3
Figures = tuple[float, float, float]  # requests/s, p50 ms, p99 ms


def signed(n: int, response_url: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"team_id": "T0ACME", "channel_id": "C0GENERAL", "user_id": "U0SAM", "user_name": "sam",
                      "command": "/cx", "text": f"log {unlike(n)}", "trigger_id": f"bench-{n}",
                      "response_url": response_url})
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": signature}


async def load(url: str, numbers: range, response_url: str) -> Figures:
    """Requests per second, p50 and p99 latency in ms (of the answers; the work may still be going on)."""
    bodies = [signed(n, response_url) for n in numbers]
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            while not queue.empty():
                body, headers = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return len(numbers) / elapsed, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


def bare_bolt(fake: FakeSlack) -> web.Application:
    settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url)
    bolt = AsyncApp(signing_secret=SECRET, client=web_client(settings))

    @bolt.command("/cx")
    async def only_ack(ack):
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    return web_app


async def bot(fake: FakeSlack, url: str, schema: str | None) -> tuple[App, web.Application]:
    settings = Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG), SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=fake.url)
    app = create_app(settings, schema=schema)
    await empty_schema(app, schema)
    return app, server.build(app, run_scheduler=False)


async def worked_off(app: App, requests: int, timeout: float = 300) -> None:
    """Wait until all is done: every command logged exactly once, the inbox empty, every DM sent."""
    deadline = time.perf_counter() + timeout
    while True:
        # read beside the bot's writers: a write transaction would take the bot's write gate every 50 ms
        async with app.db.transaction(read_only=True) as session:
            waiting = await session.scalar(select(func.count()).where(InboxRequest.processed_at.is_(None)))
            unsent = await session.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
            logged = await session.scalar(select(func.count()).select_from(PainPoint))
        if not waiting and not unsent:
            assert logged == requests, f"{logged} pain points from {requests} commands"
            return
        assert time.perf_counter() < deadline, f"{waiting} commands, {unsent} messages waiting after {timeout} s"
        await asyncio.sleep(0.05)


async def bot_round(web_app: web.Application, app: App, numbers: range, response_url: str
                    ) -> tuple[Figures, tuple[float, float]]:
    """One burst against the bot: its answer figures, and (s until all was done, s until all was answered)."""
    timing: list[float] = []

    async def burst(url: str) -> Figures:
        started = time.perf_counter()
        figures = await load(url, numbers, response_url)
        timing.append(time.perf_counter() - started)
        await worked_off(app, numbers.stop)  # the work after the answers, before the next round
        timing.insert(0, time.perf_counter() - started)
        return figures

    figures = await serving(web_app, "/slack/events", burst)
    return figures, (timing[0], timing[1])


async def main(requests: int, postgres: str | None, rounds: int = ROUNDS) -> list[tuple[str, float, float]]:
    """Each round: a burst against the bare app, then the same burst against the bot and the wait until all
    of it is done. The figures are the medians of the rounds (this machine's speed drifts between runs)."""
    fake = FakeSlack()
    fake.server = TestServer(fake.app())
    await fake.server.start_server()
    rows: list[tuple[str, float, float]] = []
    try:
        targets: list[tuple[str, str, str | None]] = []
        with tempfile.TemporaryDirectory() as folder:
            targets.append(("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db", None))
            if postgres:
                targets.append(("PostgreSQL", postgres, f"cxbench_slack_{os.getpid()}"))
            for label, url, schema in targets:
                app, web_app = await bot(fake, url, schema)
                bare_app = bare_bolt(fake)  # both warm up in the first round and are reused after
                bare: list[Figures] = []
                ours: list[Figures] = []
                done: list[tuple[float, float]] = []
                for turn in range(rounds):
                    numbers = range(turn * requests, (turn + 1) * requests)
                    bare.append(await serving(bare_app, "/slack/events", functools.partial(
                        load, numbers=numbers, response_url=fake.response_url())))
                    figures, timing = await bot_round(web_app, app, numbers, fake.response_url())
                    fake.calls.clear()  # the fake keeps every call for tests to read; here it would only grow
                    ours.append(figures)
                    done.append(timing)
                await finished(app)
                value, base = medians(ours), medians(bare)
                all_done, answered = medians(done)
                rows += [(f"Slack /cx log on {label}: requests/s", value[0], base[0]),
                         (f"Slack /cx log on {label}: p50 ack ms", value[1], base[1]),
                         (f"Slack /cx log on {label}: p99 ack ms", value[2], base[2]),
                         (f"Slack /cx log on {label}: s to all done (vs answered)", all_done, answered)]
    finally:
        await fake.server.close()
    return rows


def medians(runs: Sequence[tuple[float, ...]]) -> tuple[float, ...]:
    return tuple(statistics.median(figure) for figure in zip(*runs, strict=True))


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"{args.requests} signed requests at concurrency {CONCURRENCY}, median of {args.rounds} rounds; "
          "baseline: a bare Bolt app that only acks, in the same rounds")
    print(table(asyncio.run(main(args.requests, args.postgres, args.rounds))))
