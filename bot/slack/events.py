"""Slack events that ask the bot to do something (an emoji reaction, a DM, an @mention): each one the bot
wants is written down (the inbox) before Bolt acknowledges it, so a 200 means it will be done, by this process
or, if it dies, by the next; the event id makes a redelivery act once."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.inbox import Apology, Worker
from bot.slack.door import SlackDoor, guarded


def payload_of(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """What is kept of an event: only what its worker needs."""
    return {"kind": kind, "team_id": body.get("team_id"), "event_id": body.get("event_id"),
            "enterprise_id": body.get("enterprise_id"), "event": body.get("event")}


def listen(door: SlackDoor, name: str, kind: str, wanted: Callable[[dict[str, Any]], bool], worker: Worker,
           apology: Apology) -> None:
    """Events called `name` that `wanted` accepts are written down as requests of `kind`, then worked on by
    `worker` after the answers owed (or at once, when Slack waits for the work: FaaS)."""

    async def write_down(body: dict[str, Any], context: AsyncBoltContext,
                         next_: Callable[[], Awaitable[None]]) -> None:
        event = body.get("event")
        if isinstance(event, dict) and wanted(event) and body.get("event_id"):
            context["cx_request"] = await door.app.inbox.accept(f"slack:event:{body['event_id']}",
                                                                payload_of(kind, body))
        await next_()

    async def on_event(body: dict[str, Any], context: AsyncBoltContext) -> None:
        request_id = context.get("cx_request")
        if request_id is None:  # not wanted, or a redelivery of one written down before
            return
        if door.before_response:
            await worker(request_id, payload_of(kind, body))
        else:
            door.app.inbox.later(request_id, payload_of(kind, body))

    on_event.__name__ = f"on_{kind}"
    door.bolt.event(name, middleware=[write_down])(guarded(on_event))
    door.app.inbox.register(kind, worker, apology)
