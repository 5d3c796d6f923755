"""The dashboard over real HTTP: sign-in from chat, who sees what on every page and export, hostile text, the
headers that keep pages safe, and signing out."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import server
from bot.app import App, create_app
from bot.dashboard import COOKIE
from bot.settings import Settings
from handlers import dashboard
from handlers.base import Context
from handlers.clock import FixedClock
from storage import board as board_rows
from storage import pain_points
from storage.models import SignIn
from tests.bot.dashboard_harness import FORMULA, HOSTILE, Board, link, seed, token
from tests.ledger import ORG, Database, message, say, snapshot

PAGES = ["/dashboard", "/dashboard?weeks=52", "/dashboard/items", "/dashboard/items?status=live&weeks=all",
         "/dashboard/items.csv", "/dashboard/items/CX-1", "/dashboard/scorecards", "/dashboard/scorecards.csv"]


@pytest.fixture
async def board(app: App) -> AsyncIterator[Board]:
    await seed(app)
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        yield Board(client, app)


async def test_the_link_comes_in_a_direct_message_and_works_once(board: Board) -> None:
    outcome = await say(board.app, "local:leo", "dashboard")
    said = board.app.renderer.render(outcome.replies[0].template, outcome.replies[0].data)
    assert "sent you a sign-in link to the dashboard in a direct message" in said and "everything" in said
    url = await link(board.app, "local:leo")
    assert url.startswith("http://localhost:3978/dashboard/sign-in?t=")
    async with board.client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False,
                                 headers={"Origin": board.origin}) as first:
        assert first.status == 303 and first.headers["Location"] == "/dashboard"
        set_cookie = first.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/dashboard", "Max-Age=28800"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # plain http on localhost
    board.client.session.cookie_jar.clear()
    async with board.client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False,
                                 headers={"Origin": board.origin}) as second:
        assert second.status == 403 and "used already" in await second.text()
        assert COOKIE not in second.cookies


async def test_a_link_expires_after_ten_minutes(board: Board, clock: FixedClock) -> None:
    url = await link(board.app, "local:leo")
    clock.advance(timedelta(minutes=11))
    async with board.client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False,
                                 headers={"Origin": board.origin}) as late:
        assert late.status == 403 and COOKIE not in late.cookies


async def test_forged_tampered_and_cross_site_sign_ins_are_refused(board: Board) -> None:
    url = await link(board.app, "local:leo")
    good = token(url)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for value, origin in ((tampered, board.origin), ("not-a-token", board.origin), (good, "https://evil.example")):
        async with board.client.post("/dashboard/sign-in", data={"t": value}, allow_redirects=False,
                                     headers={"Origin": origin}) as refused:
            assert refused.status == 403 and COOKIE not in refused.cookies
    status, _, _ = await board.get("/dashboard/sign-in?t=" + tampered, None)
    assert status == 403
    # the real link still works: the refusals spent nothing
    async with board.client.post("/dashboard/sign-in", data={"t": good}, allow_redirects=False,
                                 headers={"Origin": board.origin}) as signed:
        assert signed.status == 303


async def test_the_link_works_on_another_replica(app: App, database: Database, clock: FixedClock) -> None:
    """No CX_SECRET_KEY: the key is made once and kept in the database, so a link made by one process signs in
    on another."""
    url = await link(app, "local:leo")
    other = create_app(Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG)), clock=clock, schema=database.schema)
    async with (TestClient(TestServer(server.build(other, run_scheduler=False))) as client,
                client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False) as signed):
        assert signed.status == 303


async def test_over_https_the_cookie_is_secure(database: Database, clock: FixedClock) -> None:
    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), CX_PUBLIC_URL="https://cx.example.com/",
                        CX_SECRET_KEY="a-key-the-operator-chose")
    app = create_app(settings, clock=clock, schema=database.schema)
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        url = await link(app, "local:leo")
        assert url.startswith("https://cx.example.com/dashboard/sign-in?t=")
        async with client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False,
                               headers={"Origin": "https://cx.example.com"}) as signed:
            assert signed.status == 303 and "Secure" in signed.headers["Set-Cookie"]


async def test_every_page_as_nobody_is_401_with_no_data(board: Board) -> None:
    for path in PAGES:
        status, body, headers = await board.get(path, None)
        assert status == 401, path
        assert "Invoice" not in body and "CX-1" not in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "same-origin"
    status, _, _ = await board.get("/dashboard", "forged.cookie.value")
    assert status == 401


async def test_each_role_sees_its_own(board: Board) -> None:
    """Leaders and admins: everything (a restricted item's words only for the admin); a department's owner,
    rep and lead: their department; anyone else: what they reported or said "me too" on."""
    expected = {  # who: (items they see, whether they read CX-4's words, scorecards)
        "local:leo": ({"CX-1", "CX-2", "CX-3", "CX-4", "CX-5"}, False, 200),
        "local:cora": ({"CX-1", "CX-2", "CX-3", "CX-4", "CX-5"}, True, 200),
        "local:dana": ({"CX-1", "CX-3", "CX-5"}, False, 200),
        "local:bea": ({"CX-1", "CX-3", "CX-5"}, False, 200),  # Billing's lead
        "local:lee": ({"CX-2", "CX-4", "CX-5"}, True, 200),  # Onboarding's owner, and a "me too" on CX-5
        "local:sam": ({"CX-1", "CX-3"}, False, 403),
        "local:rob": (set(), False, 403),  # nobody in particular
    }
    for who, (items, reads_restricted, scorecards) in expected.items():
        cookie = await board.sign_in(who)
        status, body, _ = await board.get("/dashboard/items?weeks=all", cookie)
        assert status == 200
        assert {r for r in ("CX-1", "CX-2", "CX-3", "CX-4", "CX-5") if f">{r}<" in body} == items, who
        assert ("salary" in body) == ("CX-4" in items and reads_restricted), who
        status, text, headers = await board.get("/dashboard/items.csv?weeks=all", cookie)
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {r["Ref"] for r in rows} == items, who
        assert any("salary" in r["Summary"] for r in rows) == ("CX-4" in items and reads_restricted)
        for ref in ("CX-1", "CX-2", "CX-4"):
            status, body, _ = await board.get(f"/dashboard/items/{ref}", cookie)
            assert status == (200 if ref in items else 404), (who, ref)
            if status == 404:
                assert "Invoice" not in body and "Setup" not in body and "salary" not in body
        status, body, _ = await board.get("/dashboard/scorecards", cookie)
        assert status == scorecards, who
        status, _, _ = await board.get("/dashboard/scorecards.csv", cookie)
        assert status == scorecards, who
        status, body, _ = await board.get("/dashboard", cookie)
        assert status == 200 and "You said, we did" in body
        assert ("Refunded the second charge" in body) == ("CX-1" in items), who


async def test_scorecards_show_a_department_only_to_its_people(board: Board) -> None:
    dana = await board.sign_in("local:dana")
    _, text, _ = await board.get("/dashboard/scorecards.csv", dana)
    assert [r["Department"] for r in csv.DictReader(io.StringIO(text))] == ["Billing"]
    leo = await board.sign_in("local:leo")
    _, text, _ = await board.get("/dashboard/scorecards.csv", leo)
    rows = {r["Department"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) >= {"Billing", "Onboarding"}
    assert (rows["Billing"]["In"], rows["Billing"]["Resolved"]) == ("3", "1")


async def test_weekly_medians_are_written_as_durations(board: Board, clock: FixedClock) -> None:
    """A scorecard's weekly medians are written out as the headline is ("1m", "4h"; main: hours to one decimal, so a
    minute's median read "0.0" and drew no bar, as if nothing had taken any time)."""
    logged = await say(board.app, "local:sam", "log Invoice PDF totals are blank anyway=yes")
    ref = logged.replies[0].data["item"]["ref"]
    clock.advance(timedelta(minutes=2))
    resolved = await say(board.app, "local:dana", f"resolve {ref} Regenerated the PDF category=product")
    assert resolved.ok and resolved.replies[0].data["item"]["status"] == "resolved"  # beside the seed's 0 s: 1m
    clock.advance(timedelta(minutes=1))  # the scorecards look back from now
    _, body, _ = await board.get("/dashboard/scorecards", await board.sign_in("local:leo"))
    written = re.search(r'title="Billing: median time to resolve per week, oldest first">([^<]*)<', body)
    assert written is not None, body
    figures = written.group(1).split()
    assert len(figures) == 12 and figures[-1] == "1m" and "0.0" not in figures
    cell = body[body.rindex("<td>", 0, written.start()):written.start()]
    assert 'class="bar now"' in cell  # this week's bar is drawn


async def test_hostile_text_is_never_markup_nor_a_formula(board: Board) -> None:
    assert (await say(board.app, "local:cora", "dept rename billing <img src=x onerror=alert(1)>")).ok
    cookie = await board.sign_in("local:leo")
    for path in ("/dashboard/items?weeks=all", "/dashboard/items/CX-3", "/dashboard?weeks=52",
                 "/dashboard/scorecards"):
        _, body, _ = await board.get(path, cookie)
        assert "<script>" not in body and "<img" not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, path
    _, body, _ = await board.get("/dashboard/items/CX-3", cookie)
    assert "&lt;script&gt;" in body
    _, text, _ = await board.get("/dashboard/items.csv?weeks=all", cookie)
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Ref"] == "CX-3")
    assert row["Customer"] == "'" + FORMULA and row["Summary"] == HOSTILE
    for value in (v for r in csv.DictReader(io.StringIO(text)) for v in r.values()):
        assert not value.startswith(("=", "+", "-", "@")), value


async def test_sign_out_ends_the_session_everywhere_and_needs_its_form_token(board: Board) -> None:
    cookie = await board.sign_in("local:leo")
    _, body, _ = await board.get("/dashboard", cookie)
    csrf = body.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    headers = {"Cookie": f"{COOKIE}={cookie}", "Origin": board.origin}
    for form, origin in (({"csrf": "wrong"}, board.origin), ({"csrf": csrf}, "https://evil.example")):
        async with board.client.post("/dashboard/sign-out", data=form, allow_redirects=False,
                                     headers={**headers, "Origin": origin}) as refused:
            assert refused.status == 403
    assert (await board.get("/dashboard", cookie))[0] == 200  # still signed in
    async with board.client.post("/dashboard/sign-out", data={"csrf": csrf}, allow_redirects=False,
                                 headers=headers) as out:
        assert out.status == 303 and out.headers["Location"] == "/dashboard/signed-out"
    assert (await board.get("/dashboard", cookie))[0] == 401  # a copy of the cookie is worth nothing now


async def test_a_session_lasts_eight_hours(board: Board, clock: FixedClock) -> None:
    cookie = await board.sign_in("local:leo")
    clock.advance(timedelta(hours=7, minutes=59))
    assert (await board.get("/dashboard", cookie))[0] == 200
    clock.advance(timedelta(minutes=2))
    assert (await board.get("/dashboard", cookie))[0] == 401


async def test_a_role_taken_away_shows_at_once(board: Board) -> None:
    cookie = await board.sign_in("local:ana")  # a Billing rep who logged nothing herself but CX-5
    assert (await board.get("/dashboard/scorecards", cookie))[0] == 200
    assert ">CX-1<" in (await board.get("/dashboard/items?weeks=all", cookie))[1]
    assert (await say(board.app, "local:cora", "dept remove billing local:ana")).ok
    assert ">CX-1<" not in (await board.get("/dashboard/items?weeks=all", cookie))[1]
    assert (await board.get("/dashboard/scorecards", cookie))[0] == 403


async def test_without_a_served_dashboard_the_command_says_so(app: App) -> None:
    app.links = None
    before = await snapshot(app)
    outcome = await say(app, "local:leo", "dashboard")
    assert not outcome.ok and "does not serve the dashboard" in message(outcome)
    assert await snapshot(app) == before


async def test_used_links_are_forgotten_after_a_day(board: Board, clock: FixedClock) -> None:
    await board.sign_in("local:leo")
    clock.advance(timedelta(days=2))
    await board.sign_in("local:dana")  # each sign-in prunes what is long over
    async with board.app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SignIn)) == 1


async def test_pages_are_light(board: Board) -> None:
    """What a page weighs (the README states it): no script, no font, one small stylesheet."""
    cookie = await board.sign_in("local:leo")
    sizes = {path: len((await board.get(path, cookie))[1].encode()) for path in (
        "/dashboard?weeks=52", "/dashboard/items", "/dashboard/scorecards", "/dashboard/items/CX-1")}
    css = len((await board.get("/dashboard/static/dashboard.css", None))[1].encode())
    assert css < 6_000 and max(sizes.values()) < 40_000, (css, sizes)
    for path in sizes:
        assert "<script" not in (await board.get(path, cookie))[1]


async def test_the_list_pages_through_everything(board: Board) -> None:
    for n in range(50):
        await say(board.app, "local:sam", f"log Invoice {n} rounding is off stage=billing anyway=yes")
    board.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    cookie = await board.sign_in("local:leo")
    _, first, _ = await board.get("/dashboard/items?weeks=all", cookie)
    assert "55 items, page 1 of 2." in first and first.count("/dashboard/items/CX-") == 50
    assert ">CX-55<" in first and ">CX-1<" not in first  # newest first
    _, second, _ = await board.get("/dashboard/items?weeks=all&page=2", cookie)
    assert second.count("/dashboard/items/CX-") == 5 and ">CX-1<" in second
    _, text, _ = await board.get("/dashboard/items.csv?weeks=all", cookie)
    assert len(list(csv.DictReader(io.StringIO(text)))) == 55  # the export is every page


async def test_an_export_too_big_says_so_instead_of_cutting_it_short(board: Board,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "EXPORT_LIMIT", 3)
    cookie = await board.sign_in("local:leo")
    status, body, _ = await board.get("/dashboard/items.csv?weeks=all", cookie)
    assert status == 413 and "These filters select 5 items; an export holds at most 3." in body
    status, text, _ = await board.get("/dashboard/items.csv?weeks=all&department=onboarding", cookie)
    assert status == 200 and len(list(csv.DictReader(io.StringIO(text)))) == 2


async def test_a_ledger_that_does_not_answer_gets_a_page_saying_so(board: Board, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    cookie = await board.sign_in("local:leo")

    def down(*_: object, **__: object) -> object:
        raise ConnectionRefusedError("the database is down")

    monkeypatch.setattr(board.app.db, "transaction", down)
    status, body, headers = await board.get("/dashboard/items", cookie)
    assert status == 503 and "reach the pain-point ledger just now, so nothing was shown or changed" in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert [r.message for r in caplog.records if "did not answer" in r.message] == [
        "dashboard: the database did not answer GET /dashboard/items"]


async def test_a_list_reads_restricted_words_by_the_same_rule_as_an_item_page(board: Board) -> None:
    """Lists read `readable` in SQL (an export reads 50,000 rows), an item's page `reads` in Python: for every
    role and every item, restricted ones included (one raised by a "me too", one whose owner is outside its
    department), they agree."""
    assert (await say(board.app, "local:sam", "log Refund letters name the wrong account stage=billing")).ok
    assert (await say(board.app, "local:rob", "metoo CX-6")).ok
    assert (await say(board.app, "local:sam", "restrict CX-6")).ok
    assert (await say(board.app, "local:sam", "log Payroll export shows salaries stage=billing")).ok
    assert (await say(board.app, "local:sam", "restrict CX-7")).ok
    assert (await say(board.app, "local:cora", "assign CX-7 local:lee")).ok
    refs = [f"CX-{n}" for n in range(1, 8)]
    readers: dict[str, set[str]] = {}
    for who in ("local:leo", "local:cora", "local:dana", "local:bea", "local:lee", "local:sam", "local:rob",
                "local:ana"):
        async with board.app.db.transaction(read_only=True) as session:
            ctx = Context(session=session, clock=board.app.clock, org=board.app.org)
            seen = await dashboard.viewer(ctx, who)
            assert seen is not None
            listed = {f"CX-{r.id}": bool(r.readable) for r in await board_rows.these(
                session=session, ids=list(range(1, 8)), readable=seen.readable())}
            one_by_one = {ref: seen.reads(item) for ref in refs
                          if (item := await pain_points.get(session=session, ref=ref)) is not None}
        assert listed == one_by_one, who
        readers[who] = {ref for ref, reads in listed.items() if not reads}
    assert readers["local:cora"] == set()  # the admin reads everything
    assert readers["local:rob"] == {"CX-4", "CX-7"}  # his "me too" lets him read CX-6
    assert "CX-7" not in readers["local:lee"]  # he owns it
    assert {"CX-4", "CX-6", "CX-7"} <= readers["local:leo"]  # a leader sees they exist, not their words


async def test_an_owner_sees_on_the_item_page_what_it_may_repeat(board: Board) -> None:
    said = await say(board.app, "local:sam", "log Refund for order 5521 still missing after 3 weeks")
    first = said.replies[0].data["item"]["ref"]
    said = await say(board.app, "local:lee", "log Refund still missing for order 5521 anyway=yes")
    second = said.replies[0].data["item"]["ref"]
    owner = await board.sign_in("local:dana")  # Billing's owner
    _, page, _ = await board.get(f"/dashboard/items/{second}", owner)
    assert "Possibly the same as" in page and f'<a href="/dashboard/items/{first}">{first}</a>' in page
    assert f"duplicate {second} of {first}" in page
    leader = await board.sign_in("local:leo")  # sees everything, owns nothing: no hint to act on
    assert "Possibly the same as" not in (await board.get(f"/dashboard/items/{second}", leader))[1]


async def test_leaders_opening_a_year_at_once_leave_the_pool_to_the_chat(board: Board) -> None:
    """A year's overview reads its heavy figures beside its own transaction (PostgreSQL): three leaders opening it
    at once hold their three pages' connections and, together, at most ASIDE more, and every page is whole."""
    import asyncio

    from sqlalchemy import event

    from bot.dashboard.web import ASIDE

    if board.app.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads every figure in the page's own transaction")
    cookie = await board.sign_in("local:leo")
    out, most = 0, 0

    def checkout(*_: object) -> None:
        nonlocal out, most
        out += 1
        most = max(most, out)

    def checkin(*_: object) -> None:
        nonlocal out
        out -= 1

    pool = board.app.db.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        pages = await asyncio.gather(*(board.get("/dashboard?weeks=52", cookie) for _ in range(3)))
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
    assert all(status == 200 and "Where customers hurt" in text for status, text, _ in pages)
    assert 3 < most <= 3 + ASIDE, most
