"""A snoozed item is quiet: not overdue while its snooze runs, now (`overdue`) and at a past week's end (the digest
of a complete week, the scorecards' weekly trend), each snooze lasting until the time asked or until it ended
sooner (a new snooze, a reassignment, its closing)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from handlers import dashboard, journey
from handlers.base import Context
from handlers.clock import FixedClock
from storage import db
from storage.models import Snooze
from tests.handlers.test_digest import digest
from tests.ledger import Database, ledger_at, say


async def stretches(app: App) -> list[tuple[int, datetime, datetime]]:
    async with app.db.transaction(read_only=True) as session:
        rows = await session.execute(select(Snooze.pain_point_id, Snooze.started_at, Snooze.until)
                                     .order_by(Snooze.id))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_an_item_snoozed_at_a_week_s_end_was_not_overdue_then(app: App, clock: FixedClock) -> None:
    """A complete week's digest counts overdue what was overdue at the week's end, and the scorecards each week's
    end: an item snoozed then was not (main: every late item was counted, snoozed or not, though `overdue` left
    it out at that very moment); one whose snooze had ended, or was cut short by another, was."""
    for summary in ("Invoice total wrong", "Refund form is slow", "Refund email missing"):
        assert (await say(app, "local:sam", f"log {summary} severity=high")).ok  # Mon 23 09:00, ack due 13:00
    clock.set(datetime(2026, 11, 23, 15, tzinfo=UTC))
    assert (await say(app, "local:dana", "snooze CX-1 2d")).ok  # until Wed 25 15:00
    assert (await say(app, "local:dana", "snooze CX-2 2d")).ok
    clock.set(datetime(2026, 11, 23, 16, tzinfo=UTC))
    assert (await say(app, "local:dana", "snooze CX-2 1h")).ok  # the two days cut short: quiet until 17:00
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))
    listed = (await say(app, "local:dana", "overdue")).replies[0].data["items"]
    assert sorted(i["ref"] for i in listed) == ["CX-2", "CX-3"]  # CX-1 is quiet
    clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))
    assert (await say(app, "local:dana", "snooze CX-3 monday")).ok  # until Mon 30 09:00, over W48's end
    assert await stretches(app) == [
        (1, datetime(2026, 11, 23, 15, tzinfo=UTC), datetime(2026, 11, 25, 15, tzinfo=UTC)),
        (2, datetime(2026, 11, 23, 15, tzinfo=UTC), datetime(2026, 11, 23, 16, tzinfo=UTC)),
        (2, datetime(2026, 11, 23, 16, tzinfo=UTC), datetime(2026, 11, 23, 17, tzinfo=UTC)),
        (3, datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC))]
    clock.set(datetime(2026, 12, 1, 8, tzinfo=UTC))  # the scorecards' last complete week ends Tue 24 Nov 08:00
    data = (await digest(app, week="2026-W48")).replies[0].data  # ends Mon 30 Nov 00:00, CX-3 quiet
    assert data["overdue"] == 2 and sorted(i["ref"] for i in data["overdue_items"]) == ["CX-1", "CX-2"]
    assert [r["overdue"] for r in data["rows"] if r["department"] == "Billing"] == [2]
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:leo")
        assert seen is not None
        billing = next(r for r in (await journey.scorecards(ctx, seen))["rows"] if r["department"] == "Billing")
    assert billing["trend"]["overdue"][-2] == 2  # at Tue 24 Nov 08:00: CX-2 and CX-3, CX-1 quiet (main: 3)


async def test_closing_or_reassigning_an_item_ends_its_snooze_then(app: App, clock: FixedClock) -> None:
    assert (await say(app, "local:sam", "log Invoice total wrong severity=high")).ok
    assert (await say(app, "local:sam", "log Refund form is slow severity=high")).ok
    clock.set(datetime(2026, 11, 23, 15, tzinfo=UTC))
    assert (await say(app, "local:dana", "snooze CX-1 2d")).ok
    assert (await say(app, "local:dana", "snooze CX-2 2d")).ok
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))
    assert (await say(app, "local:dana", "reassign CX-1 to local:ana")).ok
    assert (await say(app, "local:dana", "resolve CX-2 note=\"Fixed the form\"")).ok
    until = [u for _, _, u in await stretches(app)]
    assert until == [datetime(2026, 11, 24, 10, tzinfo=UTC)] * 2  # not Wed 25 15:00: quiet no longer
    clock.set(datetime(2026, 11, 24, 11, tzinfo=UTC))
    assert (await say(app, "local:ana", "snooze CX-1 1h")).ok
    assert (await say(app, "local:ana", "decline CX-1 reason=\"Not ours\"")).ok  # cut at once
    assert [u for _, _, u in await stretches(app)][-1] == datetime(2026, 11, 24, 11, tzinfo=UTC)


async def test_the_migration_finds_each_snooze_in_the_history(database: Database, tmp_path: Path) -> None:
    """A ledger at the migration before snoozes were kept as stretches: each snooze in the history becomes one,
    lasting until the time it asked for or until the item's next snooze, reassignment or closing."""
    async with ledger_at(database, tmp_path, "0019") as engine:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO departments (key, name, keywords, triage) VALUES ('billing', 'Billing', '[]', true)"))
            for n in (1, 2, 3):
                await conn.execute(text(
                    "INSERT INTO pain_points (id, summary, stage, severity, reporter, department_id, status, "
                    "created_at, updated_at, ack_due_at, resolve_due_at, restricted) VALUES (:n, 'Invoice wrong', "
                    "'billing', 'medium', 'local:sam', (SELECT id FROM departments WHERE key = 'billing'), 'open', "
                    "'2026-11-23 09:00:00+00:00', '2026-11-23 09:00:00+00:00', '2026-11-24 09:00:00+00:00', "
                    "'2026-11-30 09:00:00+00:00', false)"), {"n": n})
            history = [  # (item, action, at, until)
                (1, "snooze", "2026-11-23 10:00:00+00:00", "2026-11-25T10:00:00+00:00"),
                (2, "snooze", "2026-11-23 10:00:00+00:00", "2026-11-26T09:00:00+01:00"),  # the snoozer's zone
                (1, "comment", "2026-11-23 11:00:00+00:00", None),  # no end of a snooze
                (2, "snooze", "2026-11-23 12:00:00+00:00", "2026-11-24T12:00:00+00:00"),  # the first cut short
                (2, "reassign", "2026-11-23 13:00:00+00:00", None),  # the second cut short
                (3, "snooze", "2026-11-23 10:00:00+00:00", "2026-11-30T09:00:00+00:00"),
                (3, "resolve", "2026-11-24 09:30:00+00:00", None),
                (3, "reopen", "2026-11-24 10:00:00+00:00", None)]
            for item, action, at, until in history:
                await conn.execute(text(
                    "INSERT INTO pain_point_events (pain_point_id, action, actor, at, data) "
                    "VALUES (:item, :action, 'local:dana', :at, :data)"),
                    {"item": item, "action": action, "at": datetime.fromisoformat(at),
                     "data": f'{{"until": "{until}"}}' if until else "{}"})
        await db.migrate(engine)
        async with AsyncSession(engine) as session:
            rows = (await session.execute(select(Snooze.pain_point_id, Snooze.started_at, Snooze.until)
                                          .order_by(Snooze.pain_point_id, Snooze.started_at))).all()
        moment = [datetime(2026, 11, d, h, tzinfo=UTC) for d, h in ((23, 10), (25, 10), (23, 12))]
        assert [tuple(r) for r in rows] == [
            (1, moment[0], moment[1]),
            (2, moment[0], moment[2]), (2, moment[2], datetime(2026, 11, 23, 13, tzinfo=UTC)),
            (3, moment[0], datetime(2026, 11, 24, 9, 30, tzinfo=UTC))]


async def test_a_snooze_cut_short_counts_only_while_it_lasted_towards_the_most_an_item_may_be_quiet(
        app: App, clock: FixedClock) -> None:
    """An item may be quiet for at most `max_snooze` (14 days) in all. A snooze cut short by a reassignment
    counts for the day it lasted, not for the ten days it asked (main: until the next snooze began, so the new
    owner's 13 days were refused as 15 days in all)."""
    assert (await say(app, "local:sam", "log Invoice total wrong")).ok
    assert (await say(app, "local:dana", "snooze CX-1 10d")).ok  # Mon 23 09:00
    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))
    assert (await say(app, "local:dana", "reassign CX-1 to local:ana")).ok  # quiet for one day
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))
    thirteen = await say(app, "local:ana", "snooze CX-1 13d")
    assert thirteen.ok, thirteen.replies[0].data
    clock.set(datetime(2026, 11, 25, 10, tzinfo=UTC))
    more = await say(app, "local:ana", "snooze CX-1 1h")  # 1d + 1d (of the 13, cut now) + 1h: still allowed
    assert more.ok
    clock.set(datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    refused = await say(app, "local:ana", "snooze CX-1 13d")  # 2d 30m so far + 13d: over 14d
    assert not refused.ok and "snoozed for 2d already" in refused.replies[0].data["message"]


async def test_lists_say_an_item_is_snoozed_or_waiting(app: App, clock: FixedClock) -> None:
    """`mine` (and every list) said "ack due in 4h" of an item snoozed a moment before, and a due time, even
    "overdue", of one whose clock a wait had paused: each line now says it is snoozed until when, or waiting on
    whom with its clock paused (no due time, which moves when the wait ends), in chat, Slack and Teams."""
    from messages.render import SlackRenderer, TeamsRenderer

    for summary in ("Invoice total wrong", "Refund never arrived", "Login page times out"):
        assert (await say(app, "local:sam", f"log {summary} dept=billing")).ok
    assert (await say(app, "local:dana", "snooze CX-1 2d")).ok
    assert (await say(app, "local:dana", "wait CX-2 customer sending the order number")).ok
    clock.advance(timedelta(days=1))
    mine = (await say(app, "local:dana", "mine")).replies[0]
    lines = {i["ref"]: i for i in mine.data["owned"]}
    assert lines["CX-1"]["snoozed_until"] and lines["CX-1"]["due"]  # snoozed: its clock still runs
    assert lines["CX-2"]["waiting_on"] == "the customer" and lines["CX-2"]["due"] is None
    assert not lines["CX-3"]["snoozed_until"] and not lines["CX-3"]["waiting_on"] and lines["CX-3"]["due"]
    text = app.renderer.render("mine", mine.data, tz="UTC")
    line = {ref: next(row for row in text.splitlines() if f"{ref} · " in row) for ref in lines}
    assert "snoozed until" in line["CX-1"] and "due" in line["CX-1"]
    assert "waiting on the customer, clock paused" in line["CX-2"] and "due" not in line["CX-2"]
    assert "snoozed" not in line["CX-3"] and "waiting" not in line["CX-3"]
    slack = json.dumps(SlackRenderer().render("mine", mine.data, tz="UTC"))
    teams = json.dumps(TeamsRenderer().card("mine", mine.data, tz="UTC"))
    for shown in (slack, teams):
        assert shown.count("snoozed until") == 1 and shown.count("waiting on the customer, clock paused") == 1
    async with app.db.transaction(read_only=True) as session:  # and the dashboard's list of items
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:dana")
        assert seen is not None
        listed = await dashboard.listing(ctx, seen, dashboard.Filters(weeks=0))
    rows = {r["ref"]: r for r in listed["items"]}
    assert rows["CX-1"]["snoozed_until"] and rows["CX-1"]["due"]
    assert rows["CX-2"]["waiting_on"] == "the customer" and rows["CX-2"]["due"] is None
