"""Teams message activities per second through the bot, next to a bare botbuilder echo bot, in the same run.

    python -m bench.teams [--activities 300] [--postgres URL]
Both run in this process on loopback (emulator mode, no tokens), replying to a local fake connector.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from bench.handlers import empty_schema, finished, serving, unlike
from bot import server
from bot.app import create_app
from bot.settings import Settings
from bot.teams import Config
from tests.bot.teams.fake_connector import FakeConnector

ORG = Path(__file__).parents[1] / "tests" / "bot" / "teams" / "org.toml"
CONCURRENCY = 16
ids = count(1)


def activity(service_url: str, n: int) -> dict[str, Any]:
    return {"type": "message", "id": f"bench-{next(ids)}", "channelId": "msteams", "serviceUrl": service_url,
            "from": {"id": "29:sam", "name": "Sam", "aadObjectId": "aad-sam"}, "text": f"log {unlike(n)}",
            "conversation": {"id": "a:personal-sam", "conversationType": "personal", "tenantId": "tenant-acme"},
            "recipient": {"id": "28:bot"}, "channelData": {"tenant": {"id": "tenant-acme"}}}


async def load(url: str, service_url: str, activities: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(activities):
        queue.put_nowait(n)
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                async with session.post(url, json=activity(service_url, n)) as response:
                    await response.read()
                    assert response.status in (200, 201), response.status

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return activities / (time.perf_counter() - started)


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(turn_context.activity.text or "")


def echo_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config(Settings(CX_TEAMS_EMULATOR=True))))
    bot = Echo()

    async def messages(request: web.Request) -> web.Response:
        body = Activity().deserialize(await request.json())
        await adapter.process_activity(request.headers.get("Authorization", ""), body, bot.on_turn)
        return web.Response(status=201)

    web_app = web.Application()
    web_app.router.add_post("/api/messages", messages)
    return web_app


async def main(activities: int, postgres: str | None) -> list[tuple[str, float, float]]:
    connector = FakeConnector()
    connector.server = TestServer(connector.app())
    await connector.server.start_server()
    rows = []
    try:
        bare = await serving(echo_app(), "/api/messages", lambda u: load(u, connector.url, activities))
        with tempfile.TemporaryDirectory() as folder:
            targets: list[tuple[str, str, str | None]] = [("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db", None)]
            if postgres:
                targets.append(("PostgreSQL", postgres, f"cxbench_teams_{os.getpid()}"))
            for label, url, schema in targets:
                app = create_app(Settings(DATABASE_URL=url, CX_ORG_FILE=str(ORG), CX_TEAMS_EMULATOR=True),
                                 schema=schema)
                await empty_schema(app, schema)
                rate = await serving(server.build(app, run_scheduler=False), "/api/messages",
                                     lambda u: load(u, connector.url, activities))
                rows.append((f"Teams log activities/s, {label}", rate, bare))
                await finished(app)  # served and closed: its schema goes
    finally:
        await connector.server.close()
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"{args.activities} activities at concurrency {CONCURRENCY}; baseline: a bare botbuilder echo bot")
    print(table(asyncio.run(main(args.activities, args.postgres))))
