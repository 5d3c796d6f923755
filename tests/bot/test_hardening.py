"""Hardening: broken text, unknown time zones and control characters never become silence or a traceback."""
from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.zones import zone_of
from handlers.base import Actor, Command
from messages.render import Renderer, TeamsRenderer
from tests.ledger import everything


async def test_c1_controls_and_bare_carriage_returns_never_reach_a_terminal() -> None:
    shown = Renderer("text").render("unreachable", {"who": "Eve\x9b2J\rOwned", "handle": "local:eve", "ref": "",
                                                    "what": "", "why": "x\x85y"})
    assert "\x9b" not in shown and "\r" not in shown and "\x85" not in shown
    assert "Eve2JOwned" in shown


async def test_an_unknown_time_zone_falls_back_to_the_org_s_and_never_fails_a_message(
        app: App, caplog: pytest.LogCaptureFixture) -> None:
    await app.run(Command(actor=Actor(identity="local:sam", timezone="Mars/Olympus_Mons"), action="profile"))
    assert await zone_of(app.db, app.org, "local:sam") == app.org.timezone  # main: the unknown name
    caplog.set_level(logging.WARNING)
    for name, data in await everything(app, "Invoice wrong", "Twice", "ACME"):
        TeamsRenderer().card(name, data, tz="Mars/Olympus_Mons")  # main: ZoneInfoNotFoundError
        Renderer("text").render(name, data, tz="Mars/Olympus_Mons")
    assert any("unknown time zone" in r.getMessage() for r in caplog.records)


async def test_what_a_platform_tells_is_bounded_and_data_errors_are_refusals_not_outages(app: App) -> None:
    """On PostgreSQL (which enforces lengths) a 250-character Entra display name made the person hear "I couldn't
    reach the ledger" and lost their profile; a 400-character owner was retried forever."""
    long_name = "Dana " + "Longname-" * 27  # 248 characters: Entra allows 256
    profile = await app.run(Command(actor=Actor(identity="local:dana", display_name=long_name,
                                                email="dana@example.com"), action="profile"))
    assert profile.ok
    shown = await app.run(Command(actor=Actor(identity="local:dana"), action="mine"))
    assert shown.ok and "couldn't reach" not in str(shown.replies[0].data)
    too_long = await app.run(Command(actor=Actor(identity="local:cora"), action="dept",
                                     fields={"sub": "owner", "key": "billing", "value": "slack:" + "U" * 400}))
    assert not too_long.ok and "characters long" in too_long.replies[0].data["message"]


async def test_a_database_refusal_is_answered_as_a_refusal(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import DataError

    from handlers import lists

    async def refuse(*_: object) -> object:
        raise DataError("INSERT ...", {}, Exception("value too long for type character varying(200)"))

    monkeypatch.setattr(lists, "mine", refuse)
    outcome = await app.run(Command(actor=Actor(identity="local:sam"), action="mine"))
    assert not outcome.ok and "too long or not allowed" in outcome.replies[0].data["message"]  # main: "unreachable"


async def test_removing_someone_from_a_department_hands_their_items_back(app: App) -> None:
    from tests.ledger import say

    await say(app, "local:sam", "log Invoice is wrong")
    await say(app, "local:cora", "dept owner billing local:lee")
    await say(app, "local:dana", "assign CX-1 to local:lee")
    removed = await say(app, "local:cora", "dept remove billing local:lee")
    assert removed.ok and "CX-1" in str(removed.replies[0].data)
    refused = await say(app, "local:lee", "resolve CX-1 fixed it")  # main: Lee kept every right over CX-1
    assert not refused.ok
    assert [n.recipient for n in removed.notices] == ["local:dana"]  # Billing's owner has it again


async def test_a_duplicate_of_a_closed_item_is_refused(app: App) -> None:
    from tests.ledger import say, snapshot

    await say(app, "local:sam", "log Invoice is wrong")
    await say(app, "local:lee", "log Invoice wrong again anyway=yes")
    await say(app, "local:dana", "resolve CX-1 refunded")
    before = await snapshot(app)
    refused = await say(app, "local:dana", "duplicate CX-2 of CX-1")
    assert not refused.ok and "already resolved" in refused.replies[0].data["message"]  # main: Lee waited forever
    assert await snapshot(app) == before


def test_the_start_up_line_shows_no_database_password() -> None:
    from bot.app import create_app
    from bot.server import describe
    from bot.settings import Settings

    url = "postgresql://cx:s3cret-one@db.internal:5432/cx?password=s3cret-two&sslmode=require"
    app = create_app(Settings(DATABASE_URL=url))
    shown = "\n".join(describe(app))
    assert "s3cret" not in shown  # main: the query's ?password= was printed
    assert "db.internal:5432/cx" in shown and "sslmode=require" in shown


async def test_a_slow_header_client_is_cut_off(app: App) -> None:
    """Slowloris: a client that sends one header line now and then held its connection forever on main."""
    import asyncio

    from aiohttp.test_utils import TestServer

    from bot import server

    settings = app.settings.model_copy(update={"idle_timeout": 1.0})
    web = TestServer(server.build(app, run_scheduler=False))
    await web.start_server(**server.options(settings))  # what `cxbot serve` runs with
    try:
        reader, writer = await asyncio.open_connection(web.host, web.port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        closed = False
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < 6:
            writer.write(b"X-Slow: 1\r\n")
            try:
                await writer.drain()
                if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (ConnectionError, OSError):
                closed = True
                break
        writer.close()
        assert closed and loop.time() - started < 4
    finally:
        await web.close()


def test_a_flood_of_accept_errors_is_logged_once_a_minute() -> None:
    from bot.server import Flood

    flood = Flood()
    records = [logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "socket.accept() out of system resource",
                                 (), None) for _ in range(1000)]
    assert sum(flood.filter(r) for r in records) == 1
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "something else", (), None)
    assert flood.filter(other)


async def test_back_to_back_snoozes_cannot_keep_an_item_quiet_for_months(app: App, clock: object) -> None:
    from datetime import timedelta

    from handlers.clock import FixedClock
    from tests.ledger import say

    assert isinstance(clock, FixedClock)
    await say(app, "local:sam", "log Invoice is wrong severity=high")
    assert (await say(app, "local:dana", "snooze CX-1 10d")).ok
    clock.advance(timedelta(days=9))
    again = await say(app, "local:dana", "snooze CX-1 10d")  # main: accepted, and again, for 130 days
    assert not again.ok and "at most 14d in all, so 5d more" in again.replies[0].data["message"]
    assert (await say(app, "local:dana", "snooze CX-1 4d")).ok  # what is left of the 14 days is allowed


async def test_connections_over_the_cap_are_closed_as_they_arrive(app: App) -> None:
    """1,100 held connections used up the process's 1024 file descriptors on main: the server stopped accepting
    anyone. Over the cap, a new connection is closed at once, and the server keeps serving."""
    import asyncio
    import socket

    import aiohttp

    from bot import server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.settings = app.settings.model_copy(update={"max_connections": 3, "host": "127.0.0.1"})
    runner = await server.start(app, run_scheduler=False, port=port)
    held = []
    try:
        for _ in range(3):
            held.append(await asyncio.open_connection("127.0.0.1", port))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(1), 5) == b""  # closed as it arrived
        writer.close()
        for _, held_writer in held:
            held_writer.close()
        for _ in range(10_000):  # until the server has noticed the closed ones (the loop's turns, no clock)
            if not runner.server or not runner.server.connections:
                break
            await asyncio.sleep(0)
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as answer:
            assert answer.status == 200
    finally:
        await runner.cleanup()
