"""Reacting to a Slack message with the org's emoji logs it: once per message, from its text and link."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Affected, InboxRequest, PainPoint
from tests.bot.slack.fake_slack import Failure
from tests.bot.slack.harness import PERMALINK, TS, Slack, count, reaction, said


async def items(slack: Slack) -> list[PainPoint]:
    async with slack.app.db.transaction() as session:
        return list(await session.scalars(select(PainPoint).order_by(PainPoint.id)))


async def test_the_reaction_logs_the_message_with_its_text_and_link(slack: Slack) -> None:
    said(slack, "Customer <@U0CUST> says the invoice &amp; refund are wrong <!here>\nOrder 77, charged twice "
                "<https://shop.example/o/77|order page>")
    response = await slack.event(reaction("U0SAM"))
    assert response.status == 200
    [item] = await items(slack)
    assert item.summary == "Customer @U0CUST says the invoice & refund are wrong @here"
    assert item.details is not None and "order page (https://shop.example/o/77)" in item.details
    assert item.source_url == PERMALINK
    assert (item.reporter, item.owner) == ("slack:U0SAM", "slack:U0DANA")  # routed by "invoice" to Billing
    [told] = slack.fake.called("chat.postEphemeral")
    assert (told["channel"], told["user"]) == ("C0SUPPORT", "U0SAM") and "CX-1" in told["text"]
    await slack.app.outbox.run_once()
    [dm] = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0DANA"]
    assert "CX-1" in dm["text"] and "<!here>" not in str(dm)  # nobody is pinged by the logged text
    async with slack.app.db.transaction() as session:
        assert (await session.scalars(select(InboxRequest))).one().processed_at is not None


async def test_a_redelivered_event_logs_once(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    for _ in range(2):
        assert (await slack.event(reaction("U0SAM"), event_id="Ev0SAME",
                                  headers={"X-Slack-Retry-Num": "1"})).status == 200
    assert await count(slack, PainPoint) == 1
    assert len(slack.fake.called("chat.postEphemeral")) == 1


async def test_a_second_person_reacting_is_counted_as_affected_not_logged_again(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    await slack.event(reaction("U0SAM"))
    await slack.event(reaction("U0ANA"))
    await slack.event(reaction("U0SAM", "rotating_light::skin-tone-2"))  # the reporter again, any skin tone
    [item] = await items(slack)
    async with slack.app.db.transaction() as session:
        affected = list(await session.scalars(select(Affected.person)))
    assert affected == ["slack:U0ANA"]
    texts = [c["text"] for c in slack.fake.called("chat.postEphemeral")]
    assert len(texts) == 3 and all(item.ref in t for t in texts)


async def test_a_reply_in_a_thread_is_found_and_logged(slack: Slack) -> None:
    said(slack, "Onboarding email never arrived", ts="1700000000.000300", thread_ts=TS)
    await slack.event(reaction("U0SAM", ts="1700000000.000300"))
    [item] = await items(slack)
    assert item.summary == "Onboarding email never arrived"
    assert [c["ts"] for c in slack.fake.called("conversations.replies")] == ["1700000000.000300"]


async def test_other_emoji_files_and_an_org_without_the_setting_log_nothing(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    assert (await slack.event(reaction("U0SAM", "thumbsup"))).status == 200
    assert (await slack.event(reaction("U0SAM", kind="file"))).status == 200
    slack.app.org = slack.app.org.model_copy(update={"slack_log_reaction": None})
    assert (await slack.event(reaction("U0SAM"))).status == 200
    assert await count(slack, PainPoint) == 0 and await count(slack, InboxRequest) == 0
    assert slack.fake.called("conversations.history") == []


async def test_a_channel_the_bot_cannot_read_gets_the_reactor_a_way_forward(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    slack.fake.fail("conversations.history", Failure(error="not_in_channel"))
    assert (await slack.event(reaction("U0SAM"))).status == 200
    assert await count(slack, PainPoint) == 0
    [dm] = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0SAM"]
    assert "not_in_channel" in dm["text"] and "/invite" in dm["text"]
    async with slack.app.db.transaction() as session:  # answered: not tried again
        assert (await session.scalars(select(InboxRequest))).one().processed_at is not None


async def test_a_slack_outage_leaves_the_reaction_for_a_later_try(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    slack.fake.fail("conversations.history", Failure(status=500))
    assert (await slack.event(reaction("U0SAM"))).status == 200
    assert await count(slack, PainPoint) == 0
    assert slack.fake.called("chat.postMessage") == []  # nobody is told of a failure that will mend
    inbox = slack.app.inbox
    slack.app.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    assert await inbox.recover() == 1
    [item] = await items(slack)
    assert item.summary == "Invoice PDF is blank"
    assert await inbox.recover() == 0


async def test_a_message_of_blocks_or_attachments_is_logged_from_what_it_shows(slack: Slack) -> None:
    slack.fake.messages[("C0SUPPORT", TS)] = {
        "type": "message", "bot_id": "B0ZENDESK", "ts": TS, "text": "This content can't be displayed.",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Ticket 4411: refund not received"}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": "Customer *ACME* waited 11 days"},
                    "fields": [{"type": "mrkdwn", "text": "Priority: high"}]}]}
    await slack.event(reaction("U0SAM"))
    [item] = await items(slack)
    assert item.summary == "Ticket 4411: refund not received"
    assert item.details is not None and "Customer *ACME* waited 11 days" in item.details
    assert "This content can't be displayed" not in (item.details or "")
    slack.fake.messages[("C0SUPPORT", "1700000000.000400")] = {
        "type": "message", "bot_id": "B0ALERTS", "ts": "1700000000.000400", "text": "",
        "attachments": [{"fallback": "Invoice run failed", "title": "Invoice run failed",
                         "text": "412 customers were charged twice"}]}
    await slack.event(reaction("U0SAM", ts="1700000000.000400"))
    second = (await items(slack))[1]
    assert second.summary == "Invoice run failed" and "412 customers were charged twice" in (second.details or "")


async def test_a_request_that_keeps_failing_ends_and_its_sender_is_told_once(slack: Slack) -> None:
    from bot.inbox import TRIES

    said(slack, "Invoice PDF is blank")
    slack.fake.fail("conversations.history", *(Failure(status=500, error="fatal_error") for _ in range(TRIES + 2)))
    assert (await slack.event(reaction("U0SAM"))).status == 200
    inbox = slack.app.inbox
    for _ in range(TRIES + 2):
        slack.app.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
        await inbox.recover()
    async with slack.app.db.transaction() as session:
        [request] = list(await session.scalars(select(InboxRequest)))
    assert request.failed_at is not None and request.processed_at is None
    assert "Slack answered 500" in (request.last_error or "")
    told = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0SAM"]
    assert len(told) == 1 and "I could not log the message you reacted to after several tries" in told[0]["text"]
    assert len(slack.fake.called("conversations.history")) == 1 + TRIES  # then never again
    assert await count(slack, PainPoint) == 0


async def test_a_reaction_on_a_deleted_reply_or_in_a_dm_gets_the_right_answer(slack: Slack) -> None:
    said(slack, "Invoice PDF is blank")
    slack.fake.fail("conversations.history", Failure(error="thread_not_found"))
    await slack.event(reaction("U0SAM"))
    [gone] = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0SAM"]
    assert "couldn't find that message any more" in gone["text"]
    slack.fake.fail("conversations.history", Failure(error="channel_not_found"))
    event = reaction("U0SAM", ts="1700000000.000500")
    event["item"] = {"type": "message", "channel": "D0SAMLEE", "ts": "1700000000.000500"}
    await slack.event(event)
    dm = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0SAM"][-1]
    assert "can't read direct messages between people" in dm["text"]
    async with slack.app.db.transaction() as session:
        assert all(r.processed_at for r in await session.scalars(select(InboxRequest)))  # both answered, done
