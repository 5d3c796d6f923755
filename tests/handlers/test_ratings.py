""""Did this fix it?" as a rating: one click for "yes" (a 5), 1-5 with a comment otherwise, one per person per
resolution (answering again changes it), a low one offers to reopen with its comment, and the digest and
scorecards report them."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import App
from handlers import dashboard, journey
from handlers.base import Context
from handlers.clock import FixedClock
from storage.models import Rating
from tests.handlers.test_digest import digest
from tests.ledger import message, outbox_for, say, snapshot


async def given(app: App) -> list[tuple[str, int, str | None]]:
    async with app.db.transaction() as session:
        return [(r.person, r.rating, r.comment) for r in await session.scalars(select(Rating).order_by(Rating.id))]


async def resolved(app: App) -> None:
    assert (await say(app, "local:sam", "log Invoice charged twice stage=billing")).ok
    assert (await say(app, "local:lee", "metoo CX-1")).ok
    assert (await say(app, "local:dana", "resolve CX-1 Refunded the second charge")).ok


async def test_the_resolved_message_asks_for_a_rating_with_yes_as_one_click(app: App) -> None:
    await resolved(app)
    (note,) = [m for m in await outbox_for(app, "local:sam") if m.template == "resolved"]
    said = app.renderer.render("resolved", note.payload)
    assert "[Yes: fixed CX-1] [Rate it: rate CX-1 <1-5> [comment]] [No, reopen: reopen CX-1 <why>]" in said
    assert "unfixed" not in said and "told" not in said
    assert (await say(app, "local:sam", "fixed CX-1")).ok
    assert await given(app) == [("local:sam", 5, None)]


async def test_a_second_answer_changes_the_rating_never_adds_one(app: App) -> None:
    await resolved(app)
    first = await say(app, "local:sam", "rate CX-1 4 Refund arrived, the email did not")
    assert first.ok and first.replies[0].data["headline"] == "Thanks, Sam: you rated the fix for CX-1 4 of 5."
    assert (await say(app, "local:sam", "rate CX-1 3/5 The second invoice is wrong too")).ok
    assert (await say(app, "local:lee", "rate CX-1 5")).ok
    assert await given(app) == [("local:sam", 3, "The second invoice is wrong too"), ("local:lee", 5, None)]
    rated = [m.payload for m in await outbox_for(app, "local:dana") if m.template == "rated"]
    assert [(r["by"], r["rating"], r["before"]) for r in rated] == [("Sam", 4, None), ("Sam", 3, 4), ("Lee", 5, None)]
    assert "Sam rated your fix for CX-1 \"Invoice charged twice\" 3 of 5 (was 4)." in app.renderer.render(
        "rated", rated[1])
    again = await say(app, "local:sam", "rate CX-1 3/5 The second invoice is wrong too")
    assert again.ok and len([m for m in await outbox_for(app, "local:dana") if m.template == "rated"]) == 3


async def test_a_low_rating_offers_to_reopen_with_its_comment(app: App) -> None:
    await resolved(app)
    low = await say(app, "local:sam", "rate CX-1 1 Still charged twice this morning")
    assert low.ok
    reply = low.replies[0].data
    assert reply["headline"] == ("Sorry it isn't fixed, Sam: you rated CX-1 1 of 5. Reopen it with your comment "
                                 "as the reason?")
    assert [a["id"] for a in reply["item"]["actions"]] == ["unfixed"]
    assert "[Reopen with my comment: unfixed CX-1]" in app.renderer.render("updated", reply)
    reopened = await say(app, "local:sam", "unfixed CX-1")
    assert reopened.ok and reopened.replies[0].data["item"]["status"] == "open"
    assert reopened.replies[0].data["note"] == "Still charged twice this morning"


async def test_bad_ratings_are_refused_and_change_nothing(app: App) -> None:
    await resolved(app)
    before = await snapshot(app)
    for line in ("rate CX-1", "rate CX-1 6", "rate CX-1 great"):
        refused = await say(app, "local:sam", line)
        assert not refused.ok and "from 1 (not fixed) to 5 (fixed)" in message(refused), line
    stranger = await say(app, "local:ana", "rate CX-1 5")
    assert not stranger.ok and "Only the people who raised CX-1" in message(stranger)
    no_comment = await say(app, "local:sam", "unfixed CX-1")
    assert not no_comment.ok
    assert await snapshot(app) == before and await given(app) == []


async def test_the_digest_and_scorecards_report_ratings(app: App, clock: FixedClock) -> None:
    await resolved(app)
    assert (await say(app, "local:sam", "rate CX-1 4")).ok
    assert (await say(app, "local:lee", "rate CX-1 5")).ok
    clock.set(datetime(2026, 11, 30, 8, tzinfo=UTC))
    data = (await digest(app, week="2026-W48")).replies[0].data
    assert data["rated"] == {"average": 4.5, "count": 2}
    assert "Fixes rated 4.5 of 5 (2 ratings)" in app.renderer.render("digest", data)
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:dana")
        assert seen is not None
        [billing] = (await journey.scorecards(ctx, seen))["rows"]
        assert billing["rated"] == {"average": 4.5, "count": 2} and billing["rating"] == 4.5
