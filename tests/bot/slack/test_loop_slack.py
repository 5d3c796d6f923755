"""The customer loop and the rating in Slack, through the real HTTP path: the reporter rates the fix in a modal,
and is asked to tell their customer, with the buttons that record it in place."""
from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import FollowUp, Rating
from tests.bot.slack.harness import Slack


async def test_rate_the_fix_in_a_modal_and_tell_the_customer_in_place(slack: Slack) -> None:
    fake = slack.fake
    await slack.command("U0SAM", "log Customer charged twice on invoice 8812 customer=ACME")
    await slack.command("U0DANA", "resolve CX-1 Refunded the duplicate charge")
    await slack.app.outbox.run_once()
    to_sam = [c for c in fake.called("chat.postMessage") if c["channel"] == "U0SAM"]
    resolved, task = to_sam[-2:]
    assert [e["action_id"] for e in resolved["blocks"][-1]["elements"]] == ["cx_fixed", "cx_rate", "cx_reopen"]
    assert "please tell *ACME* what was done" in task["text"] or "please tell ACME" in task["text"]
    assert [e["action_id"] for e in task["blocks"][-1]["elements"]] == ["cx_told", "cx_notneeded", "cx_remind"]
    assert "Hello ACME, thank you for telling us about this" in json.dumps(task["blocks"])
    # Rate it: a modal with the 1-5 choice (5 chosen) and a comment
    await slack.click("U0SAM", "cx_rate", "CX-1")
    [opened] = fake.called("views.open")
    assert opened["view"]["callback_id"] == "cx_rate_form"
    [choice] = [b for b in opened["view"]["blocks"] if b.get("block_id") == "rating"]
    assert [o["value"] for o in choice["element"]["options"]] == ["5", "4", "3", "2", "1"]
    response = await slack.submit("U0SAM", "cx_rate_form", {"rating": "4", "comment": "Refund came, no email"},
                                  meta=json.loads(opened["view"]["private_metadata"]))
    assert response.status == 200
    [rated] = fake.called("chat.update")  # the resolved message, in place: thanks, and no buttons left
    assert "you rated the fix for CX-1 4 of 5" in rated["text"] and "cx_fixed" not in json.dumps(rated["blocks"])
    # Customer told, from the task: recorded, and the message shows the new state in place
    response = await slack.click("U0SAM", "cx_told", "CX-1", channel="D0SAM", ts="1700.000200")
    assert response.status == 200
    update = fake.called("chat.update")[-1]
    assert (update["channel"], update["ts"]) == ("D0SAM", "1700.000200")
    assert "ACME heard what was done about CX-1" in update["text"]
    async with slack.app.db.transaction() as session:
        assert [(r.rating, r.comment) for r in await session.scalars(select(Rating))] == [(4, "Refund came, no email")]
        assert [(f.customer, f.status) for f in await session.scalars(select(FollowUp))] == [("ACME", "told")]
