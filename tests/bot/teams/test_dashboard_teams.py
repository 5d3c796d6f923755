"""Teams: `dashboard` in a personal chat sends the sign-in link as a card with an Open URL button; the resolve
form on an item's card offers the organisation's root causes."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import PainPoint
from tests.bot.teams.harness import Teams, cards, valid_card


async def test_dashboard_sends_a_card_with_the_link(teams: Teams) -> None:
    await teams.say("dana", "dashboard")
    reply = cards(teams.connector.sent("reply")[-1])[0]
    assert "direct message" in str(reply)
    assert await teams.app.outbox.run_once() == 1
    [sent] = [b for b in teams.connector.sent("send") if "personal-dana" in str(b.get("conversation"))]
    card = cards(sent)[0]
    valid_card(card)
    [button] = card["actions"]
    assert button["type"] == "Action.OpenUrl" and "/dashboard/sign-in?t=" in button["url"]


async def test_the_resolve_form_offers_the_root_causes(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Customer charged twice on invoice 8812")
    await teams.app.outbox.run_once()
    [owner_card] = [b for b in teams.connector.sent("send") if "personal-dana" in str(b.get("conversation"))]
    card = cards(owner_card)[0]
    resolve = next(a for a in card["actions"] if a["title"] == "Resolve")
    picker = next(b for b in resolve["card"]["body"] if b.get("id", "").endswith("category"))
    assert [c["value"] for c in picker["choices"]][:2] == ["process", "product defect"]
    await teams.submit("dana", {"cx": "resolve", "ref": "CX-1", "resolve_note": "Refunded",
                                picker["id"]: "product defect"}, reply_to="card-42")
    async with teams.app.db.transaction() as session:
        item = (await session.scalars(select(PainPoint))).one()
    assert (item.status, item.cause_category) == ("resolved", "product defect")
