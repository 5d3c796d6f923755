"""Forged and replayed requests, retries, double clicks, unauthorised clicks and hostile text in Slack."""
from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from sqlalchemy import select

from storage.models import Event, InboundDelivery, PainPoint
from tests.bot.slack.fake_slack import Failure, FakeSlack
from tests.bot.slack.harness import Slack, count
from tests.bot.slack.test_blocks import check_blocks
from tests.ledger import Database


async def test_forged_signature_is_refused_and_changes_nothing(slack: Slack) -> None:
    response = await slack.command("U0SAM", "log Invoice is wrong", secret="not-the-secret")
    assert response.status == 401
    assert await count(slack, PainPoint) == 0
    assert slack.fake.called("response_url") == []


async def test_stale_timestamp_is_refused(slack: Slack) -> None:
    response = await slack.command("U0SAM", "log Invoice is wrong", timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401
    assert await count(slack, PainPoint) == 0


async def test_unsigned_request_is_refused(slack: Slack) -> None:
    response = await slack.client.post("/slack/events", data=b"command=%2Fcx&text=log+x",
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 401
    assert await count(slack, PainPoint) == 0


async def test_a_replayed_slash_command_logs_once(slack: Slack) -> None:
    first = await slack.command("U0SAM", "log Invoice is wrong", trigger="trig-same")
    second = await slack.command("U0SAM", "log Invoice is wrong", trigger="trig-same")
    assert (first.status, second.status) == (200, 200)
    assert await count(slack, PainPoint) == 1
    [answer] = slack.answers("U0SAM")  # the replay is acknowledged and ignored
    assert "Logged CX-1" in answer["text"]


async def test_double_click_acts_once_and_a_second_click_reports_state(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice is wrong")
    await slack.click("U0DANA", "cx_acknowledge", "CX-1", action_ts="1700.000001")
    await slack.click("U0DANA", "cx_acknowledge", "CX-1", action_ts="1700.000001")  # the same delivery again
    assert await count(slack, Event) == 2  # create + acknowledge
    assert len(slack.fake.called("chat.update")) == 1
    await slack.click("U0DANA", "cx_acknowledge", "CX-1", action_ts="1700.000002")  # a second click
    assert await count(slack, Event) == 2
    [stale] = [c for c in slack.fake.called("response_url") if c["name"] == "act-U0DANA"]
    assert stale["response_type"] == "ephemeral" and "Nothing to acknowledge" in stale["text"]


async def test_event_retries_are_deduplicated_and_told_not_to_retry(slack: Slack) -> None:
    event = {"type": "app_home_opened", "user": "U0DANA", "tab": "home"}
    first = await slack.event(event, event_id="Ev0SAME")
    retry = await slack.event(event, event_id="Ev0SAME", headers={"X-Slack-Retry-Num": "1",
                                                                 "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status == 200 and retry.status == 200
    assert retry.headers.get("X-Slack-No-Retry") == "1"
    assert len(slack.fake.called("views.publish")) == 1
    assert await count(slack, InboundDelivery) == 1


async def test_non_owner_clicking_resolve_gets_an_ephemeral_refusal(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice is wrong")
    await slack.click("U0LEE", "cx_resolve", "CX-1")
    assert slack.fake.called("views.open") == []
    [refusal] = [c for c in slack.fake.called("response_url") if c["name"] == "act-U0LEE"]
    assert refusal["response_type"] == "ephemeral"
    assert "Only Billing's owners and reps" in refusal["text"]
    # and submitting a forged resolve form is refused on the form, changing nothing
    response = await slack.submit("U0LEE", "cx_resolve_form", {"note": "done"}, meta={"ref": "CX-1"})
    body = await response.json()
    assert body["response_action"] == "errors" and "Only Billing's owners" in body["errors"]["note"]
    async with slack.app.db.transaction() as session:
        item = await session.get_one(PainPoint, 1)
    assert item.status == "open"


async def test_other_workspace_is_refused(slack: Slack) -> None:
    await slack.command("U0EVIL", "log Invoice is wrong", team="T0EVIL")
    assert await count(slack, PainPoint) == 0
    assert "not part of the organisation" in slack.answers("U0EVIL")[-1]["text"]


async def test_unknown_input_gets_help(slack: Slack) -> None:
    response = await slack.command("U0SAM", "frobnicate")
    assert response.status == 200
    assert "Type 'help'" in await response.text()
    await slack.command("U0SAM", "help")
    assert "/cx log" in slack.answers("U0SAM")[-1]["text"]


async def test_hostile_text_never_pings_or_links(slack: Slack) -> None:
    summary = "<!channel> <!here> <!everyone> <@U0CXO> <https://evil.example|click> & more"
    await slack.command("U0SAM", f"log {summary} dept=billing")
    await slack.app.outbox.run_once()
    [dm] = slack.fake.called("chat.postMessage")
    posted = json.dumps(dm["blocks"]) + dm["text"]
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<@U0CXO>", "<https://evil"):
        assert dangerous not in posted
    assert "&lt;!channel&gt;" in posted and "&amp; more" in posted
    assert "link_names" not in dm and dm.get("parse") is None
    reply = slack.answers("U0SAM")[-1]
    assert "<!channel>" not in reply["text"] and "&lt;!channel&gt;" in reply["text"]


async def test_a_request_accepted_by_a_process_that_died_is_finished_once(slack: Slack) -> None:
    from datetime import timedelta

    from storage.models import InboxRequest

    command = {"command": "/cx", "text": "log Invoice for order 77 is wrong", "user_id": "U0SAM",
               "team_id": "T0ACME", "channel_id": "C1", "trigger_id": "trig-orphan",
               "response_url": slack.fake.response_url("cmd-U0SAM")}
    # a process wrote it down and answered 200, then died before doing it
    assert await slack.app.inbox.accept("slack:command:trig-orphan", {"kind": "slack_command", "command": command})
    inbox = slack.app.inbox
    assert await inbox.recover() == 0  # still leased to the process that took it
    slack.app.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    assert await inbox.recover() == 1
    assert await inbox.recover() == 0
    assert await count(slack, PainPoint) == 1
    assert "Logged CX-1" in slack.answers("U0SAM")[-1]["text"]
    async with slack.app.db.transaction() as session:
        request = (await session.scalars(select(InboxRequest))).one()
    assert request.processed_at is not None
    # Slack retrying the same command afterwards changes nothing
    await slack.command("U0SAM", "log Invoice for order 77 is wrong", trigger="trig-orphan")
    assert await count(slack, PainPoint) == 1


async def test_user_text_is_escaped_once_in_every_message_not_twice(slack: Slack) -> None:
    """Shared pieces of a message (an item's header, its rows, its typed actions) are escaped once, like
    the rest: '&' reads as '&' in Slack, not as '&amp;'."""
    await slack.command("U0SAM", "log R&D's <b>export</b> fails for invoices dept=billing")
    await slack.command("U0SAM", "mine")
    mine = slack.answers("U0SAM")[-1]
    assert "R&amp;D's &lt;b&gt;export&lt;/b&gt;" in mine["text"]
    await slack.app.outbox.run_once()
    [dm] = slack.fake.called("chat.postMessage")
    for shown in (mine["text"], json.dumps(mine["blocks"]), dm["text"], json.dumps(dm["blocks"])):
        assert "&amp;amp;" not in shown and "&amp;lt;" not in shown and "&amp;gt;" not in shown, shown
    assert "to &lt;department or person&gt;" in dm["text"]  # a typed action's placeholder, escaped once


async def test_slack_unwell_at_restart_never_loses_a_command_or_says_reinstall(slack: Slack) -> None:
    from tests.bot.slack.fake_slack import Failure

    slack.fake.fail("auth.test", Failure(status=500), Failure(status=429, headers={"Retry-After": "3"}))
    response = await slack.command("U0SAM", "log Invoice is wrong")
    assert response.status == 200 and "no longer available" not in await response.text()
    assert await count(slack, PainPoint) == 1
    [answer] = slack.answers("U0SAM")
    assert "Logged CX-1" in answer["text"] and "reinstall" not in answer["text"].lower()
    clicked = await slack.click("U0DANA", "cx_acknowledge", "CX-1")
    assert clicked.status == 200 and "no longer available" not in await clicked.text()
    assert slack.fake.called("auth.test") == []  # requests run with the bot's own token, without asking


def shared_click(user: str, user_team: str, envelope_team: str, enterprise: str | None = None) -> dict[str, object]:
    """A button in a Slack Connect channel: the envelope's team may be the other side's; the user's is theirs."""
    body: dict[str, object] = {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": user_team},
        "team": {"id": envelope_team}, "api_app_id": "A0APP", "trigger_id": "trig-shared",
        "container": {"type": "message", "message_ts": "1700.1", "channel_id": "C0SHARED", "is_ephemeral": False},
        "channel": {"id": "C0SHARED"}, "response_url": "http://127.0.0.1:9/none",
        "actions": [{"action_id": "cx_acknowledge", "block_id": "cx_item_actions", "value": "CX-1", "type": "button",
                     "action_ts": f"1700.{user}"}]}
    if enterprise:
        body["enterprise"] = {"id": enterprise}
    return body


async def test_slack_connect_people_of_another_organisation_cannot_act(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice is wrong")
    await slack.interactive(shared_click("U0DANA", "T0PARTNER", "T0ACME"))  # a partner organisation's user
    assert await count(slack, Event) == 1  # not acknowledged
    await slack.interactive(shared_click("U0DANA", "T0ACME", "T0PARTNER"))  # our Dana, the other side's envelope
    assert await count(slack, Event) == 2


async def test_an_enterprise_grid_organisation_covers_all_its_workspaces(slack: Slack) -> None:
    slack.app.org = slack.app.org.model_copy(update={"slack_enterprise_ids": ["E0ACME"]})
    await slack.command("U0SAM", "log Invoice is wrong")
    await slack.interactive(shared_click("U0DANA", "T0EMEA", "T0EMEA", enterprise="E0ACME"))
    assert await count(slack, Event) == 2  # a workspace of the grid the org file names
    await slack.command("U0EVE", "log Something", team="T0ELSE")
    assert "not part of the organisation" in slack.answers("U0EVE")[-1]["text"]


async def test_socket_mode_needs_no_signing_secret_and_health_says_if_the_socket_is_up(database: Database,
                                                                                       fake: FakeSlack) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot import server
    from bot.app import create_app
    from bot.settings import Settings
    from tests.bot.slack.harness import ORG, TOKEN

    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), SLACK_BOT_TOKEN=TOKEN,
                        SLACK_APP_TOKEN="xapp-test", SLACK_API_URL=fake.url)
    assert settings.slack_enabled
    app = create_app(settings, schema=database.schema)
    assert app.slack is not None and "over Socket Mode (no public URL)" in " ".join(server.describe(app))
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        async def tried() -> None:  # the background connection asks Slack for a socket with the app token
            while not fake.called("apps.connections.open"):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(tried(), 10)
        health = await (await client.get("/healthz")).json()
        assert health["slack"] is True and health["status"] == "degraded"
        assert health["slack_problem"].startswith("Socket Mode is not connected")
        assert (await client.post("/slack/events", data=b"{}")).status == 404  # nothing unsigned over HTTP


async def test_an_answer_slack_refuses_through_its_response_url_reaches_the_person_another_way(
        slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    """A response_url Slack refuses (expired, used up): the command is done, and its answer reaches its sender once,
    as a form's submitter hears it: seen by them alone where they typed it, else in their chat with the bot (main:
    only logged; the person typed a command and heard nothing)."""
    slack.fake.expired.add("cmd-U0SAM")
    with caplog.at_level(logging.WARNING, logger="bot.slack.door"):
        await slack.command("U0SAM", "log Invoice is wrong")
    assert await count(slack, PainPoint) == 1
    assert any("refused the answer through its response_url" in r.getMessage() and "404" in r.getMessage()
               for r in caplog.records)
    [shown] = slack.fake.called("chat.postEphemeral")
    assert (shown["channel"], shown["user"]) == ("C0GENERAL", "U0SAM") and "CX-1" in shown["text"]
    check_blocks(json.loads(shown["blocks"]) if isinstance(shown["blocks"], str) else shown["blocks"], 50)
    slack.fake.fail("chat.postEphemeral", Failure(error="channel_not_found"))  # a channel the bot is not in
    await slack.command("U0SAM", "log Refund is late")
    assert [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0SAM" and "CX-2" in c["text"]]


async def test_a_button_s_answer_slack_refuses_reaches_the_person_another_way(slack: Slack) -> None:
    """The same for a button: its answer through the click's response_url (main: a refused one vanished without
    even a log line, as Bolt's respond() reports Slack's 404 rather than raising it)."""
    await slack.command("U0SAM", "log Invoice is wrong")
    slack.fake.expired.add("act-U0LEE")
    await slack.click("U0LEE", "cx_acknowledge", "CX-1", channel="D0LEE")  # not Billing's: refused, and told
    [shown] = [c for c in slack.fake.called("chat.postEphemeral") if c["user"] == "U0LEE"]
    assert shown["channel"] == "D0LEE" and "Billing" in shown["text"]


async def test_an_answer_that_reaches_nobody_is_logged_as_an_error(slack: Slack,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    slack.fake.expired.add("cmd-U0SAM")
    slack.fake.fail("chat.postEphemeral", Failure(error="channel_not_found"))
    slack.fake.fail("chat.postMessage", Failure(error="channel_not_found"))
    with caplog.at_level(logging.WARNING):
        await slack.command("U0SAM", "log Invoice is wrong")
    assert await count(slack, PainPoint) == 1
    assert any(r.levelno == logging.ERROR and "did not hear it" in r.getMessage() for r in caplog.records)


async def test_a_refused_request_is_logged_in_one_bounded_line(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    body = "token=x&text=" + "A" * 200_000 + "\n2026-11-24 INFO cxbot: forged line \x1b[31mred"
    with caplog.at_level(logging.DEBUG):
        response = await slack.post(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert response.status == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "AAAAAAAAAA" not in logged and "forged line" not in logged and "\x1b" not in logged
    assert "Refused a Slack request: invalid or stale signature" in logged


async def test_an_unsigned_body_is_never_parsed(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MB form of 150,000 fields was parsed by Bolt before its signature was checked: anonymous requests
    pushed signed ones past Slack's 3 s."""
    from slack_bolt.request import async_request

    parsed: list[int] = []
    real = async_request.parse_body

    def counting(body: str, content_type: str | None) -> dict[str, object]:
        parsed.append(len(body))
        return real(body, content_type)

    monkeypatch.setattr(async_request, "parse_body", counting)
    fields = "&".join(f"f{n}=x" for n in range(40_000))
    forged = await slack.post(fields, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert forged.status == 401 and parsed == []
    huge = await slack.post("text=" + "x" * 600_000, "application/x-www-form-urlencoded")
    assert huge.status == 413 and parsed == []
    signed = await slack.command("U0SAM", "log Invoice is wrong")  # a real one still goes through
    assert signed.status == 200 and parsed


async def test_the_inbox_keeps_no_slack_token_and_forgets_finished_requests(slack: Slack) -> None:
    from datetime import timedelta

    from storage.models import InboxRequest

    await slack.command("U0SAM", "log Invoice is wrong")
    await slack.app.inbox.drained()
    async with slack.app.db.transaction() as session:
        [row] = list(await session.scalars(select(InboxRequest)))
    assert row.processed_at is not None
    assert row.payload == {}  # main: the whole payload, Slack's verification token and response_url, forever
    slack.app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    await slack.app.inbox.recover()
    async with slack.app.db.transaction() as session:
        assert list(await session.scalars(select(InboxRequest))) == []


async def test_a_command_waiting_in_the_inbox_carries_no_verification_token(
        slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.models import InboxRequest

    async def dies(*_: object) -> None:  # the process dies after writing it down, before working on it
        return None

    commands = slack.app.slack.commands  # type: ignore[union-attr]
    real = commands.work_command
    monkeypatch.setattr(commands, "work_command", dies)
    monkeypatch.setattr(slack.app.inbox, "later", lambda *_: None)
    await slack.command("U0SAM", "log Invoice is wrong")
    async with slack.app.db.transaction() as session:
        [row] = list(await session.scalars(select(InboxRequest)))
    command = row.payload["command"]
    assert "token" not in command  # main: Slack's verification token was written down with the rest
    assert command["text"] == "log Invoice is wrong" and command["response_url"]
    monkeypatch.setattr(commands, "work_command", real)
    from datetime import timedelta

    slack.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await slack.app.inbox.recover()  # and recovery, once the dead process's lease is over, still does it
    assert await count(slack, PainPoint) == 1
