"""Speaking to the bot as Teams does: Activities posted to /api/messages on the bot's real server (the real
botbuilder stack), a fake connector at the activities' serviceUrl, and checking the cards that come back."""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.settings import Settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.ledger import Database

ORG = Path(__file__).parent / "org.toml"
SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "adaptive-card-1.5.json").read_text())
# Teams extends Input.ChoiceSet with "choices.data" (its people picker, documented by Microsoft for Teams'
# Adaptive Cards); the published 1.5 schema predates it, so that one property, in that one shape, is allowed
SCHEMA["definitions"]["Input.ChoiceSet"]["properties"]["choices.data"] = {
    "type": "object", "additionalProperties": False, "required": ["type", "dataset"],
    "properties": {"type": {"enum": ["Data.Query"]}, "dataset": {"enum": ["graph.microsoft.com/users"]}}}
PEOPLE = {"sam": ("aad-sam", "29:sam", "Sam Reporter"), "dana": ("aad-dana", "29:dana", "Dana Owner"),
          "lee": ("aad-lee", "29:lee", "Lee Other"), "admin": ("aad-admin", "29:admin", "Ada Admin")}


def valid_card(card: dict[str, Any]) -> None:
    errors = list(jsonschema.Draft6Validator(SCHEMA).iter_errors(card))
    if errors:
        raise AssertionError(jsonschema.exceptions.best_match(errors))


def nodes(card: Any, kind: str) -> list[dict[str, Any]]:
    """Every element of this type in a card ("TextBlock", "Action.Submit"), wherever it sits."""
    found: list[dict[str, Any]] = []
    if isinstance(card, dict):
        found += [card] if card.get("type") == kind else []
        card = list(card.values())
    if isinstance(card, list):
        for value in card:
            found += nodes(value, kind)
    return found


def cards(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in body.get("attachments") or [] if
            a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


@dataclass
class Teams:
    client: TestClient
    app: App
    connector: FakeConnector
    ids = count(1)

    def activity(self, who: str = "sam", *, text: str | None = None, value: Any = None, kind: str = "message",
                 conversation: str | None = None, personal: bool = True, activity_id: str | None = None,
                 reply_to: str | None = None, name: str | None = None, tenant: str = "tenant-acme",
                 channel: str | None = None, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        aad, user_id, display = PEOPLE[who]
        data: dict[str, Any] = {"tenant": {"id": tenant}}
        if channel:
            data["channel"] = {"id": channel}
        return {"type": kind, "id": activity_id or f"act-in-{next(self.ids)}", "channelId": "msteams",
                "serviceUrl": self.connector.url, "timestamp": "2026-11-23T09:00:00Z",
                "from": {"id": user_id, "name": display, "aadObjectId": aad},
                "conversation": {"id": conversation or f"a:personal-{who}",
                                 "conversationType": "personal" if personal else "channel", "tenantId": tenant},
                "recipient": {"id": "28:bot", "name": "cxbot"}, "text": text, "value": value,
                "replyToId": reply_to, "name": name, "channelData": data, "entities": entities or []}

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> ClientResponse:
        return await self.client.post("/api/messages", json=activity, headers=headers or {})

    async def say(self, who: str, text: str, **kw: Any) -> ClientResponse:
        return await self.post(self.activity(who, text=text, **kw))

    async def submit(self, who: str, value: dict[str, Any], reply_to: str = "card-1", **kw: Any) -> ClientResponse:
        return await self.post(self.activity(who, value=value, reply_to=reply_to, **kw))


def teams_settings(database: Database, **extra: Any) -> Settings:
    return Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), CX_TEAMS_EMULATOR=True, **extra)
