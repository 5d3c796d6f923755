"""Secrets never appear in logs or replies: the bot token, the signing secret, the Teams app password."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import create_app
from bot.settings import Settings
from handlers.clock import FixedClock
from tests.bot.slack.fake_slack import Failure, FakeSlack
from tests.bot.slack.harness import SECRET, TOKEN, Slack, slack_settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.harness import ORG as TEAMS_ORG
from tests.bot.teams.harness import Teams
from tests.ledger import Database

PASSWORD = "teams-app-password-value-123"


async def test_no_secret_in_logs_or_replies(database: Database, fake: FakeSlack, connector: FakeConnector,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    clock = FixedClock()
    app = create_app(slack_settings(database, fake), clock=clock, schema=database.schema)
    app.prompt_delivery = False
    fake.fail("chat.postMessage", Failure(status=500), Failure(error="invalid_auth"))
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        slack = Slack(client, app, fake)
        answers.append(await (await slack.command("U0SAM", "log Invoice is wrong")).text())
        answers.append(await (await slack.command("U0SAM", "log forged", secret="wrong")).text())
        for _ in range(3):
            await app.outbox.run_once()
            clock.advance(timedelta(hours=1))
    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(TEAMS_ORG), MICROSOFT_APP_ID="11111111-aaaa",
                        MICROSOFT_APP_PASSWORD=PASSWORD)
    teams_app = create_app(settings, schema=database.schema)
    async with TestClient(TestServer(server.build(teams_app, run_scheduler=False))) as client:
        teams = Teams(client, teams_app, connector)
        answers.append(await (await teams.say("sam", "log Invoice wrong")).text())
    text = caplog.text + "\n".join(answers) + repr(settings) + str(settings.model_dump())
    for secret in (TOKEN, SECRET, PASSWORD):
        assert secret not in text
    assert "Slack answered 500" in caplog.text or "invalid_auth" in caplog.text  # the logs did capture the failures
