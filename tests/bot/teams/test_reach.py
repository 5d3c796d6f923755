"""Nothing is lost silently in Teams: people named by email are found in the rosters of the teams the bot is in,
whoever cannot be reached has their messages held (the admins hear once per person) and delivered when they
appear, and removing the bot drops the conversations it had."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import server
from bot.app import create_app
from bot.cli import _outbox
from bot.settings import Settings
from handlers.clock import FixedClock
from storage import conversations
from storage.models import ConversationRef, OutboxMessage
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.harness import Teams, cards
from tests.ledger import Database

TEAM = "19:team-general@thread.tacv2"
EMAIL_ORG = """
timezone = "Europe/London"
teams_tenant_ids = ["tenant-acme"]
admins = ["teams:aad-admin"]

[[departments]]
key = "billing"
name = "Billing"
owners = ["dana@example.com"]
keywords = ["invoice", "refund"]

[[departments]]
key = "cx"
name = "CX core team"
triage = true
owners = ["teams:aad-admin"]
"""


@pytest.fixture
async def by_email(database: Database, connector: FakeConnector, tmp_path: Path) -> AsyncIterator[Teams]:
    """A Teams-only deployment whose org file names Billing's owner by email only."""
    org = tmp_path / "org.toml"
    org.write_text(EMAIL_ORG)
    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(org), CX_TEAMS_EMULATOR=True)
    app = create_app(settings, clock=FixedClock(), schema=database.schema)
    app.prompt_delivery = False
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        yield Teams(client, app, connector)


async def outbox_rows(teams: Teams) -> list[OutboxMessage]:
    async with teams.app.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def reference(teams: Teams, key: str) -> ConversationRef | None:
    async with teams.app.db.transaction() as session:
        return await conversations.get(session=session, key=key)


def to(teams: Teams, conversation: str) -> list[dict[str, Any]]:
    return [b for k, c, b in teams.connector.calls if k == "send" and c.startswith(conversation)]


def installed_in_team(teams: Teams, who: str = "admin") -> dict[str, Any]:
    """Teams' conversationUpdate when someone adds the bot to a team (the bot is among membersAdded)."""
    activity = teams.activity(who, kind="conversationUpdate", personal=False, conversation=TEAM, channel=TEAM)
    activity["channelData"]["team"] = {"id": TEAM}
    activity["channelData"]["eventType"] = "teamMemberAdded"
    activity["membersAdded"] = [{"id": "28:bot"}]
    return activity


async def test_an_owner_named_by_email_is_held_then_reached_through_the_team_roster(by_email: Teams) -> None:
    teams = by_email
    await teams.say("admin", "mine")  # the admin has opened the bot
    await teams.say("sam", "log Refund missing for order 77")
    await teams.say("sam", "log Invoice shows the wrong VAT")
    await teams.app.outbox.run_once()
    await teams.app.outbox.run_once()  # what the first run queued: the admins' notice
    rows = await outbox_rows(teams)
    # Dana, known only as dana@example.com, cannot be reached yet: both assignments wait for her (on main
    # they stayed "pending" with no attempt, forever, and nobody heard)
    waiting = [r for r in rows if r.status == "waiting"]
    assert [(r.recipient, r.template) for r in waiting] == [("email:dana@example.com", "assignment")] * 2
    # the admins hear once for Dana, not once per message
    told = [b for b in to(teams, "a:personal-admin") if "couldn't reach" in str(b)]
    assert len(told) == 1 and "dana" in str(told[0]).lower() and "CX-1" in str(told[0])
    # the operator sees what waits, and for whom
    listing = await listed(teams, "waiting")
    assert listing.count("waiting for email:dana@example.com (assignment)") == 2
    # the bot is added to a team Dana is in: its roster names her, and what waited goes to her, once each
    teams.connector.rosters[TEAM] = ["29:sam", "29:dana"]
    response = await teams.post(installed_in_team(teams))
    assert response.status in (200, 201)
    assert [c for k, c, _ in teams.connector.calls if k == "roster"] == [TEAM]
    assert await teams.app.outbox.run_once() == 2
    [created] = teams.connector.sent("create")
    assert created["members"] == [{"id": "29:dana"}]
    delivered = [r for r in await outbox_rows(teams) if r.template == "assignment"]
    assert {(r.recipient, r.status) for r in delivered} == {("teams:aad-dana", "delivered")}
    assert len([b for k, c, b in teams.connector.calls if k == "send" and c.startswith("a:new-")]) == 2
    assert await teams.app.outbox.run_once() == 0
    # and what is assigned to her later goes straight to her
    await teams.say("sam", "log Refund twice for order 78 anyway=yes")
    assert await teams.app.outbox.run_once() == 1
    assert [r.recipient for r in await outbox_rows(teams) if r.template == "assignment"][-1] == "teams:aad-dana"


async def listed(teams: Teams, status: str) -> str:
    import contextlib
    import io

    printed = io.StringIO()
    settings = teams.app.settings.model_copy(update={"database_schema": teams.app.db.schema})
    with contextlib.redirect_stdout(printed):
        await _outbox(settings, status, [], False)
    return printed.getvalue()


async def test_a_long_roster_is_read_page_by_page(by_email: Teams) -> None:
    teams = by_email
    teams.connector.rosters[TEAM] = ["29:sam", "29:dana", "29:lee"]
    await teams.post(installed_in_team(teams))
    pages = [q for k, c, q in teams.connector.calls if k == "roster"]
    assert [p.get("continuationToken") for p in pages] == [None, "2"]
    for key in ("teams:aad-sam", "teams:aad-dana", "teams:aad-lee"):
        ref = await reference(teams, key)
        assert ref is not None and ref.platform_user_id and ref.team_id == TEAM and not ref.personal


async def test_uninstalling_drops_the_conversation_and_later_messages_wait(teams: Teams) -> None:
    await teams.say("admin", "mine")
    await teams.say("dana", "mine")
    assert (await reference(teams, "teams:aad-dana")) is not None
    removed = teams.activity("dana", kind="installationUpdate")
    removed["action"] = "remove"
    assert (await teams.post(removed)).status in (200, 201)
    assert await reference(teams, "teams:aad-dana") is None  # on main: the stale reference was kept
    await teams.say("sam", "log Refund missing for order 77")
    await teams.app.outbox.run_once()
    await teams.app.outbox.run_once()
    [assignment] = [r for r in await outbox_rows(teams) if r.template == "assignment"]
    assert (assignment.recipient, assignment.status) == ("teams:aad-dana", "waiting")
    assert len([b for b in to(teams, "a:personal-admin") if "couldn't reach" in str(b)]) == 1
    # Dana installs the bot again: what waited is delivered, once
    added = teams.activity("dana", kind="installationUpdate")
    added["action"] = "add"
    await teams.post(added)
    assert await teams.app.outbox.run_once() == 1
    assert len(to(teams, "a:personal-dana")) == 1


async def test_removing_the_bot_from_a_team_drops_the_team_s_conversations(by_email: Teams) -> None:
    teams = by_email
    teams.connector.rosters[TEAM] = ["29:sam", "29:dana"]
    await teams.post(installed_in_team(teams))
    await teams.say("admin", "mine")
    assert await reference(teams, "teams:aad-dana") is not None
    removed = installed_in_team(teams)
    removed.pop("membersAdded")
    removed["membersRemoved"] = [{"id": "28:bot"}]
    removed["channelData"]["eventType"] = "teamMemberRemoved"
    assert (await teams.post(removed)).status in (200, 201)
    assert await reference(teams, "teams:aad-dana") is None
    assert await reference(teams, f"teams-channel:{TEAM}") is None
    assert await reference(teams, "teams:aad-admin") is not None  # the admin's own 1:1 chat stays


async def test_a_403_drops_the_reference_holds_the_message_and_tells_the_admins(teams: Teams) -> None:
    await teams.say("admin", "mine")
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    teams.connector.failures.append(403)
    await teams.app.outbox.run_once()
    await teams.app.outbox.run_once()
    [assignment] = [r for r in await outbox_rows(teams) if r.template == "assignment"]
    assert assignment.status == "waiting" and "403" in (assignment.last_error or "")  # main: "failed", nobody told
    assert await reference(teams, "teams:aad-dana") is None
    told = [b for b in to(teams, "a:personal-admin") if "couldn't reach" in str(b)]
    assert len(told) == 1 and "Dana Owner" in str(told[0])
    # Dana writes to the bot again: her message arrives
    await teams.say("dana", "mine")
    assert await teams.app.outbox.run_once() == 1


async def test_teams_retry_after_is_honoured(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    teams.connector.failures.append((429, {"Retry-After": "120"}))
    clock = teams.app.clock
    assert isinstance(clock, FixedClock)
    assert await teams.app.outbox.run_once() == 0
    [assignment] = [r for r in await outbox_rows(teams) if r.template == "assignment"]
    assert assignment.next_attempt_at.replace(tzinfo=None) == (clock.now() + timedelta(seconds=120)).replace(
        tzinfo=None)
    assert assignment.attempts == 0  # Teams' throttling is not the message's fault
    clock.advance(timedelta(seconds=119))
    assert await teams.app.outbox.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await teams.app.outbox.run_once() == 1


async def test_a_reply_teams_did_not_take_goes_through_the_outbox(teams: Teams) -> None:
    teams.connector.failures.append(502)
    teams.connector.failing = ("reply",)
    response = await teams.say("sam", "log Invoice is wrong")
    assert response.status in (200, 201)
    [first] = teams.connector.sent("reply")  # refused by Teams
    assert "Logged CX-1" in str(first)
    await teams.app.outbox.run_once()
    again = [b for b in to(teams, "a:personal-sam") if "Logged CX-1" in str(b)]
    assert len(again) == 1 and cards(again[0])
