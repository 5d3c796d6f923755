"""The whole accountability loop in Slack, through the real HTTP path."""
from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import server
from bot.app import create_app
from storage.models import Event, OutboxMessage, PainPoint, Person
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import Slack, slack_settings
from tests.ledger import Database


async def ledger(slack: Slack) -> list[PainPoint]:
    async with slack.app.db.transaction() as session:
        return list(await session.scalars(select(PainPoint).order_by(PainPoint.id)))


async def actions(slack: Slack, number: int) -> list[str]:
    async with slack.app.db.transaction() as session:
        return list(await session.scalars(select(Event.action).where(Event.pain_point_id == number)
                                          .order_by(Event.id)))


def texts(blocks: list[dict]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) if isinstance(b.get("text"), dict) else ""
                     for b in blocks)


async def test_log_acknowledge_resolve_and_the_reporter_hears_back(slack: Slack) -> None:
    fake = slack.fake
    response = await slack.command("U0SAM", "log Customer charged twice on invoice 8812 severity=high")
    assert response.status == 200
    assert await response.text() == ""  # acknowledged at once; the answer follows through response_url
    [reply] = slack.answers("U0SAM")
    assert reply["response_type"] == "ephemeral"
    assert "Logged CX-1" in reply["text"] and "Billing" in reply["text"]
    [item] = await ledger(slack)
    assert (item.owner, item.reporter, item.status) == ("slack:U0DANA", "slack:U0SAM", "open")
    # the owner's DM goes out through the outbox
    assert await slack.app.outbox.run_once() == 1
    [dm] = fake.called("chat.postMessage")
    assert dm["channel"] == "U0DANA"
    assert [e["action_id"] for e in dm["blocks"][-1]["elements"]] == [
        "cx_acknowledge", "cx_reassign", "cx_snooze", "cx_resolve", "cx_decline", "cx_wait"]
    # Dana acknowledges from the DM: the message is updated in place
    response = await slack.click("U0DANA", "cx_acknowledge", "CX-1", channel="D0DANA", ts="1700.000100")
    assert response.status == 200
    [update] = fake.called("chat.update")
    assert (update["channel"], update["ts"]) == ("D0DANA", "1700.000100")
    assert "acknowledged" in str(update["blocks"])
    assert "cx_acknowledge" not in str(update["blocks"])
    # Resolve opens a modal; submitting it resolves and updates the DM
    await slack.click("U0DANA", "cx_resolve", "CX-1", channel="D0DANA", ts="1700.000100")
    [opened] = fake.called("views.open")
    assert opened["view"]["callback_id"] == "cx_resolve_form"
    meta = opened["view"]["private_metadata"]
    response = await slack.submit("U0DANA", "cx_resolve_form", {"note": "Refunded the duplicate charge"},
                                  meta=__import__("json").loads(meta))
    assert response.status == 200
    assert await response.text() == ""
    [item] = await ledger(slack)
    assert (item.status, item.resolution_note) == ("resolved", "Refunded the duplicate charge")
    assert await actions(slack, 1) == ["create", "acknowledge", "resolve"]
    assert len(fake.called("chat.update")) == 2
    # the reporter hears back, with "did this fix it?"
    await slack.app.outbox.run_once()
    to_sam = [c for c in fake.called("chat.postMessage") if c["channel"] == "U0SAM"]
    assert [("acknowledged" in c["text"], "resolved" in c["text"]) for c in to_sam] == [(True, False),
                                                                                         (False, True)]
    assert "Refunded the duplicate charge" in texts(to_sam[-1]["blocks"])
    assert [e["action_id"] for e in to_sam[-1]["blocks"][-1]["elements"]] == ["cx_fixed", "cx_rate", "cx_reopen"]


async def test_profiles_are_learnt_once_with_time_zone(slack: Slack) -> None:
    await slack.command("U0SAM", "mine")
    await slack.command("U0SAM", "mine")
    assert [c["user"] for c in slack.fake.called("users.info")] == ["U0SAM"]
    async with slack.app.db.transaction() as session:
        sam = (await session.scalars(select(Person).where(Person.identity == "slack:U0SAM"))).one()
    assert (sam.display_name, sam.timezone, sam.email) == ("Sam Reporter", "Europe/London", "sam@example.com")


async def test_email_named_rep_is_looked_up_once(slack: Slack) -> None:
    await slack.command("U0SAM", "log Refund missing for order 77 dept=billing")
    await slack.command("U0DANA", "assign CX-1 to ana@example.com")
    await slack.app.outbox.run_once()
    assert [c["email"] for c in slack.fake.called("users.lookupByEmail")] == ["ana@example.com"]
    assert any(c["channel"] == "U0ANA" for c in slack.fake.called("chat.postMessage"))
    # Ana, now known as slack:U0ANA, may act as Billing's rep
    await slack.click("U0ANA", "cx_acknowledge", "CX-1")
    [item] = await ledger(slack)
    assert item.status == "acknowledged"


async def test_log_form_opens_validates_on_the_field_and_logs(slack: Slack) -> None:
    fake = slack.fake
    await slack.command("U0SAM", "")
    [opened] = fake.called("views.open")
    view = opened["view"]
    assert view["callback_id"] == "cx_log_form"
    options = next(b for b in view["blocks"] if b["block_id"] == "department")["element"]["options"]
    assert options[0]["value"] == "auto" and {o["value"] for o in options[1:]} == {"billing", "onboarding", "cx"}
    bad = await slack.submit("U0SAM", "cx_log_form", {"summary": "   ", "severity": "high"},
                             meta={"channel": "C0GENERAL"})
    assert await bad.json() == {"response_action": "errors",
                                "errors": {"summary": "The summary is empty. Please write a few words."}}
    assert await ledger(slack) == []
    good = await slack.submit("U0SAM", "cx_log_form", {"summary": "Setup wizard crashes on step 3",
                                                       "severity": "critical", "department": "auto",
                                                       "stage": "onboarding", "customer": "ACME"},
                              meta={"channel": "C0GENERAL"}, view_id="V0SAME")
    assert good.status == 200
    [item] = await ledger(slack)
    assert (item.owner, item.severity, item.stage, item.customer_ref) == ("slack:U0LEE", "critical", "onboarding",
                                                                          "ACME")
    [ephemeral] = fake.called("chat.postEphemeral")
    assert ephemeral["channel"] == "C0GENERAL" and ephemeral["user"] == "U0SAM"
    assert "Logged CX-1" in ephemeral["text"]
    again = await slack.submit("U0SAM", "cx_log_form", {"summary": "Setup wizard crashes on step 3"},
                               meta={"channel": "C0GENERAL"}, view_id="V0SAME")
    assert again.status == 200
    assert len(await ledger(slack)) == 1  # the same view submitted twice logs once


async def test_message_shortcut_prefills_the_form_with_the_permalink(slack: Slack) -> None:
    fake = slack.fake
    await slack.interactive({
        "type": "message_action", "callback_id": "cx_log_message", "trigger_id": "trig-ms",
        "user": {"id": "U0SAM", "username": "sam"}, "team": {"id": "T0ACME"}, "channel": {"id": "C0SUPPORT"},
        "message": {"ts": "1700.000555", "text": "Customer says the invoice PDF is blank\nThree times this week"},
        "response_url": fake.response_url("ms")})
    [opened] = fake.called("views.open")
    blocks = {b.get("block_id"): b for b in opened["view"]["blocks"]}
    assert blocks["summary"]["element"]["initial_value"] == "Customer says the invoice PDF is blank"
    assert "Three times this week" in blocks["details"]["element"]["initial_value"]
    meta = __import__("json").loads(opened["view"]["private_metadata"])
    # the modal opens first (the trigger lasts 3 s): the message's link is fetched when the form is submitted
    assert meta == {"channel": "C0SUPPORT", "ts": "1700.000555"}
    assert [m for m, _ in fake.calls if m in ("views.open", "chat.getPermalink")] == ["views.open"]
    await slack.submit("U0SAM", "cx_log_form", {"summary": "Invoice PDF is blank"}, meta=meta)
    [item] = await ledger(slack)
    assert item.source_url == "https://acme.slack.com/archives/C0SUPPORT/p1700.000555"


async def test_app_home_shows_assignments_and_reports(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice shows the wrong VAT")
    await slack.event({"type": "app_home_opened", "user": "U0DANA", "tab": "home"})
    [published] = slack.fake.called("views.publish")
    assert published["user_id"] == "U0DANA"
    text = str(published["view"]["blocks"])
    assert "Yours to act on* (1)" in text and "CX-1" in text and "*Billing* · 1 open" in text


async def test_notifications_wait_in_the_outbox_through_slack_failures(slack: Slack) -> None:
    from datetime import timedelta

    from tests.bot.slack.fake_slack import Failure

    fake = slack.fake
    fake.fail("chat.postMessage", Failure(status=429, headers={"Retry-After": "0"}),
              Failure(status=429, headers={"Retry-After": "120"}), Failure(status=500))
    await slack.command("U0SAM", "log Invoice is late")
    assert await slack.app.outbox.run_once() == 0  # 429: again after its Retry-After (at least a second)
    async with slack.app.db.transaction() as session:
        [row] = list(await session.scalars(select(OutboxMessage)))
    assert (row.status, row.attempts) == ("pending", 0)  # a rate limit is not a failed attempt
    assert row.next_attempt_at == slack.app.clock.now() + timedelta(seconds=1)
    slack.app.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    assert await slack.app.outbox.run_once() == 0  # 429 again, Retry-After 120
    async with slack.app.db.transaction() as session:
        [row] = list(await session.scalars(select(OutboxMessage)))
    assert (row.attempts, row.next_attempt_at) == (0, slack.app.clock.now() + timedelta(seconds=120))
    slack.app.clock.advance(timedelta(seconds=120))  # type: ignore[attr-defined]
    assert await slack.app.outbox.run_once() == 0  # 500: back off
    slack.app.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    assert await slack.app.outbox.run_once() == 1
    assert await slack.app.outbox.run_once() == 0
    delivered = [c for c in fake.called("chat.postMessage") if c["channel"] == "U0DANA"]
    assert len(delivered) == 4  # three refused attempts, one delivery: the owner sees it once


async def test_permanent_slack_errors_are_recorded_not_retried(slack: Slack) -> None:
    from datetime import timedelta

    from tests.bot.slack.fake_slack import Failure

    slack.fake.fail("chat.postMessage", Failure(error="user_not_found"))
    await slack.command("U0SAM", "log Invoice is late")
    await slack.app.outbox.run_once()
    slack.app.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert await slack.app.outbox.run_once() == 1  # only the admins' report goes out: Dana's is not retried
    async with slack.app.db.transaction() as session:
        rows = {r.template: r for r in await session.scalars(select(OutboxMessage))}
    # held for Dana (delivered if Slack shows her again), not retried meanwhile
    assert (rows["assignment"].status, rows["assignment"].last_error) == ("waiting", "user_not_found")
    assert rows["unreachable"].recipient == "slack:U0ADMIN"  # the admins hear that Dana could not be reached
    assert [c["channel"] for c in slack.fake.called("chat.postMessage")] == ["U0DANA", "U0ADMIN"]


async def test_reassign_snooze_and_decline_forms(slack: Slack) -> None:
    import json

    await slack.command("U0SAM", "log Invoice shows the wrong VAT")
    await slack.click("U0DANA", "cx_reassign", "CX-1", channel="D0DANA", ts="1700.000200")
    [opened] = slack.fake.called("views.open")
    meta = json.loads(opened["view"]["private_metadata"])
    assert meta == {"ref": "CX-1", "channel": "D0DANA", "ts": "1700.000200"}
    empty = await slack.submit("U0DANA", "cx_reassign_form", {"note": "yours?"}, meta=meta)
    assert (await empty.json())["errors"]["department"].startswith("Reassign CX-1 to whom?")
    await slack.submit("U0DANA", "cx_reassign_form", {"person": "U0LEE", "note": "wizard bug"}, meta=meta)
    [item] = await ledger(slack)
    assert (item.owner, item.department.key) == ("slack:U0LEE", "onboarding")
    await slack.click("U0LEE", "cx_snooze", "CX-1")
    snooze_meta = json.loads(slack.fake.called("views.open")[-1]["view"]["private_metadata"])
    await slack.submit("U0LEE", "cx_snooze_form", {"until": "2d"}, meta=snooze_meta)
    [item] = await ledger(slack)
    assert item.snoozed_until == slack.app.clock.now() + __import__("datetime").timedelta(days=2)
    await slack.click("U0LEE", "cx_decline", "CX-1")
    decline_meta = json.loads(slack.fake.called("views.open")[-1]["view"]["private_metadata"])
    await slack.submit("U0LEE", "cx_decline_form", {"reason": "It is the customer's own VAT setting"},
                       meta=decline_meta)
    [item] = await ledger(slack)
    assert (item.status, item.decline_reason) == ("declined", "It is the customer's own VAT setting")
    assert await actions(slack, 1) == ["create", "reassign", "snooze", "decline"]


async def test_leaders_get_the_digest_on_demand(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice shows the wrong VAT")
    await slack.command("U0SAM", "digest")
    assert "Only CX leaders and admins" in slack.answers("U0SAM")[-1]["text"]
    await slack.command("U0CXO", "digest 2026-W48")
    digest = slack.answers("U0CXO")[-1]
    assert digest["response_type"] == "ephemeral"
    # Monday 23 Nov: week 48 has just begun, so its figures are "so far"
    assert digest["blocks"][0]["text"]["text"] == "Customer pain, week 48, 23-29 Nov 2026 so far"
    assert "The week is not over: figures as of Mon 23 Nov 09:00" in digest["blocks"][1]["elements"][0]["text"]
    assert "*1* in" in digest["blocks"][2]["text"]["text"]


async def test_the_bots_dm_and_an_at_mention_answer_as_cx_does(slack: Slack) -> None:
    fake = slack.fake
    dm = {"type": "message", "channel_type": "im", "channel": "D0SAM", "user": "U0SAM", "ts": "1700.000900",
          "text": "log Customer charged twice on invoice 8812"}
    assert (await slack.event(dm, event_id="Ev0DM")).status == 200
    assert (await slack.event(dm, event_id="Ev0DM", headers={"X-Slack-Retry-Num": "1"})).status == 200
    [answer] = [c for c in fake.called("chat.postMessage") if c["channel"] == "D0SAM"]
    assert "Logged CX-1" in answer["text"]
    [item] = await ledger(slack)
    assert item.reporter == "slack:U0SAM"
    await slack.event({"type": "message", "channel_type": "im", "channel": "D0DANA", "user": "U0DANA",
                       "ts": "1700.000901", "text": "ack CX-1"})
    [acked] = [c for c in fake.called("chat.postMessage") if c["channel"] == "D0DANA"]
    assert "CX-1 acknowledged by" in acked["text"]
    await slack.event({"type": "message", "channel_type": "im", "channel": "D0SAM", "user": "U0SAM",
                       "ts": "1700.000902", "text": "help"})
    assert "What you can type" in [c for c in fake.called("chat.postMessage") if c["channel"] == "D0SAM"][-1][
        "text"]
    # the bot's own messages, edits and joins are not commands
    await slack.event({**dm, "bot_id": "B0BOT", "event_ts": "1"})
    await slack.event({**dm, "subtype": "message_changed"})
    assert len(await ledger(slack)) == 1
    mention = {"type": "app_mention", "channel": "C0GENERAL", "user": "U0LEE", "ts": "1700.000950",
               "thread_ts": "1700.000940", "text": "<@U0BOT> mine"}
    assert (await slack.event(mention)).status == 200
    [thread] = fake.called("chat.postEphemeral")
    assert (thread["channel"], thread["user"], thread["thread_ts"]) == ("C0GENERAL", "U0LEE", "1700.000940")
    unknown = {**mention, "text": "<@U0BOT> the wizard is broken again", "ts": "1700.000951"}
    await slack.event(unknown)
    assert "To log it, type: log the wizard is broken again" in fake.called("chat.postEphemeral")[-1]["text"]


async def test_people_are_named_never_shown_as_a_bare_id(slack: Slack) -> None:
    # Cora owns the triage team in the org file; Slack has not told us her name: she is a mention, never "U0CORA"
    await slack.command("U0SAM", "log Something odd happened to a customer")
    [answer] = slack.answers("U0SAM")
    assert "(owner: <@U0CORA>)" in answer["text"] and "owner: U0CORA" not in answer["text"]
    # at start the bot asks Slack for the names of the people it knows only by id
    await slack.app.slack.door.learn_people()  # type: ignore[union-attr]
    assert {"U0DANA", "U0LEE"} <= {c["user"] for c in slack.fake.called("users.info")}
    async with slack.app.db.transaction() as session:
        dana = (await session.scalars(select(Person).where(Person.identity == "slack:U0DANA"))).one()
    assert (dana.display_name, dana.timezone) == ("Dana Owner", "America/New_York")


async def test_assign_names_a_person_by_mention_handle_or_email(slack: Slack) -> None:
    await slack.command("U0SAM", "log Refund missing for order 77 dept=billing")
    await slack.command("U0DANA", "assign CX-1 to <@U0LEE|lee> yours, I think")
    [item] = await ledger(slack)
    assert item.owner == "slack:U0LEE"
    await slack.command("U0LEE", "assign CX-1 to @ana")  # Ana, named in the org file by her email
    [item] = await ledger(slack)
    assert item.owner == "ana@example.com"
    await slack.command("U0ADMIN", "assign CX-1 to dana@example.com")
    await slack.command("U0ADMIN", "assign CX-1 to @nobody-here")
    assert "nor a person I know" in slack.answers("U0ADMIN")[-1]["text"]


async def test_a_token_slack_refuses_makes_messages_wait_not_fail(slack: Slack, database: Database, fake: FakeSlack,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    from tests.bot.slack.fake_slack import Failure

    fake.fail("chat.postMessage", *(Failure(error="token_revoked") for _ in range(2)))  # Dana's first, Lee's
    await slack.command("U0SAM", "log Invoice is late")
    await slack.command("U0SAM", "log Refund is late")
    await slack.command("U0SAM", "log Setup is broken")
    with caplog.at_level(logging.ERROR, logger="bot.slack.sender"):
        assert await slack.app.outbox.run_once() == 0
    async with slack.app.db.transaction() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}  # nothing counted
    assert all(r.last_error.startswith("waiting for a working Slack token") for r in rows if r.last_error)
    assert len([r for r in caplog.records if "refuses the bot's token" in r.getMessage()]) == 1  # not per message
    health = await (await slack.client.get("/healthz")).json()
    assert health["status"] == "degraded" and "waiting for a working Slack token" in health["slack_problem"]
    assert [r.template for r in rows if r.template == "unreachable"] == []  # nobody is called unreachable
    # the operator fixes the token and restarts: everything that waited goes out, once
    restarted = create_app(slack_settings(database, fake), clock=slack.app.clock, schema=database.schema)
    restarted.prompt_delivery = False
    async with TestClient(TestServer(server.build(restarted, run_scheduler=False))):
        assert await restarted.outbox.run_once() == 3
        assert await restarted.outbox.run_once() == 0
    posted = [c["channel"] for c in fake.called("chat.postMessage")]
    # one refused try each (Dana's second waited behind her first, untried), then each message once, in order
    assert posted.count("U0DANA") == 1 + 2 and posted.count("U0LEE") == 1 + 1


async def test_slow_slack_is_not_sent_twice(slack: Slack) -> None:
    from tests.bot.slack.fake_slack import Failure

    slack.fake.fail("chat.postMessage", Failure(delay=12))  # answers after 12 s, and did post
    await slack.command("U0SAM", "log Invoice is late")
    assert await slack.app.outbox.run_once() == 1
    assert await slack.app.outbox.run_once() == 0
    assert [c["channel"] for c in slack.fake.called("chat.postMessage")] == ["U0DANA"]


async def test_one_rate_limited_recipient_does_not_hold_the_others(slack: Slack) -> None:
    from datetime import timedelta

    from tests.bot.slack.fake_slack import Failure

    await slack.command("U0SAM", "log Invoice is late")  # Dana's
    await slack.command("U0SAM", "log Setup wizard crashes")  # Lee's
    slack.fake.fail("chat.postMessage", Failure(status=429, headers={"Retry-After": "20"}))  # one DM only
    assert await slack.app.outbox.run_once() == 1  # the other went out in the same run, without waiting 20 s
    async with slack.app.db.transaction() as session:
        rows = sorted(await session.scalars(select(OutboxMessage)), key=lambda r: r.status)
    delivered, limited = rows
    assert delivered.status == "delivered" and {delivered.recipient, limited.recipient} == {"slack:U0DANA",
                                                                                          "slack:U0LEE"}
    assert (limited.status, limited.attempts) == ("pending", 0)
    assert limited.next_attempt_at == slack.app.clock.now() + timedelta(seconds=20)


async def test_a_channel_the_bot_cannot_post_to_reaches_its_people_another_way(slack: Slack) -> None:
    from handlers.base import Actor, Command

    slack.fake.closed["C0BILLING"] = "not_in_channel"
    await slack.command("U0SAM", "log Invoice is late")
    await slack.app.run(Command(actor=Actor(identity="system:scheduler"), action="digest_send"))
    for _ in range(3):
        await slack.app.outbox.run_once()
    posts = slack.fake.called("chat.postMessage")
    to_dana = [c for c in posts if c["channel"] == "U0DANA" and "Billing" in c["text"] and "week" in c["text"]]
    assert len(to_dana) == 1  # Billing's digest, by DM to its owner
    [told] = [c for c in posts if c["channel"] == "U0ADMIN"]
    assert "couldn't post in the Slack channel C0BILLING (Billing): not_in_channel" in told["text"]
    assert "/invite @cxbot" in told["text"]
    # the next message to that channel goes the same way, and the admins are not told again
    await slack.app.run(Command(actor=Actor(identity="system:scheduler"), action="digest_send",
                                fields={"week": "2026-W46"}))
    for _ in range(3):
        await slack.app.outbox.run_once()
    posts = slack.fake.called("chat.postMessage")
    assert len([c for c in posts if c["channel"] == "U0ADMIN"]) == 1
    assert len([c for c in posts if c["channel"] == "U0DANA" and "week" in c["text"]]) == 2
    async with slack.app.db.transaction() as session:
        failed = [r for r in await session.scalars(select(OutboxMessage)) if r.recipient == "slack-channel:C0BILLING"]
    assert {r.status for r in failed} == {"failed"} and {r.last_error for r in failed} == {"not_in_channel"}


async def test_interactive_failures_are_told_to_the_person(slack: Slack) -> None:
    from tests.bot.slack.fake_slack import Failure

    fake = slack.fake
    await slack.command("U0SAM", "log Invoice is late")
    fake.fail("views.open", Failure(error="expired_trigger_id"))
    await slack.click("U0DANA", "cx_resolve", "CX-1")
    told = [c for c in fake.called("response_url") if c["name"] == "act-U0DANA"][-1]
    assert "couldn't open the form (expired_trigger_id)" in told["text"]
    assert "/cx resolve CX-1 &lt;what was done&gt;" in told["text"]  # mrkdwn-escaped, shown as typed
    fake.fail("chat.update", Failure(error="message_not_found"))
    await slack.click("U0DANA", "cx_acknowledge", "CX-1")
    [item] = await ledger(slack)
    assert item.status == "acknowledged"  # done, and the person hears so although the card could not change
    told = [c for c in fake.called("response_url") if c["name"] == "act-U0DANA"][-1]
    assert "CX-1 acknowledged by" in told["text"]
    fake.fail("views.open", Failure(status=500, error="fatal_error"))
    await slack.command("U0SAM", "")  # /cx alone opens the log form
    assert "couldn't open the form (Slack answered 500)" in slack.answers("U0SAM")[-1]["text"]


async def test_lists_carry_a_button_per_item(slack: Slack) -> None:
    await slack.command("U0SAM", "log Invoice is late")
    await slack.command("U0SAM", "log Refund is missing")
    await slack.command("U0DANA", "mine")
    mine = slack.answers("U0DANA")[-1]
    buttons = [b["accessory"] for b in mine["blocks"] if b.get("accessory")]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("cx_show", "CX-1"), ("cx_show", "CX-2")]
    await slack.command("U0DANA", "queue billing")
    assert len([b for b in slack.answers("U0DANA")[-1]["blocks"] if b.get("accessory")]) == 2
    await slack.click("U0DANA", "cx_show", "CX-2")
    [card] = [c for c in slack.fake.called("response_url") if c["name"] == "act-U0DANA"]
    assert card["response_type"] == "ephemeral" and "CX-2" in card["text"]
    assert "cx_acknowledge" in {e["action_id"] for b in card["blocks"] for e in b.get("elements", [])
                                if isinstance(e, dict) and "action_id" in e}
    await slack.event({"type": "app_home_opened", "user": "U0DANA", "tab": "home"})
    [home] = slack.fake.called("views.publish")
    assert {b["accessory"]["value"] for b in home["view"]["blocks"] if b.get("accessory", {}).get(
        "action_id") == "cx_show"} == {"CX-1", "CX-2"}


async def test_an_escaped_command_reads_as_typed_and_its_mentions_name_people(slack: Slack) -> None:
    # the manifest's should_escape: Slack sends & < > escaped and "@lee" as a mention
    await slack.command("U0SAM", "log Customer says &lt;invoice&gt; &amp; refund are wrong, ask <@U0LEE|lee>")
    [item] = await ledger(slack)
    assert item.summary == "Customer says <invoice> & refund are wrong, ask @lee"
    await slack.command("U0DANA", "assign CX-1 to <@U0LEE|lee> he knows the wizard")
    [item] = await ledger(slack)
    assert item.owner == "slack:U0LEE"
