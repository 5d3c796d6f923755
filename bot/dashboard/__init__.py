"""The dashboard's keys: sign-in links and session cookies, signed with the server's secret (CX_SECRET_KEY, or
one generated once and kept in the database, so that a link made by one replica works on another)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import Settings
from handlers.dashboard import LINK_LIFE, SESSION_LIFE
from storage import sign_ins
from storage.db import Database

COOKIE = "cx_session"


@dataclass(frozen=True)
class Session:
    identity: str
    nonce: str  # the sign-in it came from: signing out ends it there, for every copy of the cookie
    csrf: str  # the form token of state-changing requests (sign-out)


class Keys:
    """Implements handlers.base.Links for this process: where the dashboard is, and how its links are signed."""

    def __init__(self, settings: Settings) -> None:
        self.base = (settings.public_url or f"http://localhost:{settings.port}").rstrip("/")
        self.secure = self.base.startswith("https://")
        self.secret = settings.secret_key.get_secret_value() if settings.secret_key else None

    async def ready(self, db: Database) -> None:
        """Load the shared secret (made once, by whichever replica comes first) unless the operator set one."""
        if self.secret is None:
            async with db.transaction() as session:
                self.secret = await sign_ins.shared_secret(session=session, name="dashboard",
                                                           generated=secrets.token_urlsafe(48))

    def signer(self, purpose: str) -> URLSafeTimedSerializer:
        if self.secret is None:
            raise RuntimeError("the dashboard's keys are not loaded yet (Keys.ready)")
        return URLSafeTimedSerializer(self.secret, salt=f"cxbot-dashboard-{purpose}")

    def sign_in(self, nonce: str) -> str:
        return f"{self.base}/dashboard/sign-in?{urlencode({'t': self.signer('sign-in').dumps(nonce)})}"

    def page(self, path: str = "") -> str:
        return f"{self.base}/dashboard{'/' + path.lstrip('/') if path else ''}"

    def nonce(self, token: str) -> str | None:
        """The sign-in a link's token names, if the token is ours and young enough."""
        try:
            return str(self.signer("sign-in").loads(token, max_age=int(LINK_LIFE.total_seconds())))
        except (BadSignature, UnicodeError, ValueError):
            return None

    def cookie(self, identity: str, nonce: str) -> str:
        return self.signer("session").dumps({"who": identity, "n": nonce, "csrf": secrets.token_urlsafe(16)})

    def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            value = self.signer("session").loads(cookie, max_age=int(SESSION_LIFE.total_seconds()))
        except (BadSignature, UnicodeError, ValueError):
            return None
        if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("who", "n", "csrf")):
            return None
        return Session(value["who"], value["n"], value["csrf"])
