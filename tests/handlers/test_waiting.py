"""A fair clock: waiting on the customer or another team pauses the SLA; nudges stop; the clock resumes with
the time that was left when the wait ends (by hand, by acting on the item, or when its date passes); the time
spent waiting is kept and shown."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from handlers import dashboard, journey
from handlers.base import Context
from handlers.clock import FixedClock, working_between
from handlers.org import WorkingHours
from messages.web import pages
from storage import pain_points
from storage.models import PainPoint
from tests.handlers.test_digest import digest
from tests.handlers.test_nudges import sent, sweep
from tests.ledger import message, outbox_for, say, snapshot


async def item(app: App, ref: str = "CX-1") -> PainPoint:
    async with app.db.transaction() as session:
        found = await pain_points.get(session=session, ref=ref)
        assert found is not None
        return found


def test_working_time_between_two_moments_skips_nights_weekends_and_holidays() -> None:
    london, hours = ZoneInfo("Europe/London"), WorkingHours()
    friday_four = datetime(2026, 11, 27, 16, tzinfo=UTC)
    assert working_between(friday_four, datetime(2026, 11, 30, 10, tzinfo=UTC), hours, london) == timedelta(hours=2)
    assert working_between(friday_four, friday_four - timedelta(hours=1), hours, london) == timedelta(0)
    assert working_between(datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC), hours,
                           london) == timedelta(hours=40)


async def test_a_wait_pauses_the_clock_and_resumes_it_with_the_time_that_was_left(app: App,
                                                                                  clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok  # Mon 09:00, ack due 13:00
    clock.set(datetime(2026, 11, 23, 11, tzinfo=UTC))  # two hours left
    waited = await say(app, "local:dana", "wait CX-1 customer asked for the invoice number")
    assert waited.ok and waited.replies[0].data["headline"].startswith(
        "CX-1 is waiting on the customer (Dana). Its clock is paused")
    clock.set(datetime(2026, 11, 24, 15, tzinfo=UTC))  # long past the old due time: no nudge while waiting
    await sweep(app)
    assert await sent(app) == []
    shown = (await say(app, "local:dana", "show CX-1")).replies[0].data["item"]
    assert shown["due"] is None and shown["waiting"]["on"] == "the customer" and not shown["overdue"]
    assert [a["id"] for a in shown["actions"]][:2] == ["acknowledge", "reassign"]
    assert "resume" in [a["id"] for a in shown["actions"]] and "wait" not in [a["id"] for a in shown["actions"]]
    resumed = await say(app, "local:dana", "resume CX-1")
    assert resumed.ok and "it waited 12h" in resumed.replies[0].data["headline"]  # Mon 11-17 and Tue 9-15
    after = await item(app)
    assert after.ack_due_at == datetime(2026, 11, 24, 17, tzinfo=UTC)  # the two hours left, from Tue 15:00
    assert after.waited_seconds == 12 * 3600 and after.waiting_on is None
    text = app.renderer.render("item", (await say(app, "local:dana", "show CX-1")).replies[0].data)
    assert "Time spent waiting: 12h" in text


async def test_a_wait_outside_working_hours_leaves_the_due_time_where_it_was(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok  # medium: ack due Mon 17:00
    before = (await item(app)).ack_due_at
    clock.set(datetime(2026, 11, 23, 22, tzinfo=UTC))
    assert (await say(app, "local:dana", "wait CX-1 customer")).ok
    clock.set(datetime(2026, 11, 23, 23, tzinfo=UTC))
    assert (await say(app, "local:dana", "resume CX-1")).ok
    assert (await item(app)).ack_due_at == before  # no working time waited: not carried to Tuesday


async def test_acting_on_a_waiting_item_ends_the_wait(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Refund form loses the amount severity=high")).ok
    assert (await say(app, "local:dana", "ack CX-1")).ok  # resolve due Thu 09:00 (3 working days)
    assert (await say(app, "local:dana", "wait CX-1 finance the refund rules are theirs")).ok
    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))  # one working day (8h) later
    assert (await say(app, "local:dana", "resolve CX-1 Finance fixed the form")).ok
    after = await item(app)
    assert after.status == "resolved" and after.waiting_on is None and after.waited_seconds == 8 * 3600


async def test_a_stale_button_on_a_waiting_item_leaves_the_wait(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Refund form loses the amount severity=high")).ok
    assert (await say(app, "local:dana", "ack CX-1")).ok
    assert (await say(app, "local:dana", "wait CX-1 finance")).ok
    stale = await say(app, "local:dana", "ack CX-1")  # an old card's Acknowledge
    assert stale.ok and stale.replies[0].template == "current_state"
    assert (await item(app)).waiting_on == "finance"


async def test_a_wait_with_a_date_ends_by_itself_and_the_owner_hears(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok
    assert (await say(app, "local:dana", "wait CX-1 finance until=2026-11-25 they close the month first")).ok
    clock.set(datetime(2026, 11, 25, 9, 5, tzinfo=UTC))
    await sweep(app)
    after = await item(app)
    assert after.waiting_on is None and after.ack_due_at == datetime(2026, 11, 25, 13, 5, tzinfo=UTC)
    [over] = [m for m in await outbox_for(app, "local:dana") if m.template == "wait_over"]
    said = app.renderer.render("wait_over", over.payload)
    assert "is no longer waiting on finance: its date has passed, after 16h of waiting" in said


async def test_bad_waits_are_refused_and_change_nothing(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok
    before = await snapshot(app)
    for line, words in (("wait CX-1", "Waiting on whom?"), ("wait CX-1 customer until=2026-01-01", "has passed"),
                        ("wait CX-1 customer until=someday", "can't read")):
        refused = await say(app, "local:dana", line)
        assert not refused.ok and words in message(refused), line
    stranger = await say(app, "local:sam", "wait CX-1 customer")
    assert not stranger.ok
    assert await snapshot(app) == before


async def test_a_wait_across_the_clock_change_counts_working_hours_not_wall_hours(app: App,
                                                                                 clock: FixedClock) -> None:
    """London's clocks go back on Sunday 25 October 2026: a wait from Friday 16:00 to Monday 10:00 is two working
    hours (Friday 16-17, Monday 9-10), and the due time moves on by those two hours, at the same wall-clock time."""
    clock.set(datetime(2026, 10, 23, 14, 0, tzinfo=UTC))  # Friday 15:00 BST
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok  # ack due Mon 11:00 GMT
    before = (await item(app)).ack_due_at
    assert before == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)
    clock.set(datetime(2026, 10, 23, 15, 0, tzinfo=UTC))  # Friday 16:00 BST
    assert (await say(app, "local:dana", "wait CX-1 customer")).ok
    clock.set(datetime(2026, 10, 26, 10, 0, tzinfo=UTC))  # Monday 10:00 GMT
    resumed = await say(app, "local:dana", "resume CX-1")
    assert "it waited 2h" in resumed.replies[0].data["headline"]
    assert (await item(app)).ack_due_at == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)


async def test_the_digest_reports_what_waits_and_how_long_the_week_s_items_waited(app: App,
                                                                                 clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok
    assert (await say(app, "local:sam", "log Refund form is slow")).ok
    assert (await say(app, "local:sam", "log Refund email missing")).ok
    assert (await say(app, "local:dana", "wait CX-1 customer")).ok
    assert (await say(app, "local:dana", "wait CX-2 finance")).ok
    assert (await say(app, "local:dana", "wait CX-3 customer")).ok
    clock.set(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    assert (await say(app, "local:dana", "resolve CX-3 Sent the email again")).ok  # waited 4h, then closed
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    data = (await digest(app, week="2026-W48")).replies[0].data
    assert data["waiting"] == {"customers": 1, "teams": 1, "waited": "4h"}
    assert ("Waiting, clock paused: 1 on customers, 1 on other teams · the week's closed items waited 4h in all"
            in app.renderer.render("digest", data))


async def test_an_item_waiting_at_a_week_s_end_was_not_overdue_then(app: App, clock: FixedClock) -> None:
    """A complete week's digest counts overdue what was overdue at the week's end: an item waiting on the customer
    then was not (its clock was paused), as `overdue` says while it waits (main: the digest counted it by its old
    due time and listed it first); one whose wait began after the week's end was."""
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok  # Mon 09:00, ack due 13:00
    assert (await say(app, "local:sam", "log Refund form is slow severity=high")).ok  # never waits
    assert (await say(app, "local:sam", "log Refund email missing severity=high")).ok  # waits from W49
    clock.set(datetime(2026, 11, 23, 11, tzinfo=UTC))
    assert (await say(app, "local:dana", "wait CX-1 customer asked for the invoice number")).ok
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday: W48 is complete, CX-1 still waits
    assert (await say(app, "local:dana", "wait CX-3 customer asked which address they use")).ok
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # the scorecards' last complete week ends Tue 24 Nov 08:00
    assert "CX-1" not in message(await say(app, "local:dana", "overdue"))
    data = (await digest(app, week="2026-W48")).replies[0].data
    assert data["overdue"] == 2 and sorted(i["ref"] for i in data["overdue_items"]) == ["CX-2", "CX-3"]
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:leo")
        assert seen is not None
        billing = next(r for r in (await journey.scorecards(ctx, seen))["rows"] if r["department"] == "Billing")
    assert billing["trend"]["overdue"][-2] == 2  # at Tue 24 Nov 08:00 too, CX-1 waiting (main: 3)


async def test_the_dashboard_item_page_shows_the_wait(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok
    assert (await say(app, "local:dana", "wait CX-1 finance until=2026-11-27 month end first")).ok
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:dana")
        assert seen is not None
        found = await dashboard.page(ctx, seen, "CX-1")
    assert found is not None
    html = pages().get_template("item.html").render(title="CX-1", **found, viewer=seen, csrf="x", here="items",
                                                     tz="Europe/London")
    assert "waiting on finance since" in html and "clock paused: month end first" in html


async def test_waiting_on_something_else_ends_the_first_wait_in_the_asker_s_name(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok
    assert (await say(app, "local:dana", "wait CX-1 customer")).ok
    clock.set(datetime(2026, 11, 23, 10, tzinfo=UTC))
    again = await say(app, "local:dana", "wait CX-1 finance until=2026-11-26 the customer answered, finance next")
    assert again.ok and "until Thu 26 Nov (Dana)" in again.replies[0].data["headline"]
    async with app.db.transaction() as session:
        found = await pain_points.get(session=session, ref="CX-1")
        assert found is not None
        events = await pain_points.history(session=session, item=found)
    assert [(e.action, e.actor) for e in events][-3:] == [("wait", "local:dana"), ("resume", "local:dana"),
                                                         ("wait", "local:dana")]
    assert (await item(app)).waited_seconds == 3600
