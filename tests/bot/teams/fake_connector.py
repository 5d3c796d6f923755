"""A local fake of the Bot Framework connector (a Teams serviceUrl), at the HTTP level.

The real botbuilder ConnectorClient talks to it; it records what the bot sends: replies, new messages,
updates, created conversations, member look-ups and roster reads.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

MEMBERS = {"29:sam": {"id": "29:sam", "name": "Sam Reporter", "aadObjectId": "aad-sam", "email": "sam@example.com",
                      "userPrincipalName": "sam@example.com"},
           "29:dana": {"id": "29:dana", "name": "Dana Owner", "aadObjectId": "aad-dana",
                       "email": "dana@example.com", "userPrincipalName": "dana@example.com"},
           "29:lee": {"id": "29:lee", "name": "Lee Other", "aadObjectId": "aad-lee", "email": "lee@example.com",
                      "userPrincipalName": "lee@example.com"}}
Failure = int | tuple[int, dict[str, str]]  # a status, or a status with headers (Retry-After)


@dataclass
class FakeConnector:
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    server: TestServer | None = None
    ids = count(1)
    failures: list[Failure] = field(default_factory=list)  # HTTP statuses to answer sends with, in turn
    failing: tuple[str, ...] = ("send", "reply")  # which calls the failures apply to
    rosters: dict[str, list[str]] = field(default_factory=dict)  # conversation or team id: member ids
    headers: list[dict[str, str]] = field(default_factory=list)  # each call's headers (the bot's token)
    held: asyncio.Event | None = None  # when set up (and not yet set), each call waits for it before answering
    waiting: int = 0  # the calls waiting for `held` now
    peers: list[Any] = field(default_factory=list)  # the connection (client address) each call came on

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/")).rstrip("/") + "/"

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [body for k, _, body in self.calls if kind is None or k == kind]

    async def record(self, request: web.Request, kind: str) -> web.Response:
        if self.held is not None:
            self.waiting += 1
            try:
                await self.held.wait()
            finally:
                self.waiting -= 1
        raw = await request.text()
        body = json.loads(raw) if raw else {}
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        self.headers.append(dict(request.headers))
        self.calls.append((kind, request.match_info.get("conversation", ""), body))
        if self.failures and kind in self.failing:
            failure = self.failures.pop(0)
            status, headers = failure if isinstance(failure, tuple) else (failure, {})
            return web.json_response({"error": {"code": "Refused"}}, status=status, headers=headers)
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

    async def paged(self, request: web.Request) -> web.Response:
        """A roster, two members a page (so paging is exercised)."""
        conversation = request.match_info["conversation"]
        self.calls.append(("roster", conversation, dict(request.query)))
        if conversation not in self.rosters:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        start = int(request.query.get("continuationToken") or 0)
        ids = self.rosters[conversation]
        page = [MEMBERS[i] for i in ids[start:start + 2]]
        more = start + 2 < len(ids)
        return web.json_response({"members": page, **({"continuationToken": str(start + 2)} if more else {})})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self.reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self.update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self.member)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self.paged)
        return app
