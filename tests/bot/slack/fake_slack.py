"""A local fake of Slack's Web API (and of response_url), at the HTTP level: the real slack_sdk talks to it.

It records every call per method, answers like Slack, and fails on demand (429 with Retry-After, 500,
`ok: false` errors), as bolt-python's own tests/mock_web_api_server does.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

USERS = {
    "U0SAM": {"name": "sam", "real_name": "Sam Reporter", "tz": "Europe/London", "email": "sam@example.com"},
    "U0DANA": {"name": "dana", "real_name": "Dana Owner", "tz": "America/New_York", "email": "dana@example.com"},
    "U0ANA": {"name": "ana", "real_name": "Ana Rep", "tz": "Europe/Paris", "email": "ana@example.com"},
    "U0LEE": {"name": "lee", "real_name": "Lee Other", "tz": "Europe/London", "email": "lee@example.com"},
}


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # Slack answering slowly; with no status or error it then succeeds


@dataclass
class FakeSlack:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) -> message
    closed: dict[str, str] = field(default_factory=dict)  # channel -> the error posting there answers
    expired: set[str] = field(default_factory=set)  # response_url names that answer 404
    server: TestServer | None = None

    def fail(self, method: str, *failures: Failure) -> None:
        self.failures.setdefault(method, []).extend(failures)

    def called(self, method: str) -> list[dict[str, Any]]:
        return [args for m, args in self.calls if m == method]

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str = "r1") -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/respond/{name}"))

    async def read(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self.read(request)
        self.calls.append((method, args))
        if request.headers.get("Authorization") != "Bearer xoxb-test-token":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "chat.postMessage" and args.get("channel") in self.closed:
            return web.json_response({"ok": False, "error": self.closed[args["channel"]]})
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            if failure.delay:
                await asyncio.sleep(failure.delay)  # the remote being slow, not a test waiting for time to pass
            if failure.status == 200 and failure.error is None:
                return web.json_response({"ok": True, **self.answer(method, args)})
            if failure.status != 200:
                return web.json_response({"ok": False, "error": failure.error or "ratelimited"},
                                         status=failure.status, headers=failure.headers)
            return web.json_response({"ok": False, "error": failure.error})
        return web.json_response({"ok": True, **self.answer(method, args)})

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"url": "https://acme.slack.com/", "team": "Acme", "user": "cxbot", "team_id": "T0ACME",
                    "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method == "users.info":
            user = USERS.get(args.get("user", ""), {"name": "someone", "real_name": "Some One", "tz": "UTC"})
            return {"user": {"id": args.get("user"), "team_id": "T0ACME", "name": user["name"],
                             "real_name": user["real_name"],
                             "tz": user["tz"], "profile": {"real_name": user["real_name"],
                                                          "email": user.get("email")}}}
        if method == "users.lookupByEmail":
            for uid, user in USERS.items():
                if user.get("email") == args.get("email"):
                    return {"user": {"id": uid, "team_id": "T0ACME", "name": user["name"],
                                     "real_name": user["real_name"],
                                     "tz": user["tz"], "profile": {"real_name": user["real_name"]}}}
            raise web.HTTPOk(text=json.dumps({"ok": False, "error": "users_not_found"}),
                             content_type="application/json")
        if method in ("chat.postMessage", "chat.update"):
            return {"channel": args.get("channel"), "ts": f"1700000000.{len(self.calls):06d}"}
        if method in ("conversations.history", "conversations.replies"):
            message = self.messages.get((args.get("channel", ""), args.get("latest", "")))
            in_thread = bool(message and message.get("thread_ts") not in (None, message.get("ts")))
            if message is None or (method == "conversations.history" and in_thread):
                return {"messages": [], "has_more": False}
            return {"messages": [message], "has_more": False}
        if method == "chat.getPermalink":
            return {"permalink": f"https://acme.slack.com/archives/{args.get('channel')}/p{args.get('message_ts')}"}
        if method in ("views.open", "views.publish", "views.update"):
            return {"view": {"id": "V0NEW", **(args.get("view") or {})}}
        return {}

    async def respond(self, request: web.Request) -> web.Response:
        self.calls.append(("response_url", {"name": request.match_info["name"], **json.loads(await request.text())}))
        if request.match_info["name"] in self.expired:  # a response_url past its 30 minutes, or used up
            return web.Response(status=404, text="expired_url")
        return web.Response(text="ok")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_post("/respond/{name}", self.respond)
        return app
