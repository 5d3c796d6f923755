"""The weekly digest over 100,000 pain points (52 weeks, 50 departments) next to the bare GROUP BY, and a nudge
sweep over 20,000 open items with 5,000 due, with its query count.

    python -m bench.schedule [--items 100000] [--postgres URL]
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, insert, select, text

from bench.handlers import empty_schema, finished
from bot.app import App, create_app
from bot.settings import Settings
from handlers import digest
from handlers.base import Actor, Command, Context
from handlers.clock import FixedClock
from storage.models import Department, Member, Nudge, OutboxMessage, PainPoint

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday, inside working hours
STAGES = ["marketing", "sales", "onboarding", "delivery", "use", "support", "billing", "other"]


async def fresh(url: str, schema: str | None) -> App:
    """An app on an empty ledger with 50 departments, its process set up as `cxbot serve` sets up its own once
    started (bot.server's lifecycle): what is loaded by then is kept out of the collector's full passes. These
    benches run the handlers without the server around them; without it a sweep paid a full pass over every
    object the SDKs and SQLAlchemy keep (~40 ms) that the server does not."""
    app = create_app(Settings(DATABASE_URL=url), clock=FixedClock(NOW), schema=schema)
    await empty_schema(app, schema)
    await app.prepare()
    gc.collect()  # what earlier runs left goes first: only what lives on is kept out
    gc.freeze()
    async with app.db.transaction() as session:
        await session.execute(insert(Department), [{"key": f"d{n}", "name": f"Department {n}", "keywords": [],
                                                    "triage": n == 0} for n in range(50)])
        await session.execute(insert(Member), [{"department_id": n + 1, "person": f"local:owner{n}",
                                                "role": "owner"} for n in range(50)])
    return app


def item(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    return {"summary": f"Pain point {n}", "stage": STAGES[n % len(STAGES)], "severity": "medium",
            "reporter": f"local:r{n % 300}", "department_id": n % 50 + 1, "owner": f"local:owner{n % 50}",
            "status": "open", "created_at": created, "updated_at": created,
            "ack_due_at": created + timedelta(days=1), "resolve_due_at": created + timedelta(days=7), **extra}


async def fill(app: App, rows: list[dict[str, Any]]) -> None:
    """The items, and a snooze of two days for every tenth of them, six hours after it came in (ended by its
    closing if sooner): the digest and the scorecards read the snoozes of a past week's end."""
    async with app.db.transaction() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(PainPoint), rows[start:start + 5000])
        await session.execute(snoozes(app))
    if app.db.engine.dialect.name == "postgresql":
        await settled(app)


async def settled(app: App) -> None:
    """What autovacuum does after a bulk change, done now rather than in the middle of a measurement: current
    statistics, and the rows marked visible (the first reads of new rows otherwise write their hint bits)."""
    async with app.db.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("pain_points", "snoozes"):
            await autocommit.execute(text(f"VACUUM ANALYZE {table}"))


def year_of_items(count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        created = NOW - timedelta(minutes=(n * 524160) // count + 1)  # spread over 52 weeks
        state = n % 4
        extra: dict[str, Any] = {}
        if state >= 1:
            extra |= {"status": "acknowledged", "acknowledged_at": created + timedelta(hours=n % 30)}
        if state >= 2:
            extra |= {"status": "resolved" if state == 2 else "declined",
                      "resolved_at": created + timedelta(hours=20 + n % 100) if state == 2 else None,
                      "closed_at": created + timedelta(hours=20 + n % 100)}
        rows.append(item(n, created, **extra))
    return rows


FIVE_YEARS = 260 * 7 * 24 * 60  # minutes
# every tenth item snoozed for two days six hours after it came in, or until its closing if sooner (both databases
# add and compare times as they store them: SQLite's text in one format, PostgreSQL's timestamps)
SNOOZES = """
INSERT INTO snoozes (pain_point_id, started_at, until)
SELECT id, started, CASE WHEN closed_at IS NOT NULL AND closed_at < ends THEN closed_at ELSE ends END
FROM (SELECT id, closed_at, {started} AS started, {ends} AS ends FROM pain_points WHERE id % 10 = 0) AS quiet
WHERE closed_at IS NULL OR closed_at > started"""


def snoozes(app: App) -> Any:
    if app.db.engine.dialect.name == "postgresql":
        return text(SNOOZES.format(started="created_at + interval '6 hours'", ends="created_at + interval '54 hours'"))
    later = "strftime('%Y-%m-%d %H:%M:%f000', created_at, '+{} hours')"  # the format SQLAlchemy stores
    return text(SNOOZES.format(started=later.format(6), ends=later.format(54)))

# On PostgreSQL a million rows are written by the database itself (a Python fill takes minutes). Both ledgers
# span five years over 50 departments; `spread` is today's bench shape (a quarter of the items in each state at
# every age), `realistic` closes all but 2% of what is older than eight weeks, as a working team does.
STATE = {"spread": "n % 4",
         "realistic": "CASE WHEN n >= :count * 8 / 260 AND n % 50 <> 0 THEN 2 + (n % 7 = 0)::int ELSE n % 4 END"}
MILLION = """
INSERT INTO pain_points (summary, stage, severity, reporter, department_id, owner, status, created_at, updated_at,
                         ack_due_at, resolve_due_at, acknowledged_at, resolved_at, closed_at, restricted)
SELECT 'Pain point ' || n, (ARRAY['marketing','sales','onboarding','delivery','use','support','billing','other'])
         [n % 8 + 1], 'medium', 'local:r' || n % 300, n % 50 + 1, 'local:owner' || n % 50,
       (ARRAY['open','acknowledged','resolved','declined'])[state + 1], created, created,
       created + interval '1 day', created + interval '7 days',
       CASE WHEN state >= 1 THEN created + make_interval(hours => (n % 30)::int) END,
       CASE WHEN state = 2 THEN created + make_interval(hours => (20 + n % 100)::int) END,
       CASE WHEN state >= 2 THEN created + make_interval(hours => (20 + n % 100)::int) END, false
FROM (SELECT n, {state} AS state, CAST(:now AS timestamptz) - make_interval(mins => (n * {span} / :count)::int + 1)
             AS created FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) AS n) AS ledger"""


async def million(app: App, shape: str, count: int = 1_000_000) -> None:
    """A tenth at a time: each statement stays inside the database timeout (CX_DATABASE_TIMEOUT_SECONDS)."""
    step = max(count // 10, 1)
    for lo in range(0, count, step):
        async with app.db.engine.begin() as conn:
            await conn.execute(text(MILLION.format(state=STATE[shape], span=FIVE_YEARS)),
                               {"count": count, "now": NOW, "lo": lo, "hi": min(lo + step, count)})
    async with app.db.engine.begin() as conn:
        await conn.execute(snoozes(app))
    await settled(app)


async def timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


async def digest_figures(app: App) -> tuple[float, float]:
    label, start, end = "2026-W48", NOW - timedelta(days=7, hours=10), NOW - timedelta(hours=10)

    async def full() -> None:
        async with app.db.transaction() as session:
            await digest.view(Context(session=session, clock=app.clock, org=app.org), label, start, end)

    async def bare() -> None:
        async with app.db.transaction() as session:
            await session.execute(select(PainPoint.department_id, func.count()).group_by(PainPoint.department_id))

    await full()  # warm the caches both ways
    await bare()
    return await median(full), await median(bare)


async def median(work: Callable[[], Any], runs: int = 5) -> float:
    """The median of a few runs: one run on a shared machine swings by half."""
    times = sorted([(await timed(work()))[0] for _ in range(runs)])
    return times[runs // 2]


async def sweep_figures(app: App, open_items: int, due: int) -> tuple[float, float, float, int]:
    """(the first sweep after start, the median of the sweeps after it, the fair baseline, the first's
    statements). A server sweeps every few minutes: from its second sweep on, the statements are compiled and
    the modules loaded, as the fair baseline's are (its median of five)."""
    rows = [item(n, NOW - timedelta(days=3 if n < due else 0, minutes=n % 600 + 1)) for n in range(open_items)]
    await fill(app, rows)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    async def swept(counted: bool = False) -> float:
        if counted:
            event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
        elapsed, outcome = await timed(app.run(Command(actor=Actor(identity="system:bench"), action="nudge")))
        if counted:
            event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
        assert outcome.replies[0].data["claimed"] == due, outcome.replies[0].data
        async with app.db.transaction() as session:  # the same work for the next one: its claims and messages go
            await session.execute(delete(Nudge))
            await session.execute(delete(OutboxMessage))
        return elapsed

    first = await swept(counted=True)
    after = sorted([await swept() for _ in range(5)])[2]

    async def fair() -> None:
        """What any sweep must do: select the due items and insert a claim for each, rolled back after."""
        async with app.db.sessions() as session, session.begin():
            found = (await session.execute(select(PainPoint.id, PainPoint.ack_due_at)
                                           .where(PainPoint.status == "open", PainPoint.ack_due_at < NOW))).all()
            connection = await session.connection()
            await connection.execute(insert(Nudge), [{"pain_point_id": i, "kind": "ack", "due_at": d, "slot": 9,
                                                      "level": 0, "owner": "local:owner0", "at": NOW}
                                                     for i, d in found])
            await session.rollback()

    return first, after, await median(fair), statements


async def main(items: int, postgres: str | None, open_items: int = 20000,
               due: int = 5000, big: bool = True) -> list[tuple[str, float, float]]:
    """`big`: also the digest over a million items on PostgreSQL, in two shapes (a few minutes more)."""
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        targets: list[tuple[str, Callable[[str], tuple[str, str | None]]]] = [
            ("SQLite", lambda name: (f"sqlite+aiosqlite:///{folder}/{name}.db", None))]
        if postgres:
            targets.append(("PostgreSQL", lambda name: (postgres, f"cxbench_{name}_{os.getpid()}")))
        for label, where in targets:
            app = await fresh(*where("digest"))
            await fill(app, year_of_items(items))
            full, bare = await digest_figures(app)
            rows.append((f"digest over {items // 1000}k items, {label} (ms)", full * 1000, bare * 1000))
            await finished(app)
            counts = []
            for share in (due // 5, due):
                app = await fresh(*where(f"sweep{share}"))
                first, after, bare, statements = await sweep_figures(app, open_items, share)
                counts.append(statements)
                if share == due:
                    rows.append((f"nudge sweep, {open_items // 1000}k open/{due // 1000}k due, {label} (ms)",
                                 after * 1000, bare * 1000))
                    rows.append((f"the same, the first sweep after start, {label} (ms)", first * 1000, bare * 1000))
                await finished(app)
            rows.append((f"nudge sweep queries, {due} due vs {due // 5} due, {label}", counts[1], counts[0]))
        if postgres and big:
            for shape in STATE:
                app = await fresh(*targets[-1][1](f"million_{shape}"))
                try:
                    await million(app, shape)
                    full, bare = await digest_figures(app)
                finally:  # a million rows' schema goes even when a measurement fails
                    await finished(app)
                rows.append((f"digest over 1M items (5 years, {shape}), PostgreSQL (ms)", full * 1000, bare * 1000))
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100000)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    print("baselines: the bare GROUP BY over the same table; selecting the due items and inserting their claims; "
          "the query count at 1k due")
    print(table(asyncio.run(main(args.items, args.postgres))))
