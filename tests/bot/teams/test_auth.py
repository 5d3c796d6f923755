"""Teams authentication with real tokens: the test makes RSA keys, publishes them through a local OpenID metadata
and JWKS endpoint, and signs Bot Framework tokens with them. A valid token is accepted; every invalid one is
answered 401 in one log line; a newly published key is fetched once and accepted; the bot's own token is
reused; an anonymous body is never parsed."""
from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import create_app
from bot.settings import Settings
from handlers.clock import FixedClock
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.harness import ORG, Teams
from tests.bot.teams.identity import Identity, tls_files
from tests.ledger import Database

APP_ID = "11111111-2222-3333-4444-555555555555"


@dataclass
class Signed:
    teams: Teams
    identity: Identity

    def activity(self, text: str = "mine", **kw: Any) -> dict[str, Any]:
        return self.teams.activity("sam", text=text, **kw)

    def token(self, kid: str = "k1", **kw: Any) -> str:
        kw.setdefault("service_url", self.teams.connector.url)
        return self.identity.token(kid, app_id=APP_ID, **kw)

    async def post(self, token: str | None, activity: dict[str, Any] | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.teams.post(activity or self.activity(), headers=headers)
        return response.status


@pytest.fixture
async def signed(database: Database, connector: FakeConnector, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Signed]:
    from bot.teams import auth

    auth.KEYS.clear()  # a port (so a metadata URL) an earlier test used may come back, with other keys
    identity = Identity()
    identity.key("k1")
    plain = TestServer(identity.app())
    await plain.start_server()
    cert, key = tls_files(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    secure = TestServer(identity.app())
    await secure.start_server(ssl=context)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # MSAL (requests) trusts the local login endpoint
    identity.base = str(plain.make_url("")).rstrip("/")
    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), MICROSOFT_APP_ID=APP_ID,
                        MICROSOFT_APP_PASSWORD="test-secret",
                        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=f"{identity.base}/openid",
                        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=f"{identity.base}/openid",
                        TO_CHANNEL_FROM_BOT_LOGIN_URL=str(secure.make_url("/adfs")))
    app = create_app(settings, clock=FixedClock(), schema=database.schema)
    app.prompt_delivery = False
    try:
        async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
            yield Signed(Teams(client, app, connector), identity)
    finally:
        await plain.close()
        await secure.close()


async def test_a_valid_token_is_accepted_and_the_reply_carries_the_app_s_token(signed: Signed) -> None:
    assert await signed.post(signed.token()) in (200, 201)
    assert [k for k, _, _ in signed.teams.connector.calls] == ["reply", "member"]  # the answer; who Sam is
    assert signed.teams.connector.headers[-1].get("Authorization") == "Bearer app-token-1"


async def test_the_app_token_is_reused_until_it_expires(signed: Signed) -> None:
    for n in range(3):
        assert await signed.post(signed.token(), signed.activity(activity_id=f"a-{n}")) in (200, 201)
    await signed.teams.post(signed.teams.activity("dana", text="mine"),
                            headers={"Authorization": f"Bearer {signed.token()}"})
    await signed.post(signed.token(), signed.activity("log Invoice is wrong", activity_id="a-log"))
    assert await signed.teams.app.outbox.run_once() == 1  # a proactive message, with the same token
    assert signed.identity.requests.count("token") == 1  # main: one token request per turn and per send
    assert {h.get("Authorization") for h in signed.teams.connector.headers} == {"Bearer app-token-1"}


@pytest.mark.parametrize("case", ["expired", "unpublished key", "unknown key id", "HS256", "not for msteams",
                                  "other app", "garbage", "no token"])
async def test_every_invalid_token_is_401_in_one_log_line(signed: Signed, case: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    identity = signed.identity
    identity.key("rogue", publish=False)
    identity.key("slack-only", endorsements=("slack",))
    token = {
        "expired": lambda: signed.token(expires_in=-3600),
        "unpublished key": lambda: signed.token("rogue"),
        "unknown key id": lambda: signed.token("k1").replace(signed.token("k1").split(".")[0], _header("k-nope")),
        "HS256": lambda: signed.token("k1", algorithm="HS256"),
        "not for msteams": lambda: signed.token("slack-only"),
        "other app": lambda: identity.token("k1", app_id="someone-else", service_url=signed.teams.connector.url),
        "garbage": lambda: "abc.def.ghi",
        "no token": lambda: "",
    }[case]()
    caplog.set_level(logging.INFO)
    status = await signed.post(token or None)
    assert status == 401  # main: 500 with a traceback for the first five
    refused = [r for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(refused) == 1 and "\n" not in refused[0].getMessage() and not refused[0].exc_info
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert signed.teams.connector.calls == []


def _header(kid: str) -> str:
    import base64
    import json

    raw = json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_a_newly_published_key_is_fetched_once_and_accepted(signed: Signed) -> None:
    from bot.teams import auth

    now = [1000.0]
    auth.keys_for(f"{signed.identity.base}/openid").clock = lambda: now[0]
    assert await signed.post(signed.token()) in (200, 201)
    fetched = signed.identity.requests.count("keys")
    signed.identity.key("k2")  # Microsoft rotates its keys, some time later
    now[0] += 600
    assert await signed.post(signed.token("k2"), signed.activity(activity_id="rotated")) in (200, 201)
    assert signed.identity.requests.count("keys") == fetched + 1
    # forged key ids do not make the bot fetch again and again
    for n in range(5):
        forged = signed.token("k2").replace(signed.token("k2").split(".")[0], _header(f"forged-{n}"))
        assert await signed.post(forged, signed.activity(activity_id=f"forged-{n}")) == 401
    assert signed.identity.requests.count("keys") == fetched + 1


async def test_an_anonymous_body_is_never_parsed(signed: Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    import json as json_module

    parsed: list[int] = []
    real = json_module.loads

    def loads(raw: Any, *args: Any, **kw: Any) -> Any:
        parsed.append(len(raw))
        return real(raw, *args, **kw)

    monkeypatch.setattr("bot.teams.route.json.loads", loads)
    members = [{"id": f"29:m{n}", "name": f"M {n}"} for n in range(20_000)]
    huge = signed.activity(kind="conversationUpdate")
    huge["membersAdded"] = members
    assert await signed.post("abc.def.ghi", huge) == 401
    assert await signed.post(None, huge) == 401
    assert [n for n in parsed if n > 100_000] == []  # only the token's small header was read


async def test_keys_that_cannot_be_fetched_answer_503_without_hanging(signed: Signed) -> None:
    from bot.teams import auth

    auth.KEYS.clear()
    signed.identity.hang = True
    keys = auth.keys_for(f"{signed.identity.base}/openid")
    keys.timeout = 0.2  # Microsoft's endpoint hangs: the bot gives up after its timeout
    assert await signed.post(signed.token()) == 503
    assert (await signed.teams.client.get("/healthz")).status == 200  # the server kept serving


@pytest.mark.parametrize("case", ["directline", "no aadObjectId", "tenant mismatch"])
async def test_a_valid_token_from_elsewhere_cannot_act(signed: Signed, case: str) -> None:
    activity = signed.activity("log Invoice is wrong")
    activity["from"]["id"] = "aad-admin"  # main: with channelId directline and no aadObjectId, the admin
    if case == "directline":
        activity["channelId"] = "directline"
    elif case == "no aadObjectId":
        activity["from"].pop("aadObjectId")
    else:
        activity["conversation"]["tenantId"] = "tenant-evil"
    assert await signed.post(signed.token(), activity) == 403
    assert signed.teams.connector.calls == []
    from sqlalchemy import func, select

    from storage.models import PainPoint, Person

    async with signed.teams.app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(PainPoint)) == 0
        assert await session.scalar(select(func.count()).select_from(Person).where(
            Person.display_name == "Sam Reporter")) == 0
