"""A real headless Chromium through the dashboard, as a leader meets it: the link from chat, the sign-in button,
the overview, a drill-down from the journey map, a filter, an item's page, an export, the scorecards and signing
out. Screenshots go to $CX_SCREENSHOTS (or the test's temporary folder): look at them.

Debian's chromium is used (`apt-get install chromium`; .ci/run installs it); without one the test is skipped
and says so."""
from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot import server
from bot.app import App, create_app
from bot.settings import Settings
from handlers.clock import FixedClock
from tests.bot.dashboard_harness import link, seed
from tests.ledger import ORG, Database, free_port

CHROMIUM = os.environ.get("CX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def served(database: Database, clock: FixedClock) -> AsyncIterator[tuple[App, str]]:
    if database.schema is not None:
        pytest.skip("the browser walk runs once, on SQLite (the pages are the same on PostgreSQL)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), CX_PUBLIC_URL=base), clock=clock)
    web = TestServer(server.build(app, run_scheduler=False), host="127.0.0.1", port=port)
    await web.start_server()
    try:
        await seed(app)
        yield app, base
    finally:
        await web.close()


async def test_a_leader_walks_the_dashboard(served: tuple[App, str], tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("no Chromium found: install Debian's chromium (apt-get install chromium) or set CX_CHROMIUM "
                    "to a Chromium binary")
    playwright = pytest.importorskip("playwright.async_api", reason="pip install playwright (the test extra)")
    app, base = served
    shots = Path(os.environ.get("CX_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        await page.goto(await link(app, "local:leo"))
        await page.screenshot(path=shots / "1-sign-in.png")
        await page.get_by_role("button", name="Open the dashboard").click()
        await page.wait_for_url(f"{base}/dashboard")
        assert await page.get_by_role("heading", name="You said, we did").is_visible()
        assert await page.get_by_text("Refunded the second charge").is_visible()
        await page.get_by_role("link", name="52 weeks").click()
        await page.wait_for_url(f"{base}/dashboard?weeks=52")
        await page.screenshot(path=shots / "2-overview.png", full_page=True)

        # the journey map: the billing stage in Billing holds CX-1, CX-3 and CX-5; its cell opens them
        await page.locator("table.map a[href*='stage=billing'][href*='department=billing']").click()
        await page.wait_for_url("**/dashboard/items?**")
        listed = await page.locator("table.items tbody tr td:first-child").all_inner_texts()
        assert sorted(listed) == ["CX-1", "CX-3", "CX-5"]
        await page.screenshot(path=shots / "3-drill-down.png", full_page=True)

        # a filter: resolved only
        await page.get_by_label("Status").select_option("resolved")
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url("**status=resolved**")
        assert await page.locator("table.items tbody tr td:first-child").all_inner_texts() == ["CX-1"]

        await page.get_by_role("link", name="CX-1", exact=True).click()
        await page.wait_for_url(f"{base}/dashboard/items/CX-1")
        assert await page.get_by_text("product defect: retry bug").is_visible()
        assert await page.locator("ol.history li").count() == 3  # logged, resolved, fix confirmed
        await page.screenshot(path=shots / "4-item.png", full_page=True)

        await page.goto(f"{base}/dashboard/items?weeks=all")
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Export CSV").click()
        download = await waiting.value
        exported = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
        assert {r["Ref"] for r in exported} == {"CX-1", "CX-2", "CX-3", "CX-4", "CX-5"}

        await page.get_by_role("link", name="Scorecards").click()
        await page.wait_for_url(f"{base}/dashboard/scorecards")
        assert await page.get_by_role("rowheader", name="Billing").count() == 1
        await page.screenshot(path=shots / "5-scorecards.png", full_page=True)

        assert problems == []  # no script errors, nothing the Content-Security-Policy had to block, no 404s
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{base}/dashboard/signed-out")
        response = await page.goto(f"{base}/dashboard")
        assert response is not None and response.status == 401
        await page.screenshot(path=shots / "6-signed-out.png")
        await browser.close()
