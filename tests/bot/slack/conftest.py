"""Slack end to end: the bot's real server with a fake Slack Web API (the fixtures; see harness.py)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import App, create_app
from handlers.clock import FixedClock
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import Slack, slack_settings
from tests.ledger import Database


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def slack_app(database: Database, fake: FakeSlack, clock: FixedClock) -> AsyncIterator[App]:
    app = create_app(slack_settings(database, fake), clock=clock, schema=database.schema)
    app.prompt_delivery = False  # the tests run the dispatcher themselves, when they choose
    yield app


@pytest.fixture
async def slack(slack_app: App, fake: FakeSlack) -> AsyncIterator[Slack]:
    async with TestClient(TestServer(server.build(slack_app, run_scheduler=False))) as client:
        yield Slack(client, slack_app, fake)
