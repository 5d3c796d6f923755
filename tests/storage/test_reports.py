"""The digest's figures, read over index ranges, are the figures of their definitions: checked on a seeded ledger
against the rules computed item by item in Python, for complete weeks and the week in progress."""
from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from bot.app import App
from handlers import overdue as late
from handlers.clock import FixedClock
from storage import pain_points, reports
from storage.models import Department, PainPoint, Snooze

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday: week 48 is in progress
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def seeded(departments: list[int], count: int = 600) -> list[dict[str, Any]]:
    """Items over ten weeks in every state: open, acknowledged, snoozed, resolved, declined, duplicates."""
    rng = random.Random(48)
    rows = []
    for n in range(count):
        created = NOW - timedelta(minutes=rng.randrange(10 * 7 * 24 * 60))
        row: dict[str, Any] = {
            "summary": f"Pain {n}", "stage": "billing", "severity": "medium", "reporter": "local:sam",
            "department_id": rng.choice(departments), "owner": "local:dana", "status": "open",
            "created_at": created, "updated_at": created, "ack_due_at": created + timedelta(hours=rng.choice([4, 24])),
            "resolve_due_at": created + timedelta(days=rng.choice([3, 7]))}
        state = rng.choice(["open", "acknowledged", "resolved", "declined", "duplicate", "snoozed"])
        if state != "open":
            row |= {"status": "acknowledged",
                    "acknowledged_at": min(NOW, created + timedelta(hours=rng.randrange(1, 60)))}
        if state in ("resolved", "declined", "duplicate"):
            closed = min(NOW, row["acknowledged_at"] + timedelta(hours=rng.randrange(1, 200)))
            row |= {"status": state, "closed_at": closed, "resolved_at": closed if state == "resolved" else None}
        if state == "snoozed":
            row["snoozed_until"] = NOW + timedelta(hours=rng.choice([-2, 5]))
        rows.append(row)
    return rows


def snoozes(rows: list[dict[str, Any]], ids: list[int]) -> list[dict[str, Any]]:
    """The snoozes of the seeded items: those quiet now (or until a moment since) from two days before, and
    four in ten of the others once, at some time of their life, ended by their closing if sooner."""
    rng = random.Random(49)
    found = []
    for row, item in zip(rows, ids, strict=True):
        if row.get("snoozed_until"):
            found.append({"pain_point_id": item, "until": row["snoozed_until"],
                          "started_at": max(row["created_at"], row["snoozed_until"] - timedelta(days=2))})
        elif rng.random() < 0.4:
            start = row["created_at"] + timedelta(hours=rng.randrange(1, 100), seconds=rng.randrange(1, 60))
            end = min(start + timedelta(hours=rng.randrange(1, 120)), row.get("closed_at") or NOW, NOW)
            if start < end:
                found.append({"pain_point_id": item, "started_at": start, "until": end})
    return found


async def seed(app: App) -> tuple[list[int], dict[int, list[tuple[datetime, datetime]]]]:
    """The seeded ledger, written; (its departments, each item's snoozes)."""
    async with app.db.transaction() as session:
        departments = list(await session.scalars(select(Department.id)))
        rows = seeded(departments)
        ids = list(await session.scalars(insert(PainPoint).returning(PainPoint.id, sort_by_parameter_order=True),
                                         rows))
        quiet = snoozes(rows, ids)
        await session.execute(insert(Snooze), quiet)
    stretches: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in quiet:
        stretches.setdefault(row["pain_point_id"], []).append((row["started_at"], row["until"]))
    return departments, stretches


def overdue_then(item: PainPoint, moment: datetime, snoozed: Mapping[int, list[tuple[datetime, datetime]]]
                 ) -> bool:
    alive = item.created_at < moment and (item.closed_at is None or item.closed_at >= moment)
    unacked = item.acknowledged_at is None or item.acknowledged_at >= moment
    quiet = any(start <= moment < until for start, until in snoozed.get(item.id, []))
    return alive and not quiet and ((unacked and item.ack_due_at < moment) or item.resolve_due_at < moment)


def within(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end


async def test_week_figures_and_overdue_lists_follow_their_definitions(app: App, clock: FixedClock) -> None:
    clock.set(NOW)
    departments, quiet = await seed(app)
    async with app.db.transaction(read_only=True) as session:
        items = list(await session.scalars(select(PainPoint)))
        for weeks_back in range(9):
            start, in_progress = MONDAY - timedelta(days=7 * weeks_back), weeks_back == 0
            end = start + timedelta(days=7)
            rule = late.clause(NOW) if in_progress else reports.overdue_at(end)
            # as the digest counts a past week: by the clocks, less the snoozes of its end
            clocks = rule if in_progress else reports.overdue_at(end, snoozes=False)
            rows = {r.department_id: r for r in await reports.week(
                session=session, start=start, end=end, overdue=clocks, snoozed=None if in_progress else end)}
            assert set(rows) == set(departments)

            def is_late(item: PainPoint, end: datetime = end, in_progress: bool = in_progress) -> bool:
                return late.is_overdue(item, NOW) if in_progress else overdue_then(item, end, quiet)

            for dep in departments:
                mine = [i for i in items if i.department_id == dep]
                expected = (
                    sum(within(i.created_at, start, end) for i in mine),
                    sum(i.status == "resolved" and within(i.resolved_at, start, end) for i in mine),
                    sum(i.status == "declined" and within(i.closed_at, start, end) for i in mine),
                    sum(i.created_at < end and (i.closed_at is None or i.closed_at >= end) for i in mine),
                    sum(is_late(i) for i in mine))
                row = rows[dep]
                assert (row.new, row.resolved, row.declined, row.open, row.overdue) == expected, (start, dep)
            listed = await pain_points.overdue(session=session, overdue=rule, limit=5,
                                               closed_since=None if in_progress else end)
            by_due = sorted((i for i in items if is_late(i)),
                            key=lambda i: (i.ack_due_at if i.status == "open" else i.resolve_due_at, i.id))
            assert [i.id for i in listed] == [i.id for i in by_due[:5]], start
            assert sum(r.overdue for r in rows.values()) == len(by_due)
            new, resolved = await reports.totals(session=session, start=start, end=end)
            assert (new, resolved) == (sum(r.new for r in rows.values()), sum(r.resolved for r in rows.values()))


async def test_the_weekly_trend_follows_the_same_definitions(app: App, clock: FixedClock) -> None:
    """The scorecards' twelve weeks in one pass: what came in, was resolved, and was overdue at each week's end
    (from the spans of time items were late), item by item as above; the last week, ending now, by the live
    rule."""
    clock.set(NOW)
    departments, quiet = await seed(app)
    weeks, start = 9, NOW - timedelta(weeks=9)
    async with app.db.transaction(read_only=True) as session:
        items = list(await session.scalars(select(PainPoint)))
        trend = await reports.weekly(session=session, start=start, weeks=weeks, overdue_now=late.clause(NOW))
        whole = {r.department_id: r for r in await reports.week(session=session, start=start, end=NOW,
                                                                 overdue=late.clause(NOW))}
    for dep in departments:
        mine = [i for i in items if i.department_id == dep]
        for n in range(weeks):
            begin, end = start + timedelta(weeks=n), start + timedelta(weeks=n + 1)
            got = trend.get((dep, n), reports.Weekly())
            expected = (sum(within(i.created_at, begin, end) for i in mine),
                        sum(i.status == "resolved" and within(i.resolved_at, begin, end) for i in mine),
                        sum(late.is_overdue(i, NOW) if n == weeks - 1 else overdue_then(i, end, quiet) for i in mine))
            assert (got.new, got.resolved, got.overdue) == expected, (dep, n)
    assert sum(w.overdue for w in trend.values()) > 50  # the ledger has plenty of late items to count
    for dep, row in whole.items():  # the weeks add up to the period, as the scorecards show it
        weeks_of = [trend.get((dep, n), reports.Weekly()) for n in range(weeks)]
        assert (sum(w.new for w in weeks_of), sum(w.resolved for w in weeks_of), sum(w.declined for w in weeks_of),
                sum(w.open for w in weeks_of), weeks_of[-1].overdue) == (row.new, row.resolved, row.declined,
                                                                         row.open, row.overdue), dep


def test_statements_that_keep_a_column_off_its_index_are_cached_as_what_they_say() -> None:
    """`unindexed` belongs to the statement's cache key: a report's statements are compiled once, not on every
    read (main: no key, so every digest, dashboard page and export compiled each statement again), and two
    statements that differ only in the column it wraps never share a compiled form."""
    on_status = select(PainPoint.id).where(reports.unindexed(PainPoint.status) == "resolved")
    on_stage = select(PainPoint.id).where(reports.unindexed(PainPoint.stage) == "resolved")
    again = select(PainPoint.id).where(reports.unindexed(PainPoint.status) == "declined")
    key = on_status._generate_cache_key()
    assert key is not None
    assert key != on_stage._generate_cache_key()
    assert key == again._generate_cache_key()  # the same statement with another value: one compiled form
