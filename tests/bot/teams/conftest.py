"""Teams end to end: the bot's real server with a fake Bot Framework connector (the fixtures; see harness.py)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import create_app
from handlers.clock import FixedClock
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.harness import Teams, teams_settings
from tests.ledger import Database


@pytest.fixture
async def teams(database: Database, connector: FakeConnector) -> AsyncIterator[Teams]:
    app = create_app(teams_settings(database), clock=FixedClock(), schema=database.schema)
    app.prompt_delivery = False
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        yield Teams(client, app, connector)
