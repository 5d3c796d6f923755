"""Generated hostile payloads against /slack/events and /api/messages: never a 5xx, never a traceback to the
caller, and the ledger stays consistent."""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot import server
from bot.app import App, create_app
from bot.settings import Settings
from storage.models import Event, PainPoint
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import ORG as SLACK_ORG
from tests.bot.slack.harness import SECRET, TOKEN
from tests.bot.teams.fake_connector import FakeConnector

text = st.text(max_size=300) | st.sampled_from(["", " ", "log", "log \x00\x07", "show CX-1", "ack CX-1",
                                                 "resolve CX-1 x", "<!channel>", "log " + "x" * 5000, "digest",
                                                 "dept add x X", "assign CX-1 to billing", "me too CX-1"])
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                     max_leaves=12)
team = st.sampled_from(["T0ACME", "T0EVIL", "", "x" * 300])
user = st.sampled_from(["U0SAM", "U0DANA", "U0LEE", "", "U0" + "Z" * 40])
action_id = st.sampled_from(["cx_acknowledge", "cx_resolve", "cx_decline", "cx_reopen", "cx_fixed", "cx_snooze",
                             "cx_reassign", "cx_open_form", "cx_unknown", "other"])


class Harness:
    """One event loop, one server, one fake Slack and one fake connector for all generated examples."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.TemporaryDirectory()
        self.fake, self.connector = FakeSlack(), FakeConnector()
        self.loop.run_until_complete(self.start())

    async def start(self) -> None:
        self.fake.server = TestServer(self.fake.app())
        await self.fake.server.start_server()
        self.connector.server = TestServer(self.connector.app())
        await self.connector.server.start_server()
        settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{self.folder.name}/cx.db", CX_ORG_FILE=str(SLACK_ORG),
                            SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=self.fake.url,
                            CX_SLACK_PROCESS_BEFORE_RESPONSE=True, CX_TEAMS_EMULATOR=True)
        self.app: App = create_app(settings)
        self.app.prompt_delivery = False
        self.client = TestClient(TestServer(server.build(self.app, run_scheduler=False)))
        await self.client.start_server()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            response = await self.client.post(path, data=body, headers=headers)
            return response.status, await response.text()
        return self.loop.run_until_complete(go())

    def slack(self, body: str, content_type: str, signed: bool = True) -> tuple[int, str]:
        ts = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": str(SignatureVerifier(SECRET if signed else "nope").generate_signature(
                       timestamp=ts, body=body))}
        return self.post("/slack/events", body.encode(), headers)

    def consistent(self) -> None:
        async def check() -> None:
            async with self.app.db.transaction() as session:
                points = await session.scalar(select(func.count()).select_from(PainPoint))
                created = await session.scalar(select(func.count()).select_from(Event).where(Event.action == "create"))
                assert points == created
                statuses = set(await session.scalars(select(PainPoint.status)))
                assert statuses <= {"open", "acknowledged", "resolved", "declined", "duplicate"}
        self.loop.run_until_complete(check())

    def close(self) -> None:
        async def stop() -> None:
            await self.client.close()
            await self.fake.server.close()  # type: ignore[union-attr]
            await self.connector.server.close()  # type: ignore[union-attr]
        self.loop.run_until_complete(stop())
        self.loop.close()
        self.folder.cleanup()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    made = Harness()
    yield made
    made.close()


def fine(status: int, body: str) -> None:
    assert status < 500, (status, body[:500])
    assert "Traceback" not in body and 'File "' not in body


# CI runs a fixed set of examples (derandomize), so that a red build is reproducible; set CX_HYPOTHESIS_EXAMPLES
# to explore more widely by hand.
RUNS = settings(max_examples=int(os.environ.get("CX_HYPOTHESIS_EXAMPLES", "60")), deadline=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@RUNS
@given(fields=st.dictionaries(st.sampled_from(["command", "text", "user_id", "team_id", "trigger_id",
                                               "channel_id", "user_name", "response_url"]), text, max_size=8),
       body_text=text, who=user, where=team)
def test_slash_commands(harness: Harness, fields: dict[str, str], body_text: str, who: str, where: str) -> None:
    body = {"command": "/cx", "text": body_text, "user_id": who, "team_id": where, "trigger_id": "t",
            "channel_id": "C1", "response_url": harness.fake.response_url(), **fields}
    fine(*harness.slack(urlencode(body), "application/x-www-form-urlencoded"))
    harness.consistent()


@RUNS
@given(kind=st.sampled_from(["block_actions", "view_submission", "shortcut", "message_action", "view_closed",
                             "nonsense"]), act=action_id, ref=text, who=user, where=team, extra=value,
       callback=st.sampled_from(["cx_log_form", "cx_resolve_form", "cx_reassign_form", "cx_snooze_form", "cx_log",
                                 "cx_log_message", "zz"]), state=value)
def test_interactivity(harness: Harness, kind: str, act: str, ref: str, who: str, where: str, extra: Any,
                       callback: str, state: Any) -> None:
    payload: dict[str, Any] = {
        "type": kind, "user": {"id": who, "team_id": where}, "team": {"id": where}, "trigger_id": "t",
        "callback_id": callback, "actions": [{"action_id": act, "value": ref, "action_ts": "1.1",
                                             "block_id": "cx_item_actions"}],
        "container": {"channel_id": "D1", "message_ts": "1.1"}, "response_url": harness.fake.response_url(),
        "view": {"id": "V1", "callback_id": callback, "private_metadata": json.dumps(extra) if extra else ref,
                 "state": {"values": state if isinstance(state, dict) else {"summary": {"value": {"value": ref}}}}},
        "message": {"text": ref, "ts": "1.1"}, "channel": {"id": "C1"}, "extra": extra}
    fine(*harness.slack(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"))
    harness.consistent()


@RUNS
@given(event=st.fixed_dictionaries({"type": st.sampled_from(["app_home_opened", "message", "x"]),
                                    "user": user, "tab": st.sampled_from(["home", "messages"])}) | value,
       body=st.binary(max_size=2000) | st.just(b"x" * 100_000), signed=st.booleans())
def test_events_and_garbage(harness: Harness, event: Any, body: bytes, signed: bool) -> None:
    envelope = json.dumps({"type": "event_callback", "team_id": "T0ACME", "event": event, "event_id": "Ev1"})
    fine(*harness.slack(envelope, "application/json"))
    raw = body.decode("latin-1")
    fine(*harness.slack(raw, "application/json", signed=signed))
    fine(*harness.slack(raw, "application/x-www-form-urlencoded", signed=signed))


@RUNS
@given(reaction=st.fixed_dictionaries({
    "type": st.just("reaction_added"), "user": user | value, "reaction": st.sampled_from(
        ["rotating_light", "rotating_light::skin-tone-3", "x"]) | value,
    "item": st.fixed_dictionaries({"type": st.sampled_from(["message", "file"]) | value,
                                   "channel": st.sampled_from(["C0SUPPORT", ""]) | value,
                                   "ts": st.sampled_from(["1700000000.000100", ""]) | value}) | value}),
    text=st.text(max_size=300), event_id=st.uuids())
def test_reactions(harness: Harness, reaction: Any, text: str, event_id: Any) -> None:
    harness.fake.messages[("C0SUPPORT", "1700000000.000100")] = {"type": "message", "text": text,
                                                                 "ts": "1700000000.000100"}
    envelope = json.dumps({"type": "event_callback", "team_id": "T0ACME", "event": reaction,
                           "event_id": f"Ev{event_id}"})
    fine(*harness.slack(envelope, "application/json"))
    harness.consistent()


@RUNS
@given(kind=st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "event", "typing",
                             "", "nonsense"]), message=text, data=value, tenant=st.sampled_from(
                                 ["tenant-acme", "tenant-evil", ""]),
       name=st.sampled_from(["composeExtension/fetchTask", "composeExtension/submitAction", "adaptiveCard/action",
                             "unknown", ""]), drop=st.sets(st.sampled_from(["from", "conversation", "serviceUrl",
                                                                          "recipient", "channelData"])))
def test_teams_activities(harness: Harness, kind: str, message: str, data: Any, tenant: str, name: str,
                          drop: set[str]) -> None:
    activity: dict[str, Any] = {
        "type": kind, "id": "a1", "channelId": "msteams", "serviceUrl": harness.connector.url, "text": message,
        "from": {"id": "29:sam", "aadObjectId": "aad-sam", "name": "Sam"}, "name": name,
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": tenant},
        "recipient": {"id": "28:bot"}, "channelData": {"tenant": {"id": tenant}}, "value": data}
    for key in drop:
        activity.pop(key)
    status, body = harness.post("/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"})
    fine(status, body)
    fine(*harness.post("/api/messages", json.dumps(data).encode(), {"Content-Type": "application/json"}))
    harness.consistent()


