"""Before the breach: the owner hears once, inside their working hours, when 80% of an item's SLA has run;
nudges count on as before; a waiting or snoozed item gets no warning."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from handlers.clock import FixedClock
from storage import people
from storage.models import OutboxMessage
from tests.handlers.test_nudges import sent, sweep
from tests.ledger import outbox_for, say


async def warnings(app: App, who: str = "local:dana") -> list[OutboxMessage]:
    return [m for m in await outbox_for(app, who) if m.template == "breach_warning"]


async def test_the_owner_is_warned_once_when_four_fifths_of_the_sla_has_run(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok  # Mon 09:00, ack due 13:00
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 3h of 4 run: not yet
    await sweep(app)
    assert await warnings(app) == []
    clock.set(datetime(2026, 11, 23, 12, 12, tzinfo=UTC))  # 48m left: 80% has run
    await sweep(app)
    await sweep(app)
    (warning,) = await warnings(app)
    said = app.renderer.render("breach_warning", warning.payload)
    assert said.startswith("CX-1 is to be acknowledged within 48m of working time")
    assert "[Acknowledge: ack CX-1]" in said
    clock.set(datetime(2026, 11, 23, 13, 5, tzinfo=UTC))  # overdue: the first nudge is still the first
    report = await sweep(app)
    assert [s["refs"] for s in report.replies[0].data["sent"] if s["template"] == "nudge"] == [["CX-1"]]
    assert [m.payload["items"][0]["nudged"] for m in await sent(app, "nudge")] == [0]
    assert len(await warnings(app)) == 1
    assert (await say(app, "local:dana", "ack CX-1")).ok  # the resolve clock: its own warning, later
    clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))  # resolve due Thu 09:00: Wed 11:00, 6h of 24h left
    await sweep(app)
    assert len(await warnings(app)) == 1
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))  # 4h left: past four fifths
    await sweep(app)
    assert [m.payload["kind"] for m in await warnings(app)] == ["ack", "resolve"]


async def test_no_warning_outside_working_hours_for_a_waiting_or_a_snoozed_item(app: App,
                                                                               clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok  # ack due Tue 12:00
    assert (await say(app, "local:sam", "log Refund form is slow severity=high")).ok
    assert (await say(app, "local:dana", "wait CX-2 customer sent us the wrong form")).ok
    clock.set(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))  # night: nobody is told
    await sweep(app)
    assert await warnings(app) == []
    clock.set(datetime(2026, 11, 24, 11, 30, tzinfo=UTC))  # inside her hours, 30m left on CX-1
    await sweep(app)
    assert [m.payload["item"]["ref"] for m in await warnings(app)] == ["CX-1"]  # CX-2 is waiting


async def test_warn_at_zero_turns_warnings_off(app: App, clock: FixedClock) -> None:
    app.org = app.org.model_copy(update={"nudges": app.org.nudges.model_copy(update={"warn_at": 0})})
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok
    clock.set(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
    await sweep(app)
    assert await warnings(app) == []


async def test_the_warning_waits_for_the_owner_s_own_hours(app: App, clock: FixedClock) -> None:
    """Dana works in New York (09:00-17:00 there is 14:00-22:00 in London): a critical item's hour runs out while
    she sleeps, so nobody warns her at 04:50 her time; once it is overdue, the nudge in her hours is the news."""
    async with app.db.transaction() as session:
        dana = await people.get(session=session, who="local:dana")
        assert dana is not None
        dana.timezone = "America/New_York"
    assert (await say(app, "local:sam", "log Invoice total wrong severity=critical")).ok  # ack due Mon 10:00
    clock.set(datetime(2026, 11, 23, 9, 50, tzinfo=UTC))  # 10m left: 04:50 in New York
    await sweep(app)
    assert await warnings(app) == []
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in New York: overdue by now
    await sweep(app)
    assert await warnings(app) == [] and [m.recipient for m in await sent(app, "nudge")] == ["local:dana"]
