"""Speaking to the bot as Slack does: signed requests to /slack/events on the bot's real server (the real Bolt
and slack_sdk), a fake Web API at the HTTP level, and what the tests read back."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from itertools import count as numbers
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.app import App
from bot.settings import Settings
from tests.bot.slack.fake_slack import FakeSlack
from tests.ledger import Database

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
ORG = Path(__file__).parent / "org.toml"


def slack_settings(database: Database, fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), SLACK_BOT_TOKEN=TOKEN,
                    SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                    CX_SLACK_PROCESS_BEFORE_RESPONSE=extra.pop("before", True), **extra)


@dataclass
class Slack:
    """Speaks to the bot as Slack does: form-encoded commands, payload= interactivity, JSON events."""

    client: TestClient
    app: App
    fake: FakeSlack
    ids = numbers(1)

    def sign(self, body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))}

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None,
                   **sign: Any) -> ClientResponse:
        return await self.client.post("/slack/events", data=body.encode(), headers={
            "Content-Type": content_type, **self.sign(body, **sign), **(headers or {})})

    async def command(self, user: str, text: str, *, team: str = "T0ACME", trigger: str | None = None,
                      channel: str = "C0GENERAL", **kw: Any) -> ClientResponse:
        body = urlencode({"token": "x", "team_id": team, "channel_id": channel, "user_id": user,
                          "user_name": user.lower(), "command": "/cx", "text": text,
                          "response_url": self.fake.response_url(f"cmd-{user}"),
                          "trigger_id": trigger or f"trig-{next(self.ids)}"})
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    def answers(self, user: str) -> list[dict[str, Any]]:
        """What a /cx command by `user` answered through its response_url (the answer follows the ack)."""
        return [c for c in self.fake.called("response_url") if c["name"] == f"cmd-{user}"]

    async def interactive(self, payload: dict[str, Any], **kw: Any) -> ClientResponse:
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                               **kw)

    async def click(self, user: str, action_id: str, value: str, *, channel: str = "D0DM", ts: str = "1700.000001",
                    action_ts: str | None = None, team: str = "T0ACME") -> ClientResponse:
        return await self.interactive({
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": team},
            "team": {"id": team}, "api_app_id": "A0APP", "trigger_id": f"trig-{next(self.ids)}",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel}, "message": {"ts": ts, "text": "card"},
            "response_url": self.fake.response_url(f"act-{user}"),
            "actions": [{"action_id": action_id, "block_id": "cx_item_actions", "value": value, "type": "button",
                         "action_ts": action_ts or f"1700.{next(self.ids):06d}"}]})

    async def submit(self, user: str, callback_id: str, values: dict[str, Any], *, meta: dict[str, Any] | None = None,
                     view_id: str | None = None, team: str = "T0ACME") -> ClientResponse:
        state = {}
        for block, value in values.items():
            if isinstance(value, dict):
                state[block] = {"value": value}
            elif block == "person":
                state[block] = {"value": {"type": "users_select", "selected_user": value}}
            elif block in ("stage", "severity", "department", "until", "category", "rating"):
                state[block] = {"value": {"type": "static_select", "selected_option": {
                    "text": {"type": "plain_text", "text": value}, "value": value}}}
            else:
                state[block] = {"value": {"type": "plain_text_input", "value": value}}
        return await self.interactive({
            "type": "view_submission", "user": {"id": user, "username": user.lower(), "team_id": team},
            "team": {"id": team}, "api_app_id": "A0APP", "trigger_id": f"trig-{next(self.ids)}",
            "view": {"id": view_id or f"V{next(self.ids)}", "type": "modal", "callback_id": callback_id,
                     "private_metadata": json.dumps(meta or {}), "hash": "h1", "state": {"values": state}}})

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, team: str = "T0ACME",
                    headers: dict[str, str] | None = None) -> ClientResponse:
        body = json.dumps({"token": "x", "team_id": team, "api_app_id": "A0APP", "type": "event_callback",
                           "event": event, "event_id": event_id or f"Ev{next(self.ids)}", "event_time": 1700000000})
        return await self.post(body, "application/json", headers=headers)


TS = "1700000000.000100"
PERMALINK = f"https://acme.slack.com/archives/C0SUPPORT/p{TS}"


async def count(slack: Slack, table: type) -> int:
    async with slack.app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def reaction(user: str, emoji: str = "rotating_light", *, ts: str = TS, kind: str = "message") -> dict[str, object]:
    return {"type": "reaction_added", "user": user, "reaction": emoji, "item_user": "U0LEE",
            "item": {"type": kind, "channel": "C0SUPPORT", "ts": ts}, "event_ts": "1700000001.000200"}


def said(slack: Slack, text: str, *, ts: str = TS, thread_ts: str | None = None) -> None:
    slack.fake.messages[("C0SUPPORT", ts)] = {"type": "message", "user": "U0LEE", "text": text, "ts": ts,
                                              **({"thread_ts": thread_ts} if thread_ts else {})}
