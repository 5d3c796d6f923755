"""Similar items at intake in Slack, through the real HTTP path: `/cx log` answers with them (Me too on CX-1, Log
mine anyway), the log form comes back with them on top, and the owner of an item logged anyway marks it a
duplicate in one click."""
from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import select

from storage.models import Affected, PainPoint
from tests.bot.slack.harness import PERMALINK, Slack, reaction, said

FIRST = "log Refund for order 5521 still missing after 3 weeks customer=ACME"


async def items(slack: Slack) -> list[tuple[int, str, int | None]]:
    async with slack.app.db.transaction() as session:
        return [(p.id, p.status, p.duplicate_of_id) for p in await session.scalars(select(PainPoint).order_by(
            PainPoint.id))]


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(e for b in blocks for e in ([b.get("accessory")] + b.get("elements", [])) if e
                and e.get("action_id") == action_id)


async def press(slack: Slack, user: str, pressed: dict[str, Any], *, view: dict[str, Any] | None = None,
                ephemeral: bool = True, channel: str = "C0GENERAL", ts: str = "1700.000900") -> None:
    """A click on a button of an ephemeral answer (or of a modal, `view`), as Slack sends it."""
    container = ({"type": "view", "view_id": view["id"]} if view else
                 {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral})
    response = await slack.interactive({
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0ACME"},
        "team": {"id": "T0ACME"}, "api_app_id": "A0APP", "trigger_id": "trig-press", "container": container,
        **({"view": view} if view else {"channel": {"id": channel}, "message": {"ts": ts, "text": "x"},
                                        "response_url": slack.fake.response_url(f"act-{user}")}),
        "actions": [{"action_id": pressed["action_id"], "block_id": "cx_similar_1", "value": pressed["value"],
                     "type": "button", "action_ts": f"1700.{len(slack.fake.calls):06d}"}]})
    assert response.status == 200


async def test_cx_log_offers_similar_items_me_too_and_log_mine_anyway(slack: Slack) -> None:
    fake = slack.fake
    await slack.command("U0SAM", FIRST)
    await slack.command("U0LEE", "log Refund still missing for order 5521 customer=Globex")
    answer = slack.answers("U0LEE")[-1]
    said = json.dumps(answer["blocks"], ensure_ascii=False)
    assert answer["response_type"] == "ephemeral" and "This may be logged already" in said
    for block in answer["blocks"]:
        parsed = Block.parse(block)  # valid Block Kit, as slack_sdk reads it
        assert parsed is not None and parsed.to_dict()
    assert "*CX-1* Refund for order 5521 still missing after 3 weeks" in said
    assert "Billing · open · logged" in said and "1 person hit it" in said
    assert await items(slack) == [(1, "open", None)]  # nothing logged yet
    me_too = button(answer["blocks"], "cx_suggested")
    assert me_too["text"]["text"] == "Me too on CX-1"
    await press(slack, "U0LEE", me_too)
    replaced = [c for c in fake.called("response_url") if c["name"] == "act-U0LEE"][-1]
    assert replaced["replace_original"] is True and "Added you to CX-1" in replaced["text"]
    async with slack.app.db.transaction() as session:
        assert [(a.person, a.customer_ref) for a in await session.scalars(select(Affected))] == [
            ("slack:U0LEE", "Globex")]
    # another colleague's is different enough to them: logged anyway, and once however often they press
    await slack.command("U0CORA", "log Refund still missing for order 5521 severity=high")
    anyway = button(slack.answers("U0CORA")[-1]["blocks"], "cx_anyway")
    assert anyway["text"]["text"] == "Log mine anyway" and len(anyway["value"]) <= 2000
    await press(slack, "U0CORA", anyway)
    assert [c for c in fake.called("response_url") if c["name"] == "act-U0CORA"][-1]["text"].startswith(
        "Logged CX-2")
    assert await items(slack) == [(1, "open", None), (2, "open", None)]
    async with slack.app.db.transaction() as session:
        assert (await session.get_one(PainPoint, 2)).severity == "high"  # what was typed, all of it
    # its owner is told it may be the same as CX-1, with the one click that says so
    await slack.app.outbox.run_once()
    to_dana = [c for c in fake.called("chat.postMessage") if c["channel"] == "U0DANA"][-1]
    assert "Possibly the same as *CX-1*" in json.dumps(to_dana["blocks"], ensure_ascii=False)
    mark = button(to_dana["blocks"], "cx_duplicate")
    await press(slack, "U0DANA", mark, ephemeral=False, channel="D0DANA", ts="1700.000777")
    assert await items(slack) == [(1, "open", None), (2, "duplicate", 1)]
    update = fake.called("chat.update")[-1]
    assert (update["channel"], update["ts"]) == ("D0DANA", "1700.000777") and "duplicate" in update["text"]


async def test_a_long_text_still_fits_its_button(slack: Slack) -> None:
    await slack.command("U0SAM", FIRST)
    details = "The customer wrote: " + "where is my money? " * 200
    await slack.command("U0LEE", f'log Refund still missing for order 5521 details="{details}"')
    answer = slack.answers("U0LEE")[-1]["blocks"]
    anyway = button(answer, "cx_anyway")
    assert len(anyway["value"]) <= 2000  # Slack's limit for a button's value: the person is told
    assert "*Log mine anyway* logs its beginning. To log all of it, type `/cx` for the form" in json.dumps(answer)
    await press(slack, "U0LEE", anyway)
    async with slack.app.db.transaction() as session:
        logged = await session.get_one(PainPoint, 2)
    assert logged.summary == "Refund still missing for order 5521"
    assert logged.details and logged.details.startswith("The customer wrote:") and logged.details.endswith("…")


async def test_the_log_form_comes_back_with_similar_items(slack: Slack) -> None:
    fake = slack.fake
    await slack.command("U0SAM", FIRST)
    values = {"summary": "Refund still missing for order 5521", "customer": "Globex", "severity": "high",
              "department": "billing", "stage": "billing"}
    response = await slack.submit("U0LEE", "cx_log_form", values, meta={"channel": "C0GENERAL"}, view_id="V0FORM")
    ack = await response.json()
    assert ack["response_action"] == "update"
    view = ack["view"]
    View(**view).to_dict()  # a modal Slack accepts
    assert view["submit"]["text"] == "Log mine anyway" and json.loads(view["private_metadata"])["anyway"] == "1"
    shown = {b.get("block_id"): b for b in view["blocks"]}
    assert shown["summary"]["element"]["initial_value"] == "Refund still missing for order 5521"
    assert shown["severity"]["element"]["initial_option"]["value"] == "high"  # as the person chose
    assert shown["department"]["element"]["initial_option"]["value"] == "billing"
    assert shown["stage"]["element"]["initial_option"]["value"] == "billing"
    assert await items(slack) == [(1, "open", None)]
    # "Me too on CX-1" in the form: counted, with the customer the form holds; the form says so
    state = {"customer": {"value": {"type": "plain_text_input", "value": "Globex Ltd"}}}
    await press(slack, "U0LEE", button(view["blocks"], "cx_suggested"),
                view={**view, "id": "V0FORM", "state": {"values": state}})
    [updated] = fake.called("views.update")
    assert updated["view_id"] == "V0FORM" and "Added you to CX-1" in json.dumps(updated["view"]["blocks"])
    async with slack.app.db.transaction() as session:
        assert [a.customer_ref for a in await session.scalars(select(Affected))] == ["Globex Ltd"]
    # another time, the same form submitted again: logged anyway (the same view id is not taken for a retry)
    response = await slack.submit("U0CORA", "cx_log_form", values, meta={}, view_id="V0OTHER")
    again = (await response.json())["view"]
    response = await slack.submit("U0CORA", "cx_log_form", values, meta=json.loads(again["private_metadata"]),
                                  view_id="V0OTHER")
    assert response.status == 200 and await items(slack) == [(1, "open", None), (2, "open", None)]


async def test_a_reaction_on_a_message_like_an_open_item_asks_first(slack: Slack) -> None:
    await slack.command("U0SAM", FIRST)
    said(slack, "Refund still missing for order 5521\nThe customer wrote again this morning.")
    assert (await slack.event(reaction("U0LEE"))).status == 200
    [asked] = slack.fake.called("chat.postEphemeral")  # to the person who reacted, where they reacted
    assert (asked["channel"], asked["user"]) == ("C0SUPPORT", "U0LEE") and "CX-1" in json.dumps(asked["blocks"])
    assert await items(slack) == [(1, "open", None)]
    await press(slack, "U0LEE", button(asked["blocks"], "cx_anyway"), channel="C0SUPPORT")
    assert await items(slack) == [(1, "open", None), (2, "open", None)]
    async with slack.app.db.transaction() as session:
        logged = await session.get_one(PainPoint, 2)
    assert (logged.source_url, logged.details) == (
        PERMALINK, "Refund still missing for order 5521\nThe customer wrote again this morning.")
    assert (await slack.event(reaction("U0CORA"))).status == 200  # the message is logged now: counted on it
    async with slack.app.db.transaction() as session:
        assert [(a.pain_point_id, a.person) for a in await session.scalars(select(Affected))] == [(2, "slack:U0CORA")]


async def test_a_form_slack_will_not_update_still_answers_in_the_dm(slack: Slack) -> None:
    from tests.bot.slack.fake_slack import Failure

    await slack.command("U0SAM", FIRST)
    response = await slack.submit("U0LEE", "cx_log_form", {"summary": "Refund still missing for order 5521",
                                                           "severity": "medium", "department": "auto"},
                                  meta={}, view_id="V0GONE")
    view = (await response.json())["view"]
    slack.fake.fail("views.update", Failure(error="not_found"))  # the person closed the form meanwhile
    await press(slack, "U0LEE", button(view["blocks"], "cx_suggested"), view={**view, "id": "V0GONE"})
    [dm] = [c for c in slack.fake.called("chat.postMessage") if c["channel"] == "U0LEE"]
    assert "Added you to CX-1" in dm["text"]
