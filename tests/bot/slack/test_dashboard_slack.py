"""Slack: the resolve form offers the organisation's root causes, and /cx dashboard sends the sign-in link as a
direct message with a button (whose click Slack only needs acknowledged)."""
from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import PainPoint
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import Slack


async def test_the_resolve_form_offers_the_root_causes(slack: Slack, fake: FakeSlack) -> None:
    await slack.command("U0SAM", "log Invoice charged twice")
    await slack.click("U0DANA", "cx_resolve", "CX-1")
    [opened] = fake.called("views.open")
    picker = next(b for b in opened["view"]["blocks"] if b.get("block_id") == "category")
    offered = [o["value"] for o in picker["element"]["options"]]
    assert offered == ["process", "product defect", "policy", "training", "communication", "third party", "other"]
    assert picker.get("optional") is True
    response = await slack.submit("U0DANA", "cx_resolve_form", {"note": "Refunded", "category": "product defect",
                                                                "cause": "retry bug"},
                                  meta=json.loads(opened["view"]["private_metadata"]))
    assert response.status == 200
    async with slack.app.db.transaction() as session:
        item = (await session.scalars(select(PainPoint))).one()
    assert (item.status, item.cause_category, item.root_cause) == ("resolved", "product defect", "retry bug")


async def test_dashboard_sends_a_link_button_in_a_direct_message(slack: Slack, fake: FakeSlack) -> None:
    await slack.command("U0LEE", "dashboard")
    [answer] = slack.answers("U0LEE")
    assert answer["response_type"] == "ephemeral" and "direct message" in answer["text"]
    await slack.app.outbox.run_once()
    [dm] = [c for c in fake.called("chat.postMessage") if c["channel"] == "U0LEE"]
    button = dm["blocks"][1]["elements"][0]
    assert button["url"].startswith("http://localhost:3978/dashboard/sign-in?t=")
    assert button["action_id"] == "cx_link" and dm["unfurl_links"] in (False, "false", "0", 0)
    clicked = await slack.click("U0LEE", "cx_link", "")
    assert clicked.status == 200
    assert [c for c in fake.called("response_url") if c["name"] == "act-U0LEE"] == []  # the button opened a page
