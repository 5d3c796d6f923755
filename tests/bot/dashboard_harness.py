"""The dashboard served by the real server (aiohttp on loopback), a ledger seeded through the handlers, and
sign-in the way people do it: ask the bot in chat, open the link it sends, press the button."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from bot.app import App
from bot.dashboard import COOKIE
from handlers.clock import FixedClock
from tests.ledger import outbox_for, say

HOSTILE = "<script>alert('x')</script> refund"
FORMULA = '=HYPERLINK("http://evil.example","click")'


async def seed(app: App) -> None:
    """CX-1 billing, resolved (product defect) and confirmed; CX-2 onboarding, open; CX-3 billing, hostile text
    and a formula for a customer; CX-4 onboarding, restricted; CX-5 billing, "me too" from Lee."""
    await say(app, "local:sam", "log Invoice charged twice stage=billing severity=high customer=ACME")
    await say(app, "local:lee", "log Setup page is broken stage=onboarding")
    await say(app, "local:sam", f"log {HOSTILE} customer={FORMULA.replace(' ', '')}")
    await say(app, "local:lee", "log Onboarding call notes leak a customer's salary stage=onboarding")
    await say(app, "local:lee", "restrict CX-4")
    await say(app, "local:ana", "log Invoice PDF is blank stage=billing")
    await say(app, "local:lee", "metoo CX-5 customer=Globex")
    await say(app, "local:dana", "resolve CX-1 Refunded the second charge category=product cause=\"retry bug\"")
    await say(app, "local:sam", "fixed CX-1")
    assert isinstance(app.clock, FixedClock)
    app.clock.advance(timedelta(minutes=5))  # the dashboard looks back from now


async def link(app: App, who: str) -> str:
    """Ask for the dashboard as `who` (chat), and read the link from the direct message it sent."""
    outcome = await say(app, who, "dashboard")
    assert outcome.ok, outcome
    sent = [m for m in await outbox_for(app, who) if m.template == "dashboard_link"]
    return str(sent[-1].payload["url"])


def token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


@dataclass
class Board:
    client: TestClient
    app: App

    async def sign_in(self, who: str) -> str:
        """The session cookie `who` gets by following their link (the jar is left empty: tests pass it)."""
        url = await link(self.app, who)
        async with self.client.get(urlsplit(url).path + "?" + urlsplit(url).query) as page:
            assert page.status == 200 and "Open the dashboard" in await page.text()
        async with self.client.post("/dashboard/sign-in", data={"t": token(url)}, allow_redirects=False,
                                    headers={"Origin": self.origin}) as signed:
            assert signed.status == 303, await signed.text()
            cookie = signed.cookies[COOKIE].value
        self.client.session.cookie_jar.clear()
        return cookie

    @property
    def origin(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def get(self, path: str, cookie: str | None) -> tuple[int, str, dict[str, str]]:
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with self.client.get(path, headers=headers, allow_redirects=False) as response:
            return response.status, await response.text(), dict(response.headers)
