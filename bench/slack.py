"""Signed `/cx log` requests at concurrency 32 against the bot's server, next to a bare Bolt app that only acks.

    python -m bench.slack [--requests 600] [--postgres URL]
Both run in this process on loopback, against the same local fake Web API.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bench.handlers import empty_schema
from bot import server
from bot.app import create_app
from bot.settings import Settings
from bot.slack.client import web_client
from tests.bot.slack.fake_slack import FakeSlack

SECRET, TOKEN = "bench-secret", "xoxb-test-token"
ORG = Path(__file__).parents[1] / "tests" / "bot" / "slack" / "org.toml"
CONCURRENCY = 32


def signed(n: int, response_url: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"team_id": "T0ACME", "channel_id": "C0GENERAL", "user_id": "U0SAM", "user_name": "sam",
                      "command": "/cx", "text": f"log Invoice {n} charged twice", "trigger_id": f"bench-{n}",
                      "response_url": response_url})
    ts = str(int(time.time()))
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts,
                                                                                              body=body)}


async def load(url: str, requests: int, response_url: str) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency in ms."""
    bodies = [signed(n, response_url) for n in range(requests)]
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
    return requests / elapsed, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


async def serving(web_app: web.Application, work: Callable[[str], Awaitable[tuple[float, float, float]]]
                  ) -> tuple[float, float, float]:
    test_server = TestServer(web_app)
    await test_server.start_server()
    try:
        return await work(str(test_server.make_url("/slack/events")))
    finally:
        await test_server.close()


def bare_bolt(fake: FakeSlack) -> web.Application:
    settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url)
    bolt = AsyncApp(signing_secret=SECRET, client=web_client(settings))

    @bolt.command("/cx")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    return web_app


async def bot(fake: FakeSlack, url: str, schema: str | None) -> web.Application:
    settings = Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG), SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=fake.url)
    app = create_app(settings, schema=schema)
    await empty_schema(app, schema)
    return server.build(app, run_scheduler=False)


async def main(requests: int, postgres: str | None) -> list[tuple[str, float, float]]:
    fake = FakeSlack()
    fake.server = TestServer(fake.app())
    await fake.server.start_server()
    rows: list[tuple[str, float, float]] = []
    try:
        base = await serving(bare_bolt(fake), lambda u: load(u, requests, fake.response_url()))
        targets = []
        with tempfile.TemporaryDirectory() as folder:
            targets.append(("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db", None))
            if postgres:
                targets.append(("PostgreSQL", postgres, f"cxbench_slack_{os.getpid()}"))
            for label, url, schema in targets:
                figures = await serving(await bot(fake, url, schema), lambda u: load(u, requests, fake.response_url()))
                rows += [(f"Slack /cx log on {label}: requests/s", figures[0], base[0]),
                         (f"Slack /cx log on {label}: p50 ack ms", figures[1], base[1]),
                         (f"Slack /cx log on {label}: p99 ack ms", figures[2], base[2])]
                await asyncio.sleep(0.5)  # let the listeners that run after the acks finish before teardown
    finally:
        await fake.server.close()
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"{args.requests} signed requests, concurrency {CONCURRENCY}; baseline: a bare Bolt app that only acks")
    print(table(asyncio.run(main(args.requests, args.postgres))))
