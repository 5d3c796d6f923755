"""Each dashboard page's server time (p95 of its requests over HTTP on loopback, signed in as a CX leader, who
sees everything), next to its bare queries in the same run: the very SQL statements the page sent (recorded
from one request), run again straight on the driver's connection with no ORM, no Python figures and no page
around them. 100,000 pain points on SQLite (a year) and 1,000,000 on PostgreSQL (five years, most old items
closed), 50 departments each.

    python -m bench.dashboard [--items 100000] [--postgres URL] [--million]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event, select

from bench.handlers import finished
from bench.schedule import fill, fresh, million, year_of_items
from bot import server
from bot.app import App
from bot.dashboard import COOKIE
from handlers.base import Actor, Command
from storage.models import Person, SignIn

RUNS = 20
BUDGET = 2.0  # seconds each page and its bare statements are timed for, at least


PAGES = {"overview, 4 weeks": "/dashboard?weeks=4", "overview, 52 weeks": "/dashboard?weeks=52",
         "scorecards": "/dashboard/scorecards", "items": "/dashboard/items",
         "items, live in billing": "/dashboard/items?department=d0&stage=billing&status=live&weeks=all",
         "item": "/dashboard/items/CX-1"}


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


async def timed(work: Callable[[], Awaitable[Any]], runs: int, budget: float = BUDGET) -> float:
    """p95 ms of `work`: at least `runs` times, and on until `budget` seconds have gone (a fast page is timed a
    hundred times or more: the p95 of twenty is their second slowest, one collector's pause away from another
    figure)."""
    await work()  # warm
    times: list[float] = []
    spent = 0.0
    while len(times) < runs or spent < budget:
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
        spent += times[-1]
    return p95(times)


async def leader_cookie(app: App, client: TestClient) -> str:
    async with app.db.transaction() as session:
        session.add(Person(identity="local:leader", display_name="Lee Leader", is_leader=True, is_admin=False))
    await app.run(Command(actor=Actor(identity="local:leader"), action="dashboard"))
    async with app.db.transaction() as session:
        nonce = (await session.scalars(select(SignIn.nonce))).one()
    assert app.links is not None
    async with client.post("/dashboard/sign-in", data={"t": app.links.signer("sign-in").dumps(nonce)},
                           allow_redirects=False) as signed:
        assert signed.status == 303, await signed.text()
        return signed.cookies[COOKIE].value


def recording(app: App) -> tuple[list[tuple[str, Any]], Callable[[], None]]:
    """The statements sent from now on (BEGIN and COMMIT aside), and how to stop recording."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append((statement, parameters))

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    return sent, lambda: event.remove(engine, "before_cursor_execute", keep)


async def measure(app: App, label: str, runs: int, budget: float = BUDGET) -> list[tuple[str, float, float]]:
    rows = []
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        cookie = await leader_cookie(app, client)
        client.session.cookie_jar.clear()
        for name, path in PAGES.items():
            async def page(path: str = path) -> None:
                async with client.get(path, headers={"Cookie": f"{COOKIE}={cookie}"}) as response:
                    assert response.status == 200, (path, response.status)
                    await response.read()

            await page()
            sent, stop = recording(app)
            await page()
            stop()

            async def bare(statements: list[tuple[str, Any]] = sent) -> None:
                async with app.db.engine.connect() as conn:
                    for statement, parameters in statements:
                        result = await conn.exec_driver_sql(statement, parameters)
                        if result.returns_rows:
                            result.all()
                    await conn.rollback()

            rows.append((f"dashboard {name}, {label} (p95 ms, vs its {len(sent)} queries)",
                         await timed(page, runs, budget), await timed(bare, runs, budget)))
    return rows


async def main(items: int, postgres: str | None, big: bool = True, runs: int = RUNS, budget: float = BUDGET
               ) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        app = await fresh(f"sqlite+aiosqlite:///{folder}/dashboard.db", None)
        try:
            await fill(app, year_of_items(items))
            rows += await measure(app, f"SQLite {items // 1000}k", runs, budget)
        finally:
            await finished(app)
    if postgres and big:
        app = await fresh(postgres, f"cxbench_dashboard_{os.getpid()}")
        try:
            await million(app, "realistic")
            rows += await measure(app, "PostgreSQL 1M", runs, budget)
        finally:  # its 400 MB schema goes even when a measurement fails
            await finished(app)
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100000)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    print(f"p95 of at least {args.runs} requests per page (and {BUDGET:.0f} s of them), signed in as a CX leader; "
          "baseline: the page's own statements run bare on the driver's connection")
    print(table(asyncio.run(main(args.items, args.postgres, runs=args.runs))))
