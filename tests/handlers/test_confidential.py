"""Restricted items: only the people who raised them, their department and admins see them, on every surface;
a reference is no way to learn that one exists."""
from __future__ import annotations

from datetime import timedelta

from bot.app import App
from handlers.clock import FixedClock
from messages.render import Renderer
from tests.ledger import message, say, snapshot


async def restricted_item(app: App) -> None:
    await say(app, "local:sam", "log Refund owed to Jane Doe, account 4471 customer=JaneDoe")
    restricted = await say(app, "local:sam", "restrict CX-1")
    assert restricted.ok and "restricted now" in str(restricted.replies[0].data)


async def test_outsiders_cannot_see_a_restricted_item_by_any_way(app: App, clock: FixedClock) -> None:
    await restricted_item(app)
    unknown = await say(app, "local:lee", "show CX-99")
    hidden = await say(app, "local:lee", "show CX-1")  # main: anyone could read it, by sequential id
    assert not hidden.ok and message(hidden) == message(unknown).replace("CX-99", "CX-1")
    before = await snapshot(app)
    for line in ("metoo CX-1", "comment CX-1 what is this?", "ack CX-1", "reopen CX-1 no"):
        refused = await say(app, "local:lee", line)
        assert not refused.ok and "can't find 'CX-1'" in message(refused), line
    assert await snapshot(app) == before
    clock.advance(timedelta(days=5))  # overdue now: lists others read leave it out
    overdue = await say(app, "local:lee", "overdue")
    assert "CX-1" not in str(overdue.replies[0].data)
    queue = await say(app, "local:lee", "queue billing")
    assert "Jane" not in str(queue.replies[0].data) and "CX-1" not in str(queue.replies[0].data)


async def test_the_people_who_may_see_it_still_do(app: App, clock: FixedClock) -> None:
    await restricted_item(app)
    for who in ("local:sam", "local:dana", "local:ana", "local:cora"):  # reporter, owner, rep, admin
        shown = await say(app, who, "show CX-1")
        assert shown.ok and "Refund owed to Jane Doe" in str(shown.replies[0].data), who
        assert "restricted" in Renderer("text").render("item", shown.replies[0].data)
    clock.advance(timedelta(days=5))
    assert "CX-1" in str((await say(app, "local:dana", "overdue")).replies[0].data)
    assert (await say(app, "local:dana", "ack CX-1")).ok


async def test_the_digest_names_no_restricted_summary(app: App, clock: FixedClock) -> None:
    await restricted_item(app)
    clock.advance(timedelta(days=8))
    digest = await say(app, "local:leo", "digest")
    from messages.render import SlackRenderer, TeamsRenderer

    template, data = digest.replies[0].template, digest.replies[0].data
    assert "Jane" not in str(data)  # main: the summary went to leadership and department channels
    for shown in (Renderer("text").render(template, data), str(SlackRenderer().message(template, data)),
                  str(TeamsRenderer().card(template, data))):
        assert "Jane" not in shown and "CX-1" in shown  # still counted, and its owner still accountable


async def test_only_its_people_may_restrict_or_open_it_up(app: App) -> None:
    await say(app, "local:sam", "log Invoice shows the wrong VAT")
    refused = await say(app, "local:lee", "restrict CX-1")
    assert not refused.ok
    assert (await say(app, "local:dana", "restrict CX-1")).ok
    again = await say(app, "local:dana", "restrict CX-1")
    assert not again.ok and "already restricted" in message(again)
    assert (await say(app, "local:sam", "unrestrict CX-1")).ok
    assert (await say(app, "local:lee", "show CX-1")).ok
