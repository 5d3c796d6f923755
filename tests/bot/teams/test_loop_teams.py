"""The customer loop, the rating and a wait in Teams, through the real HTTP path and the real botbuilder."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import FollowUp, PainPoint, Rating
from tests.bot.teams.harness import Teams, cards, valid_card


async def test_tell_the_customer_rate_the_fix_and_wait_from_cards(teams: Teams) -> None:
    connector = teams.connector
    for who in ("dana", "sam"):
        await teams.say(who, "mine")  # both have opened the bot: their personal chats are known
    await teams.say("sam", "log Customer charged twice on invoice 8812 customer=ACME")
    await teams.say("sam", "log Refund form loses the amount")
    # a wait from the owner's card: its form's fields, the clock paused
    await teams.submit("dana", {"cx": "wait", "ref": "CX-2", "wait_on": "finance", "wait_note": "their rules"})
    async with teams.app.db.transaction() as session:
        waiting = await session.get_one(PainPoint, 2)
        assert (waiting.waiting_on, waiting.waiting_note) == ("finance", "their rules")
    await teams.submit("dana", {"cx": "resolve", "ref": "CX-1", "resolve_note": "Refunded the duplicate charge"})
    await teams.app.outbox.run_once()
    to_sam = [b for b in connector.sent("send") if "personal-sam" in str(b.get("conversation"))]
    task = cards(to_sam[-1])[0]
    valid_card(task)
    assert "please tell ACME what was done" in str(task)
    assert [a["title"] for a in task["actions"]] == ["Customer told", "Not needed", "Remind me tomorrow"]
    [message] = [b for b in task["body"] if b["type"] == "Input.Text"]
    assert message["value"].startswith("Hello ACME, thank you for telling us about this")  # to copy and change
    # rate it 2 with a comment from the resolved card's form, then tell the customer from the task card
    await teams.submit("sam", {"cx": "rate", "ref": "CX-1", "rate_rating": "2", "rate_comment": "Email says failed"})
    [low] = [cards(b)[0] for kind in ("reply", "update") for b in connector.sent(kind)
             if "Sorry it isn" in str(b)]
    valid_card(low)
    assert [a["title"] for a in low["actions"]] == ["Reopen with my comment"]
    await teams.submit("sam", {"cx": "told", "ref": "CX-1", "suggested": "Hello ACME, it is fixed"},
                       reply_to="task-1")
    [update] = [u for u in connector.sent("update") if u["id"] == "task-1"]
    assert "ACME heard what was done about CX-1" in str(update)
    async with teams.app.db.transaction() as session:
        assert [(r.rating, r.comment) for r in await session.scalars(select(Rating))] == [(2, "Email says failed")]
        assert [(f.customer, f.status) for f in await session.scalars(select(FollowUp))] == [("ACME", "told")]
