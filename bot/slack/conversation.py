"""Talking to the bot in Slack as in `/cx`: a message in its DM (the Messages tab), or an @mention of it in a
channel, answered in the thread (privately to the person who mentioned it: the answer may list their items).

Each message is written down (the inbox) before Slack's event is acknowledged, like a `/cx` command, so a 200
means it will be answered; the event id makes a redelivery act once.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncBoltContext

from bot.slack.door import SlackDoor, guarded
from bot.slack.payloads import plain
from handlers.base import Command, Outcome, Refusal
from handlers.parse import parse

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
MENTION = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>\s*)+")


class Conversation:
    def __init__(self, app: App, door: SlackDoor) -> None:
        self.app, self.door = app, door
        door.bolt.event("message", middleware=[self.write_down])(guarded(self.on_event))
        door.bolt.event("app_mention", middleware=[self.write_down])(guarded(self.on_event))
        app.inbox.register("slack_message", self.work, self.apologise)

    @staticmethod
    def wanted(event: dict[str, Any]) -> bool:
        """A person's own new message: in the bot's DM, or mentioning it (not a bot, an edit or a join)."""
        if not isinstance(event, dict) or event.get("bot_id") or event.get("subtype"):
            return False
        if not (isinstance(event.get("user"), str) and isinstance(event.get("text"), str)):
            return False
        return event.get("type") == "app_mention" or event.get("channel_type") == "im"

    async def write_down(self, body: dict[str, Any], context: AsyncBoltContext,
                         next_: Callable[[], Awaitable[None]]) -> None:
        event = body.get("event")
        if isinstance(event, dict) and self.wanted(event) and body.get("event_id"):
            context["cx_request"] = await self.app.inbox.accept(f"slack:event:{body['event_id']}", {
                "kind": "slack_message", "team_id": body.get("team_id"), "event_id": body["event_id"],
                "enterprise_id": body.get("enterprise_id"), "event": event})
        await next_()

    async def on_event(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        request_id = context.get("cx_request")
        if request_id is None:  # not for us, or a redelivery of one written down before
            return
        payload = {"kind": "slack_message", "team_id": body.get("team_id"), "event_id": body.get("event_id"),
                   "enterprise_id": body.get("enterprise_id"), "event": body.get("event")}
        if self.door.before_response:
            await self.work(request_id, payload)
        else:
            self.app.inbox.later(request_id, payload)

    async def work(self, request_id: int, payload: dict[str, Any]) -> None:
        """Do what the message asks and answer where it was asked."""
        event = payload.get("event") or {}
        team = event.get("user_team") or payload.get("team_id")
        user = str(event.get("user") or "")
        actor = self.door.actor(user, team, enterprise=payload.get("enterprise_id"))
        text = plain(MENTION.sub("", str(event.get("text") or ""))).strip()
        try:
            parsed = parse(text)
        except Refusal as refusal:
            await self.app.inbox.finished(request_id)
            await self.answer(Outcome.refused(refusal.message), actor.identity, event)
            return
        if parsed.action == "log" and not parsed.fields.get("summary"):
            await self.app.inbox.finished(request_id)
            await self.answer(Outcome.refused("What happened? Write it after 'log': log <what the customer hit>. "
                                              "Or type /cx for the form."), actor.identity, event)
            return
        outcome = await self.door.finish(request_id, Command(
            actor=actor, action=parsed.action, ref=parsed.ref, fields=parsed.fields,
            delivery=f"slack:event:{payload.get('event_id')}"))
        if outcome is not None and not outcome.repeated and outcome.replies:
            await self.answer(outcome, actor.identity, event)
        await self.door.learn(user, team)

    async def apologise(self, payload: dict[str, Any], why: str) -> None:
        event = payload.get("event") or {}
        await self.door.apologise(str(event.get("user") or ""), f"do \"{str(event.get('text') or '')[:100]}\"", why)

    async def answer(self, outcome: Outcome, identity: str, event: dict[str, Any]) -> None:
        body = await self.door.message(outcome, identity)
        channel = str(event.get("channel") or "")
        if event.get("type") == "app_mention":  # in the thread, seen only by the person who asked
            await self.door.client.chat_postEphemeral(channel=channel, user=identity.split(":", 1)[1],
                                                      thread_ts=event.get("thread_ts") or event.get("ts"),
                                                      text=body["text"], blocks=body["blocks"])
        else:
            await self.door.client.chat_postMessage(channel=channel, text=body["text"], blocks=body["blocks"])
