"""Bot Framework authentication done honestly.

- `Keys`: the signing keys of an OpenID metadata URL, fetched with aiohttp and a timeout (never a blocking call
  on the event loop), kept for a day, and fetched again when a token names a key we do not have (a key
  rotation), at most once a minute, so forged key ids cannot make us hammer Microsoft. botframework-connector's
  own cache fetches synchronously without a timeout and raises IndexError on an unknown key id before its own
  refresh can run; `install` puts `Keys` in its place.
- `Gate`: before an activity's body is even parsed, its token must be signed by a published key, unexpired and
  for this app: anonymous traffic costs a header read, not a JSON parse. botbuilder then checks the rest
  (issuer, endorsements for the channel, the service URL claim).
- `ReusedCredentials`: the app's outgoing token, reused until it expires (botbuilder builds new credentials,
  and so fetches a new token, on every turn and every proactive message).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor
from botframework.connector.auth.service_client_credentials_factory import ServiceClientCredentialsFactory

log = logging.getLogger(__name__)
ALGORITHMS = AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS
LEEWAY = 300  # seconds of clock skew botbuilder allows too


class KeysUnavailable(Exception):
    """The signing keys could not be fetched at all: nothing can be verified (503, not 401)."""


@dataclass
class Key:
    """What botframework-connector's token extractor reads from its metadata cache."""

    public_key: Any
    endorsements: list[str]


@dataclass
class Keys:
    url: str
    timeout: float = 5.0
    max_age: float = 24 * 3600.0
    min_refresh: float = 60.0  # an unknown key id fetches the keys again at most this often
    clock: Any = time.monotonic
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float | None = None
    tried_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def get(self, key_id: str | None) -> Key | None:
        """The key with this id, or None (an unknown or missing id: the token is refused)."""
        now = self.clock()
        if self.fetched_at is None or now - self.fetched_at > self.max_age:
            await self.refresh()
        elif key_id not in self.keys and (self.tried_at is None or now - self.tried_at >= self.min_refresh):
            await self.refresh()  # a key published since we last looked (Microsoft rotates them)
        if not self.keys and self.fetched_at is None:
            raise KeysUnavailable(f"the signing keys at {self.url} could not be fetched")
        found = self.keys.get(key_id or "")
        if found is None:
            return None
        return Key(public_key=jwt.PyJWK(found).key, endorsements=list(found.get("endorsements") or []))

    async def refresh(self) -> None:
        started = self.clock()
        async with self.lock:
            if self.tried_at is not None and self.tried_at >= started:
                return  # another request refreshed while this one waited
            self.tried_at = self.clock()
            try:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with aiohttp.ClientSession(timeout=timeout) as session:
                    async with session.get(self.url) as response:
                        response.raise_for_status()
                        jwks_uri = (await response.json(content_type=None))["jwks_uri"]
                    async with session.get(jwks_uri) as response:
                        response.raise_for_status()
                        listed = (await response.json(content_type=None))["keys"]
                self.keys = {str(k["kid"]): k for k in listed if isinstance(k, dict) and k.get("kid")}
                self.fetched_at = self.clock()
            except (TimeoutError, aiohttp.ClientError, KeyError, TypeError, ValueError) as error:
                log.warning("could not fetch the Bot Framework signing keys from %s: %s", self.url,
                            type(error).__name__)


KEYS: dict[str, Keys] = {}


def keys_for(url: str) -> Keys:
    return KEYS.setdefault(url, Keys(url))


def install() -> None:
    """botframework-connector's token extractor takes its keys from `Keys` (see the module's docstring)."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(keys_for)


class Refused(Exception):
    """A request whose token is not acceptable: answered 401, logged in one line."""


@dataclass
class Gate:
    app_id: str
    channel_metadata: str
    channel_issuer: str
    other_metadata: str  # tokens of other issuers (the Emulator, Entra ID): their keys

    async def check(self, header: str) -> None:
        """Raise Refused unless `header` carries a token signed by a published key, unexpired, for this app."""
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token or len(token) > 16_384:
            raise Refused("no bearer token")
        try:
            head = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Refused(f"unreadable token ({type(error).__name__})") from None
        if head.get("alg") not in ALGORITHMS:
            raise Refused(f"signing algorithm {str(head.get('alg'))[:20]!r} is not allowed")
        issuer = claims.get("iss")
        keys = keys_for(self.channel_metadata if issuer == self.channel_issuer else self.other_metadata)
        key = await keys.get(head.get("kid"))
        if key is None:
            raise Refused("signed by a key that is not published")
        try:
            jwt.decode(token, key.public_key, algorithms=ALGORITHMS, audience=self.app_id, leeway=LEEWAY,
                       options={"require": ["exp", "aud"]})
        except jwt.PyJWTError as error:
            raise Refused(f"{type(error).__name__}: {str(error)[:80]}") from None


class ReusedCredentials(ServiceClientCredentialsFactory):
    """The same credentials object (so MSAL's token cache) for the same app, audience and login endpoint, with
    its token fetched in a worker thread under a timeout: MSAL is synchronous, and botbuilder would fetch it on
    the event loop (every request and every send waiting while Entra ID answers, or forever if it hangs)."""

    def __init__(self, inner: ServiceClientCredentialsFactory, *, timeout: float = 10.0,
                 renew_after: float = 45 * 60.0, clock: Any = time.monotonic) -> None:
        self.inner, self.timeout, self.renew_after, self.clock = inner, timeout, renew_after, clock
        self.made: dict[tuple[str, str, str, bool], Any] = {}
        self.fetched: dict[tuple[str, str, str, bool], float] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self.inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self.inner.is_authentication_disabled()

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self.made:
            self.made[key] = await self.inner.create_credentials(app_id, oauth_scope, login_endpoint,
                                                                  validate_authority)
        credentials = self.made[key]
        fetched = self.fetched.get(key)
        if app_id and (fetched is None or self.clock() - fetched > self.renew_after):
            # MSAL keeps the token (an hour): botbuilder's own synchronous call then finds it in its cache
            await asyncio.wait_for(asyncio.to_thread(credentials.get_access_token), self.timeout)
            self.fetched[key] = self.clock()
        return credentials


def loggable(text: str, limit: int = 120) -> str:
    """A reason fit for one log line: no line breaks or control characters, bounded."""
    return json.dumps(text[:limit])[1:-1]
