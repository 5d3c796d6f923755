"""Talking to the bot in Slack as in `/cx`: a message in its DM (the Messages tab), or an @mention of it in a
channel, answered in the thread (privately to the person who mentioned it: the answer may list their items).

Each message is written down (the inbox) before Slack's event is acknowledged, like a `/cx` command, so a 200
means it will be answered; the event id makes a redelivery act once.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.slack.door import SlackDoor, event_team
from bot.slack.events import listen
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
        listen(door, "message", "slack_message", self.wanted, self.work, self.apologise)
        listen(door, "app_mention", "slack_message", self.wanted, self.work, self.apologise)

    @staticmethod
    def wanted(event: dict[str, Any]) -> bool:
        """A person's own new message: in the bot's DM, or mentioning it (not a bot, an edit or a join)."""
        if not isinstance(event, dict) or event.get("bot_id") or event.get("subtype"):
            return False
        if not (isinstance(event.get("user"), str) and isinstance(event.get("text"), str)):
            return False
        return event.get("type") == "app_mention" or event.get("channel_type") == "im"

    async def work(self, request_id: int, payload: dict[str, Any]) -> None:
        """Do what the message asks and answer where it was asked."""
        event = payload.get("event") or {}
        team = event_team(payload)
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
