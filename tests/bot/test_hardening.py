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
