"""The Teams HTTP route, POST /api/messages: the token is checked before the body is read, the body is bounded,
an authenticated activity must come from Teams itself, and every refusal is one bounded log line."""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.bodies import bounded, too_large
from bot.teams.auth import Gate, KeysUnavailable, Refused, loggable
from bot.teams.reach import tenant_of

if TYPE_CHECKING:
    from bot.teams.door import TeamsDoor

log = logging.getLogger(__name__)
BODY_LIMIT = 1024 * 1024  # an activity is a few kB; Teams' largest (a card with images) stays well under this
# activities worked at once; the rest wait their turn. Each turn holds botbuilder's own clients for it (a connector
# and a user-token client, built anew for every activity): sixteen at once grew the server by 7 MB for good, and
# the database sets the pace anyway (the Teams bench's rate is the same with four as with sixteen)
TURNS = 4


class Route:
    def __init__(self, door: TeamsDoor, gate: Gate | None) -> None:
        self.door, self.gate = door, gate
        self.turns = asyncio.Semaphore(TURNS)

    async def handle(self, request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        auth_header = request.headers.get("Authorization", "")
        if self.gate is not None:  # the token first: an anonymous body is never parsed
            try:
                await self.gate.check(auth_header)
            except Refused as refused:
                return unauthorized(str(refused))
            except KeysUnavailable as error:
                return unverifiable(error)
        raw = await bounded(request, BODY_LIMIT)
        if raw is None:
            return too_large()
        try:
            body = json.loads(raw or b"null")
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except Exception:  # noqa: BLE001 - whatever was sent, it is not an Activity
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        if activity is None or not activity.type:
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        if self.gate is not None and (problem := foreign(activity, body)):
            log.warning("Teams activity refused (403): %s", loggable(problem))
            return web.json_response({"error": "forbidden"}, status=403)
        turn = {"started": False}
        try:
            with self.door.app.answers.owed():  # owed from now: the workers make way while it waits its turn
                # an invoke (a form to open, a message action) is answered in the request, within seconds or Teams
                # shows an error: it never waits behind a burst of messages
                lane = nullcontext() if activity.type == ActivityTypes.invoke else self.turns
                async with lane:
                    invoke = await self.door.adapter.process_activity(auth_header, activity, self.turn(turn))
        except KeysUnavailable as error:
            return unverifiable(error)
        except Exception as error:  # before the turn: botbuilder refused the token (in many types)
            if turn["started"]:
                raise
            return unauthorized(f"{type(error).__name__}: {error}")
        if invoke is not None:
            if invoke.status >= 500:  # an invoke we do not handle (501), or one that failed (logged by on_error)
                return web.json_response({"error": "this request could not be handled"}, status=400)
            # answered as JSON ourselves: CloudAdapter.process in 4.17.1 serialises invoke bodies twice
            try:
                body = invoke.body.serialize() if hasattr(invoke.body, "serialize") else invoke.body
                return web.json_response(data=body, status=invoke.status)
            except Exception:  # botbuilder's own error answers can hold unserialisable objects
                log.warning("an invoke answer could not be serialised", exc_info=True)
                return web.json_response({"error": "this request could not be handled"}, status=400)
        return web.Response(status=201)

    def turn(self, started: dict[str, bool]) -> Callable[[TurnContext], Awaitable[None]]:
        async def logic(context: TurnContext) -> None:
            started["started"] = True  # authenticated: what fails from here is ours, not the caller's
            await self.door.on_turn(context)
        return logic



def foreign(activity: Activity, body: dict[str, Any]) -> str | None:
    """Why an authenticated activity may not act here: another channel (Direct Line, Web Chat), nobody's Entra
    identity on a message or click, or a tenant that contradicts itself. None: it may."""
    if activity.channel_id != "msteams":
        return f"channel {str(activity.channel_id)[:40]!r} is not Teams"
    sender = activity.from_property
    if activity.type in (ActivityTypes.message, ActivityTypes.invoke) and not getattr(sender, "aad_object_id", None):
        return "no Entra (AAD) identity on the sender"
    conversation = body.get("conversation")  # botbuilder's ConversationAccount drops tenantId
    said = conversation.get("tenantId") if isinstance(conversation, dict) else None
    tenant = tenant_of(activity)  # channelData's
    if said and tenant and said != tenant:
        return "the conversation's tenant and channelData's tenant differ"
    return None


def unverifiable(error: KeysUnavailable) -> web.Response:
    log.error("Teams request not checked (503): %s", error)
    return web.json_response({"error": "cannot verify tokens now"}, status=503)


def unauthorized(reason: str) -> web.Response:
    log.info("Teams request refused (401): %s", loggable(reason))
    return web.json_response({"error": "unauthorized"}, status=401)
