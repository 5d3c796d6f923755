"""The accountability loop in Teams through the real HTTP path and botbuilder stack."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import ConversationRef, PainPoint
from tests.bot.teams.harness import Teams, cards, nodes, valid_card


async def items(teams: Teams) -> list[PainPoint]:
    async with teams.app.db.transaction() as session:
        return list(await session.scalars(select(PainPoint).order_by(PainPoint.id)))


async def test_log_ack_resolve_and_the_reporter_hears_back(teams: Teams) -> None:
    connector = teams.connector
    await teams.say("dana", "mine")  # Dana has opened the bot: her personal chat is known
    response = await teams.say("sam", "log Customer charged twice on invoice 8812 severity=high")
    assert response.status in (200, 201)
    [item] = await items(teams)
    assert (item.reporter, item.owner, item.severity) == ("teams:aad-sam", "teams:aad-dana", "high")
    confirmation = cards(connector.sent("reply")[-1])[0]
    valid_card(confirmation)
    assert "Logged CX-1" in str(confirmation)
    # the owner's card goes out proactively, into Dana's personal chat
    assert await teams.app.outbox.run_once() == 1
    [owner_card] = [b for b in connector.sent("send") if "personal-dana" in str(b.get("conversation"))]
    card = cards(owner_card)[0]
    valid_card(card)
    assert [a["title"] for a in card["actions"]] == ["Acknowledge", "Reassign", "Snooze", "Resolve", "Decline",
                                                    "Waiting on…"]
    # Dana acknowledges from the card: it is updated in place
    await teams.submit("dana", {"cx": "ack", "ref": "CX-1"}, reply_to="card-42")
    [update] = connector.sent("update")
    assert update["id"] == "card-42"
    assert "acknowledged by" in str(update)
    # and resolves, with the note from the card's Resolve form
    await teams.submit("dana", {"cx": "resolve", "ref": "CX-1", "resolve_note": "Refunded the duplicate charge"},
                       reply_to="card-42")
    [item] = await items(teams)
    assert (item.status, item.resolution_note) == ("resolved", "Refunded the duplicate charge")
    await teams.app.outbox.run_once()
    to_sam = [b for b in connector.sent("send") if "personal-sam" in str(b.get("conversation"))]
    assert "Refunded the duplicate charge" in str(to_sam[-1])
    assert [a["title"] for a in cards(to_sam[-1])[0]["actions"]] == ["Yes", "Rate it", "No, reopen"]


async def test_bare_log_answers_with_the_form_and_errors_sit_beside_the_field(teams: Teams) -> None:
    await teams.say("sam", "log")
    form = cards(teams.connector.sent("reply")[-1])[0]
    valid_card(form)
    assert [b.get("id") for b in form["body"] if b.get("id")] == [
        "log_summary", "log_details", "log_stage", "log_severity", "log_department", "log_customer"]
    await teams.submit("sam", {"cx": "log", "log_summary": "   ", "log_severity": "high"}, reply_to="form-1")
    [again] = teams.connector.sent("update")
    card = cards(again)[0]
    valid_card(card)
    ids = [b.get("id") or b.get("text") for b in card["body"]]
    assert ids[ids.index("log_summary") + 1] == "The summary is empty. Please write a few words."
    assert await items(teams) == []
    await teams.submit("sam", {"cx": "log", "log_summary": "Setup wizard crashes", "log_severity": "critical",
                               "log_department": "auto", "log_stage": "onboarding"}, reply_to="form-1")
    [item] = await items(teams)
    assert (item.owner, item.severity, item.stage) == ("teams:aad-lee", "critical", "onboarding")


async def test_mention_in_a_channel_is_stripped(teams: Teams) -> None:
    mention = {"type": "mention", "text": "<at>cxbot</at>", "mentioned": {"id": "28:bot", "name": "cxbot"}}
    await teams.post(teams.activity("sam", text="<at>cxbot</at> log Refund missing for order 77", personal=False,
                                    conversation="19:general@thread.tacv2;messageid=1",
                                    channel="19:general@thread.tacv2",
                                    entities=[mention]))
    [item] = await items(teams)
    assert item.summary == "Refund missing for order 77"
    async with teams.app.db.transaction() as session:
        keys = set(await session.scalars(select(ConversationRef.key)))
    assert {"teams:aad-sam", "teams-channel:19:general@thread.tacv2"} <= keys


async def test_message_extension_fetch_and_submit_are_answered_as_json(teams: Teams) -> None:
    payload = {"body": {"content": "<p>Customer says the invoice PDF is blank</p><p>Three times</p>"},
               "linkToMessage": "https://teams.microsoft.com/l/message/19:x/1700"}
    fetch = await teams.post(teams.activity("sam", kind="invoke", name="composeExtension/fetchTask",
                                            value={"commandId": "logPainPoint", "commandContext": "message",
                                                   "messagePayload": payload}))
    assert fetch.status == 200
    body = await fetch.json()
    card = body["task"]["value"]["card"]["content"]
    valid_card(card)
    summary = next(b for b in card["body"] if b.get("id") == "log_summary")
    assert summary["value"] == "Customer says the invoice PDF is blank"
    submitted = teams.activity("sam", kind="invoke", name="composeExtension/submitAction", personal=False,
                               conversation="19:support@thread.tacv2",
                               value={"commandId": "logPainPoint", "commandContext": "message",
                                      "data": {"cx": "log", "log_summary": "Invoice PDF is blank",
                                               "source": payload["linkToMessage"]}})
    submit = await teams.post(submitted)
    assert submit.status == 200
    # the dialog closes with a message (main answered {}, which Teams rejects, leaving a blank dialog)
    answer = await submit.json()
    assert answer["task"]["type"] == "message" and answer["task"]["value"].startswith("Logged CX-1")
    [item] = await items(teams)
    assert item.source_url == "https://teams.microsoft.com/l/message/19:x/1700"
    # the confirmation goes to Sam alone, in his chat with the bot: nothing is posted in the channel
    assert [c for k, c, _ in teams.connector.calls if k in ("send", "reply")] == []
    await teams.app.outbox.run_once()
    assert [c for k, c, _ in teams.connector.calls if k in ("send", "reply")] == ["a:personal-sam"]
    again = await teams.post(submitted)  # Teams retries an invoke it waited too long for: logged once
    assert (await again.json())["task"]["type"] == "message" and len(await items(teams)) == 1
    bad = await teams.post(teams.activity("sam", kind="invoke", name="composeExtension/submitAction",
                                          value={"commandId": "logPainPoint", "data": {"cx": "log"}}))
    assert bad.status == 200
    again = (await bad.json())["task"]["value"]["card"]["content"]
    assert "The summary is empty" in str(again)
    assert len(await items(teams)) == 1


async def test_slack_reporter_hears_in_slack_when_a_teams_owner_resolves(teams: Teams) -> None:
    from handlers.base import Actor, Command

    await teams.app.run(Command(actor=Actor(identity="slack:U0SAM", workspace="T0ACME"), action="log",
                                fields={"summary": "Invoice shows the wrong VAT"}))
    await teams.submit("dana", {"cx": "resolve", "ref": "CX-1", "resolve_note": "Fixed the VAT rate"})
    async with teams.app.db.transaction() as session:
        from storage import outbox

        rows = await outbox.listing(session=session)
    assert [(r.recipient, r.template) for r in rows if r.template == "resolved"] == [("slack:U0SAM", "resolved")]


async def test_installing_the_bot_greets_and_remembers_the_conversation(teams: Teams) -> None:
    update = teams.activity("dana", kind="conversationUpdate", personal=False,
                            conversation="19:billing@thread.tacv2", channel="19:billing@thread.tacv2")
    update["membersAdded"] = [{"id": "28:bot", "name": "cxbot"}]
    response = await teams.post(update)
    assert response.status in (200, 201)
    [greeting] = teams.connector.sent("send")  # a new message in the channel, not a reply
    assert "what you own and what you reported" in str(greeting)
    async with teams.app.db.transaction() as session:
        keys = set(await session.scalars(select(ConversationRef.key)))
    assert {"teams:aad-dana", "teams-channel:19:billing@thread.tacv2"} <= keys


def blocks(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every TextBlock in a card, wherever it sits."""
    return nodes(card, "TextBlock")


async def test_replies_are_cards_a_teams_user_can_read(teams: Teams) -> None:
    connector = teams.connector
    await teams.say("sam", "log 1. Customer charged twice\n- on invoice <8812>")
    await teams.say("sam", "log Setup wizard crashes")
    for said in ("help", "mine", "stats", "departments", "overdue", "log Invoice PDF is blank"):
        await teams.say("sam", said)
        card = cards(connector.sent("reply")[-1])[0]
        valid_card(card)
        texts = [str(b["text"]) for b in blocks(card)]
        assert len(texts) > 1, (said, texts)  # one element per row or paragraph, never one wall of text
        assert not any("\n" in t.replace("\n\n", "") for t in texts), (said, texts)  # no line Teams would collapse
    help_texts = [str(b["text"]) for b in blocks(cards(connector.sent("reply")[-6])[0])]
    assert any("log <\u2060summary>" in t for t in help_texts)  # a placeholder Teams' renderer would drop shows
    await teams.say("sam", "mine")
    mine = cards(connector.sent("reply")[-1])[0]
    opened = [a for container in mine["body"] if container.get("type") == "Container"
              for element in container["items"] if element.get("type") == "ActionSet" for a in element["actions"]]
    assert [(a["title"], a["data"]["ref"]) for a in opened] == [("Open", "CX-3"), ("Open", "CX-2"), ("Open", "CX-1")]
    summary = [str(b["text"]) for b in blocks(mine) if "Customer charged twice" in str(b["text"])]
    assert summary and "\\1." not in summary[0] and summary[0].count("1\u2060.") == 1
    await teams.submit("sam", {"cx": "show", "ref": "CX-1"}, reply_to="card-mine")
    shown = cards(connector.sent("reply")[-1])[0]
    assert "CX-1" in str(shown) and connector.sent("update") == []  # answered beside the list


async def test_a_nudge_has_a_button_per_item_and_acting_on_one_updates_that_row(teams: Teams) -> None:
    from datetime import timedelta

    from handlers.base import Actor, Command

    connector = teams.connector
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is late severity=high")
    await teams.say("sam", "log Refund is missing severity=high")
    teams.app.clock.advance(timedelta(hours=6))  # type: ignore[attr-defined]
    await teams.app.run(Command(actor=Actor(identity="system:scheduler"), action="nudge"))
    await teams.app.outbox.run_once()
    [nudge] = [cards(b)[0] for b in connector.sent("send") if "overdue customer pain points" in str(b)]
    valid_card(nudge)
    rows = [c for c in nudge["body"] if c.get("type") == "Container"]
    buttons = [[a["title"] for e in row["items"] if e.get("type") == "ActionSet" for a in e["actions"]]
               for row in rows]
    assert buttons == [["Acknowledge", "Reassign", "Snooze"]] * 2
    assert "selectAction" not in str(nudge)  # nothing hidden behind a tap on the row
    acknowledge = rows[0]["items"][-1]["actions"][0]  # CX-1's own Acknowledge button, as Teams sends it back
    await teams.submit("dana", acknowledge["data"], reply_to="card-nudge")
    [update] = connector.sent("update")  # main: a hidden row tap replaced the list, and the other item vanished
    assert update["id"] == "card-nudge"
    card = cards(update)[0]
    valid_card(card)
    after = [c for c in card["body"] if c.get("type") == "Container"]
    assert len(after) == 2  # both rows still there
    titles = [[a["title"] for e in row["items"] if e.get("type") == "ActionSet" for a in e["actions"]]
              for row in after]
    assert "acknowledged" in str(after[0]) and "Acknowledge" not in titles[0]  # CX-1: its new state
    assert "overdue" in str(after[1]) and titles[1] == ["Acknowledge", "Reassign", "Snooze"]  # CX-2 untouched
    assert "You have 1 overdue customer pain point." in str(card)


async def test_the_log_form_logs_once_however_often_it_is_clicked(teams: Teams) -> None:
    connector = teams.connector
    await teams.say("sam", "log", activity_id="ask-form-1")
    form = cards(connector.sent("reply")[-1])[0]
    [submit] = form["actions"]
    assert submit["data"]["form"] == "ask-form-1"
    value = {**submit["data"], "log_summary": "Customer charged twice on invoice 8812"}
    for _ in range(3):  # each click is a new activity
        await teams.submit("sam", value, reply_to="form-card")
    assert len(await items(teams)) == 1
    [replaced] = connector.sent("update")  # the form became the confirmation
    assert replaced["id"] == "form-card" and "Logged CX-1" in str(replaced)
    await teams.say("sam", "log", activity_id="ask-form-2")  # a new form logs a new item
    await teams.submit("sam", {**cards(connector.sent("reply")[-1])[0]["actions"][0]["data"],
                               "log_summary": "Refund missing for order 5521"}, reply_to="form-card-2")
    assert len(await items(teams)) == 2


async def test_in_a_channel_cards_hand_nobody_owner_buttons_and_refusals_are_private(teams: Teams) -> None:
    channel = "19:support@thread.tacv2"
    await teams.say("sam", "mine")  # Sam's own chat with the bot is known
    await teams.say("sam", "log Invoice shows the wrong VAT")
    before = len(teams.connector.calls)
    await teams.say("lee", "show CX-1", personal=False, conversation=channel, channel=channel)
    [reply] = [b for k, c, b in teams.connector.calls[before:] if k == "reply" and c.startswith(channel)]
    card = cards(reply)[0]
    valid_card(card)
    titles = [a.get("title") for a in card.get("actions", [])]
    assert "Resolve" not in titles and "Acknowledge" not in titles  # main: every reader got Dana's five buttons
    assert "their own chat with the bot" in str(card)
    # an old card's button clicked in the channel by someone who may not: the refusal goes to them alone
    before = len(teams.connector.calls)
    await teams.submit("sam", {"cx": "resolve", "ref": "CX-1", "resolve_note": "done"}, personal=False,
                       conversation=channel, channel=channel)
    assert [c for k, c, _ in teams.connector.calls[before:] if c.startswith(channel)] == []
    await teams.app.outbox.run_once()
    private = [b for k, c, b in teams.connector.calls[before:] if k == "send" and c == "a:personal-sam"]
    assert any("Only Billing" in str(b) for b in private)


async def test_reassign_offers_departments_and_teams_people_picker(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice shows the wrong VAT")
    await teams.app.outbox.run_once()
    [owner] = [b for k, c, b in teams.connector.calls if k == "send" and c == "a:personal-dana"]
    card = cards(owner)[0]
    valid_card(card)
    [reassign] = [a for a in card["actions"] if a["title"] == "Reassign"]
    inputs = {i["id"]: i for i in reassign["card"]["body"]}
    departments = inputs["reassign_to"]
    assert departments["type"] == "Input.ChoiceSet"  # main: a text box for a typed key
    assert {c["value"] for c in departments["choices"]} == {"billing", "onboarding", "cx"}
    picker = inputs["reassign_to_person"]
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    # Dana picks Lee in the people picker (Teams submits Lee's Entra object id)
    lee = "0f3c3b4e-1d2a-4b5c-8d9e-123456789abc"
    await teams.submit("dana", {"cx": "reassign", "ref": "CX-1", "reassign_to": "", "reassign_to_person": lee})
    [item] = await items(teams)
    assert item.owner == f"teams:{lee}"
    # and then moves it to Onboarding from the choice list
    await teams.submit("dana", {"cx": "reassign", "ref": "CX-1", "reassign_to": "onboarding"})
    [item] = await items(teams)
    assert (item.department.key, item.owner) == ("onboarding", "teams:aad-lee")


async def test_the_person_s_teams_time_zone_is_remembered_and_used(teams: Teams) -> None:
    from bot.zones import zone_of

    client = [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web",
               "timezone": "America/New_York"}]
    await teams.say("sam", "log Invoice shows the wrong VAT")
    await teams.say("dana", "mine", entities=client)
    assert await zone_of(teams.app.db, teams.app.org, "teams:aad-dana") == "America/New_York"  # main: London
    # Dana's card times are in her zone: the acknowledgement deadline is shown in New York time
    await teams.say("dana", "show CX-1", entities=client)
    text = str(cards(teams.connector.sent("reply")[-1])[0])
    from datetime import datetime
    from zoneinfo import ZoneInfo

    [item] = await items(teams)
    due = item.ack_due_at.replace(tzinfo=item.ack_due_at.tzinfo or ZoneInfo("UTC"))
    local = due.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}" in text and isinstance(local, datetime)
    # a zone Teams should never send is ignored, not stored
    await teams.say("dana", "mine", entities=[{"type": "clientInfo", "timezone": "Mars/Olympus_Mons"}])
    assert await zone_of(teams.app.db, teams.app.org, "teams:aad-dana") == "America/New_York"
