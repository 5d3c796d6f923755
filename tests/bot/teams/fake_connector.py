"""A local fake of the Bot Framework connector (a Teams serviceUrl), at the HTTP level.

The real botbuilder ConnectorClient talks to it; it records what the bot sends: replies, new messages,
updates, created conversations and member look-ups.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

MEMBERS = {"29:sam": {"id": "29:sam", "name": "Sam Reporter", "aadObjectId": "aad-sam", "email": "sam@example.com",
                      "userPrincipalName": "sam@example.com"},
           "29:dana": {"id": "29:dana", "name": "Dana Owner", "aadObjectId": "aad-dana",
                       "email": "dana@example.com", "userPrincipalName": "dana@example.com"}}


@dataclass
class FakeConnector:
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    server: TestServer | None = None
    ids = count(1)
    failures: list[int] = field(default_factory=list)  # HTTP statuses to answer sends with, in turn

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/")).rstrip("/") + "/"

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [body for k, _, body in self.calls if kind is None or k == kind]

    async def record(self, request: web.Request, kind: str) -> web.Response:
        raw = await request.text()
        body = json.loads(raw) if raw else {}
        self.calls.append((kind, request.match_info.get("conversation", ""), body))
        if self.failures and kind in ("send", "reply"):
            return web.json_response({"error": {"code": "Throttled"}}, status=self.failures.pop(0))
        if kind == "create":
            return web.json_response({"id": f"a:new-{next(self.ids)}", "activityId": f"act-{next(self.ids)}"})
        return web.json_response({"id": f"act-{next(self.ids)}"})

    async def send(self, request: web.Request) -> web.Response:
        return await self.record(request, "send")

    async def reply(self, request: web.Request) -> web.Response:
        return await self.record(request, "reply")

    async def update(self, request: web.Request) -> web.Response:
        return await self.record(request, "update")

    async def create(self, request: web.Request) -> web.Response:
        return await self.record(request, "create")

    async def member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.calls.append(("member", request.match_info["conversation"], {"member": member}))
        if member not in MEMBERS:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(MEMBERS[member])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self.reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self.update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self.member)
        return app
