"""Similar items at intake in Teams, through the real HTTP path and the real botbuilder: a typed log, the log form
and the message extension's dialog show them on a card (Me too on CX-1, Log mine anyway), and the owner of an item
logged anyway marks it a duplicate from their card."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Affected, PainPoint
from tests.bot.teams.harness import Teams, cards, nodes, valid_card

FIRST = "log Refund for order 5521 still missing after 3 weeks customer=ACME"


async def items(teams: Teams) -> list[tuple[int, str, int | None]]:
    async with teams.app.db.transaction() as session:
        return [(p.id, p.status, p.duplicate_of_id) for p in await session.scalars(select(PainPoint).order_by(
            PainPoint.id))]


def submits(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Submit on a card, body and actions, by title."""
    return {n["title"]: n["data"] for n in nodes(card, "Action.Submit")}


async def test_a_typed_log_shows_similar_items_and_each_button_acts_once(teams: Teams) -> None:
    connector = teams.connector
    for who in ("dana", "sam", "lee"):
        await teams.say(who, "mine")
    await teams.say("sam", FIRST)
    await teams.say("lee", "log Refund still missing for order 5521 customer=Globex", activity_id="typed-1")
    card = cards(connector.sent("reply")[-1])[0]
    valid_card(card)
    assert "This may be logged already" in str(card) and "CX-1 · Refund for order 5521" in str(card)
    buttons = submits(card)
    assert set(buttons) == {"Me too on CX-1", "Log mine anyway"}
    assert await items(teams) == [(1, "open", None)]
    # Me too: counted, with the customer typed; the card gives way to the answer
    await teams.submit("lee", buttons["Me too on CX-1"], reply_to="similar-1")
    [update] = [u for u in connector.sent("update") if u["id"] == "similar-1"]
    assert "Added you to CX-1" in str(update)
    async with teams.app.db.transaction() as session:
        assert [(a.person, a.customer_ref) for a in await session.scalars(select(Affected))] == [
            ("teams:aad-lee", "Globex")]
    # Log mine anyway, pressed twice: one item, with what was typed
    await teams.say("dana", "log Refund still missing for order 5521 severity=high", activity_id="typed-2")
    anyway = submits(cards(connector.sent("reply")[-1])[0])["Log mine anyway"]
    assert anyway["form"] == "typed-2" and anyway["log_severity"] == "high"
    for _ in range(2):
        await teams.submit("dana", anyway, reply_to="similar-2")
    assert await items(teams) == [(1, "open", None), (2, "open", None)]
    # the owner's card says it may be CX-1 again, with the one click that makes it a duplicate
    await teams.app.outbox.run_once()
    to_dana = [cards(b)[0] for b in connector.sent("send") if "personal-dana" in str(b.get("conversation"))]
    assignment = next(c for c in to_dana if "Possibly the same as CX-1" in str(c))
    valid_card(assignment)
    await teams.say("dana", "show CX-1")  # from the older one's card: the newer is the duplicate, marked beside
    reverse = submits(cards(connector.sent("reply")[-1])[0])["Mark CX-2 its duplicate"]
    assert (reverse["ref"], reverse["duplicate_of"], reverse["many"]) == ("CX-2", "CX-1", True)
    mark = submits(assignment)["Mark duplicate of CX-1"]
    await teams.submit("dana", mark, reply_to="assigned-2")
    assert await items(teams) == [(1, "open", None), (2, "duplicate", 1)]
    [marked] = [u for u in connector.sent("update") if u["id"] == "assigned-2"]  # the card, in place
    assert "a duplicate of CX-1" in str(marked) and "Mark duplicate" not in str(marked)


async def test_the_log_form_and_the_message_dialog_show_similar_items(teams: Teams) -> None:
    connector = teams.connector
    await teams.say("sam", FIRST)
    form = {"cx": "log", "log_summary": "Refund still missing for order 5521", "log_severity": "medium",
            "log_department": "auto", "form": "form-1"}
    await teams.submit("lee", form, reply_to="form-card")
    [shown] = [u for u in connector.sent("update") if u["id"] == "form-card"]  # the form becomes the suggestions
    card = cards(shown)[0]
    valid_card(card)
    anyway = submits(card)["Log mine anyway"]
    assert anyway["form"] == "form-1" and anyway["anyway"] == "yes"
    await teams.submit("lee", anyway, reply_to="form-card")
    assert await items(teams) == [(1, "open", None), (2, "open", None)]
    # the message extension's dialog: the suggestions in the dialog, and "Me too" closes it
    submitted = teams.activity("lee", kind="invoke", name="composeExtension/submitAction", personal=False,
                               conversation="19:support@thread.tacv2",
                               value={"commandId": "logPainPoint", "commandContext": "message",
                                      "data": {"cx": "log", "log_summary": "Refund for order 5521 still missing",
                                               "source": "https://teams.microsoft.com/l/message/19:x/1800"}})
    answer = await (await teams.post(submitted)).json()
    dialog = answer["task"]["value"]["card"]["content"]
    valid_card(dialog)
    assert "This may be logged already" in str(dialog) and len(await items(teams)) == 2
    me_too = submits(dialog)["Me too on CX-1"]
    closed = await (await teams.post(teams.activity(
        "lee", kind="invoke", name="composeExtension/submitAction", personal=False,
        conversation="19:support@thread.tacv2",
        value={"commandId": "logPainPoint", "commandContext": "message", "data": me_too}))).json()
    assert closed["task"]["type"] == "message" and "Added you to CX-1" in closed["task"]["value"]
    async with teams.app.db.transaction() as session:
        assert [a.person for a in await session.scalars(select(Affected))] == ["teams:aad-lee"]


async def test_in_a_channel_the_similar_items_go_to_the_person_s_own_chat(teams: Teams) -> None:
    connector = teams.connector
    await teams.say("lee", "mine")  # Lee's personal chat is known
    await teams.say("sam", FIRST)
    mention = {"type": "mention", "text": "<at>cxbot</at>", "mentioned": {"id": "28:bot", "name": "cxbot"}}
    await teams.post(teams.activity("lee", text="<at>cxbot</at> log Refund still missing for order 5521",
                                    personal=False, conversation="19:general@thread.tacv2;messageid=1",
                                    channel="19:general@thread.tacv2", entities=[mention]))
    in_channel = [b for k, c, b in connector.calls if k in ("send", "reply") and c.startswith("19:general")]
    assert len(in_channel) == 1 and "sent you the pain points like it in our chat" in str(in_channel[0])
    assert "Me too on CX-1" not in str(in_channel[0])  # nobody else's buttons in the channel
    await teams.app.outbox.run_once()
    to_lee = [cards(b)[0] for b in connector.sent("send") if "personal-lee" in str(b.get("conversation"))]
    assert "Me too on CX-1" in str(to_lee[-1]) and await items(teams) == [(1, "open", None)]
