"""Before a new item is created, the similar ones are shown (up to three, each with its department, status, age and
how many people it hurts); nothing changes until the person says "me too" on one or logs theirs anyway. Restricted
items are shown only to who may see them; owners see what an item may repeat."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from bot.app import App
from bot.console import Console
from handlers.base import Actor, Command
from storage.models import Affected, PainPoint
from tests.ledger import say, snapshot

FIRST = "log Refund for order 5521 still missing after 3 weeks customer=ACME"


async def count(app: App) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(PainPoint)) or 0)


async def test_a_similar_text_is_shown_its_items_and_nothing_changes(app: App) -> None:
    assert (await say(app, "local:sam", FIRST)).replies[0].template == "logged"
    await say(app, "local:lee", "metoo CX-1")
    before = await snapshot(app)
    shown = await say(app, "local:raj", "log Refund still missing for order 5521 customer=Globex stage=billing")
    assert shown.ok and not shown.notices and await snapshot(app) == before
    [reply] = shown.replies
    assert reply.template == "similar"
    [item] = reply.data["suggestions"]
    assert {k: item[k] for k in ("ref", "department", "status", "people", "customer_ref", "age")} == {
        "ref": "CX-1", "department": "Billing", "status": "open", "people": 2, "customer_ref": "ACME", "age": "1m"}
    assert reply.data["again"] == {"summary": "Refund still missing for order 5521", "stage": "billing",
                                   "severity": "medium", "customer": "Globex", "anyway": "yes"}
    text = app.renderer.render("similar", reply.data)
    assert "1. CX-1 · Billing · open · logged 1m ago · 2 people hit it" in text and "(for Globex)" in text
    # the same person typing the same text twice is shown their own item too
    again = (await say(app, "local:sam", FIRST.replace("ACME", "Globex"))).replies[0]
    assert again.template == "similar" and again.data["suggestions"][0]["yours"]
    assert "you logged it" in app.renderer.render("similar", again.data)
    mine = await say(app, "local:sam", "metoo CX-1 customer=Globex")  # their own: Globex is not quietly dropped
    assert "It is logged for ACME, so Globex is not on it" in app.renderer.render("me_too", mine.replies[0].data)
    # an unrelated text is logged in one step
    assert (await say(app, "local:raj", "log Office coffee machine is broken")).replies[0].template == "logged"
    # anyway: logged, and its owner hears it may repeat CX-1
    logged = await say(app, "local:raj", "log Refund still missing for order 5521 customer=Globex anyway=yes")
    assert logged.replies[0].template == "logged" and logged.replies[0].data["item"]["ref"] == "CX-3"
    [notice] = logged.notices
    assert [s["ref"] for s in notice.data["item"]["similar"]] == ["CX-1"]
    assert "Possibly the same as: CX-1" in app.renderer.render("assignment", notice.data)


async def test_a_restricted_item_is_suggested_only_to_who_may_see_it(app: App) -> None:
    await say(app, "local:sam", "log Payroll export leaks salaries to the wrong team")
    await say(app, "local:sam", "restrict CX-1")
    outsider = await say(app, "local:lee", "log Payroll export leaks salaries")
    assert outsider.replies[0].template == "logged"  # nothing of CX-1 shows; theirs is logged
    insider = await say(app, "local:cora", "log Payroll export leaks salaries again")  # an admin
    assert insider.replies[0].template == "similar"
    assert sorted(s["ref"] for s in insider.replies[0].data["suggestions"]) == ["CX-1", "CX-2"]


async def test_owners_see_what_an_item_may_repeat_and_mark_it_in_one_click(app: App) -> None:
    await say(app, "local:sam", FIRST)
    await say(app, "local:raj", "log Refund still missing for order 5521 anyway=yes")
    shown = (await say(app, "local:dana", "show CX-2")).replies[0].data["item"]
    assert [s["ref"] for s in shown["similar"]] == ["CX-1"]
    assert "similar" not in (await say(app, "local:raj", "show CX-2")).replies[0].data["item"]  # not theirs to act
    older = (await say(app, "local:dana", "show CX-1")).replies[0]
    assert [s["ref"] for s in older.data["item"]["similar"]] == ["CX-2"]  # never itself
    # the newer one is the duplicate, whichever card it is marked from
    assert "[Mark duplicate: duplicate CX-2 of CX-1]" in app.renderer.render("item", older.data)
    assert "[Mark duplicate: duplicate CX-2 of CX-1]" in app.renderer.render(
        "item", (await say(app, "local:dana", "show CX-2")).replies[0].data)
    done = await say(app, "local:dana", "duplicate CX-2 of CX-1")
    assert done.ok and "CX-2 is marked as a duplicate by Dana" in app.renderer.render(
        done.replies[0].template, done.replies[0].data)


async def test_the_console_asks_with_a_numbered_prompt(app: App) -> None:
    out = io.StringIO()
    await Console(app, identity="local:sam", out=out).loop(io.StringIO(
        f"{FIRST}\n/as local:dana\nlog Refund still missing for order 5521 customer=Globex\n4\n1\n"
        "log Refunds missing after three weeks\nanyway\n/quit\n"))
    text = out.getvalue()
    assert "This may be logged already:\n  1. CX-1 · Billing · open" in text
    assert 'Type 1 to say "me too" on it (for Globex), or anyway to log yours all the same.' in text
    assert "There is no 4 here: type 1, or anyway." in text
    assert "Added you to CX-1" in text and "Logged CX-2" in text and "Possibly the same as: CX-1" in text
    async with app.db.transaction() as session:
        assert [(a.person, a.customer_ref) for a in await session.scalars(select(Affected))] == [
            ("local:dana", "Globex")]
    assert await count(app) == 2


async def test_a_message_logged_anyway_keeps_its_link_and_is_logged_once(app: App) -> None:
    await say(app, "local:sam", FIRST)
    source = "https://acme.slack.com/archives/C1/p1700"
    message = {"text": "Refund still missing for order 5521\nThe customer wrote twice.", "source": source}
    actor = Actor(identity="local:lee")
    shown = await app.run(Command(actor=actor, action="log_message", fields=message))
    assert shown.replies[0].template == "similar" and shown.replies[0].data["action"] == "log_message"
    again = shown.replies[0].data["again"]
    assert again == {**message, "anyway": "yes"}
    for _ in range(2):  # a second press of the button, or another reaction: counted on it, not logged again
        await app.run(Command(actor=actor, action="log_message", fields=again))
    async with app.db.transaction() as session:
        logged = list(await session.scalars(select(PainPoint).where(PainPoint.source_url == source)))
    assert [(p.summary, p.details) for p in logged] == [
        ("Refund still missing for order 5521", "Refund still missing for order 5521\nThe customer wrote twice.")]


async def test_looking_first_keeps_a_log_and_its_resolve_within_ten_statements(app: App) -> None:
    """The bench's own count (bench/handlers.py): the search for similar items is one statement, paid for by the
    resolve reading the person acting with the item (its owner), so a log and its resolve stay at ten."""
    from bench import handlers as bench

    await bench.handler_rate(app, 2)  # nothing alike among them: each is logged in one step
    sent, raw = await bench.statements(app)
    assert ([len(transaction) for transaction in sent], raw) == ([6, 4], 1)


async def test_the_department_named_weighs_like_the_stage(app: App) -> None:
    """Words that alone fall short (two in common of nine) are close enough in the department the reporter names;
    a routed department adds nothing (it comes from the same words)."""
    await say(app, "local:sam", "log Refund late after invoice email dept=billing")
    shown = await say(app, "local:lee", "log Refund late through portal dept=billing")
    assert shown.replies[0].template == "similar" and shown.replies[0].data["suggestions"][0]["ref"] == "CX-1"
    routed = await say(app, "local:lee", "log Refund late through portal")  # to Billing by its words, unnamed
    assert routed.replies[0].template == "logged" and routed.replies[0].data["item"]["department"] == "Billing"
