"""/cx commands: written down before they are answered (a 200 means the command is kept), worked on after the
answers owed, answered through their response_url."""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.client import Kept
from bot.slack.door import SlackDoor, guarded
from bot.slack.payloads import command_text, readable_fields
from handlers.base import Command, Refusal
from handlers.parse import parse

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
# what is written down of a /cx command: what working on it needs, nothing more (not Slack's verification token)
KEPT = ("user_id", "user_name", "team_id", "enterprise_id", "channel_id", "text", "response_url", "trigger_id")


class Commands:
    def __init__(self, app: App, door: SlackDoor) -> None:
        self.app, self.door = app, door
        self.answers = Kept(timeout=30)  # one session for the answers through response_urls
        door.bolt.command(re.compile(r"^/cx"))(guarded(self.on_command))
        app.inbox.register("slack_command", self.work_command, self.apologise)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        text = command_text(command.get("text") or "")
        actor = self.door.actor(command["user_id"], command.get("team_id"), command.get("user_name"),
                           command.get("enterprise_id"))
        if text.lower() in ("", "log"):
            await ack()
            outcome = await self.door.open_log_form(command["trigger_id"], actor, {"channel": command["channel_id"]})
            if not outcome.ok:
                await self.door.respond(respond, outcome, actor.identity, command.get("channel_id"))
            await self.door.learn(command["user_id"], command.get("team_id"))
            return
        try:
            parse(text)
        except Refusal as refusal:
            await ack(text=refusal.message)
            return
        # written down first (one insert), answered at once, worked on after: a 200 means the request is kept,
        # and a process that dies before finishing it leaves it to the next (the inbox's recovery).
        # The answer follows through response_url; notifications go out from the outbox.
        payload = {"kind": "slack_command", "command": {k: command.get(k) for k in KEPT}}
        request_id = await self.app.inbox.accept(f"slack:command:{command['trigger_id']}", payload)
        await ack()
        if request_id is None:
            return  # a redelivery of a command written down before: the first delivery does it
        if self.door.before_response:  # Slack waits for this very work (FaaS)
            await self.work_command(request_id, payload)
        else:
            self.app.inbox.later(request_id, payload)

    async def work_command(self, request_id: int, payload: dict[str, Any]) -> None:
        """Do what an accepted /cx command asks, marking it finished in the same transaction, then answer
        through its response_url. With the database unreachable it stays unfinished, for recovery."""
        command = dict(payload.get("command") or {})
        user, team = str(command.get("user_id") or ""), command.get("team_id")
        actor = self.door.actor(user, team, command.get("user_name"), command.get("enterprise_id"))
        parsed = parse((command.get("text") or "").strip())  # still escaped: markup and typed text kept apart
        outcome = await self.door.finish(request_id, Command(
            actor=actor, action=parsed.action, ref=parsed.ref, fields=readable_fields(parsed.fields),
            delivery=f"slack:command:{command.get('trigger_id')}"))
        if outcome is not None and not outcome.repeated and outcome.replies and command.get("response_url"):
            url = str(command["response_url"])

            async def through_url(**body: Any) -> Any:
                return await AsyncWebhookClient(url, session=self.answers.get()).send_dict(body)

            await self.door.respond(through_url, outcome, actor.identity, command.get("channel_id"))
        await self.door.learn(user, team)

    async def apologise(self, payload: dict[str, Any], why: str) -> None:
        command = payload.get("command") or {}
        await self.door.apologise(str(command.get("user_id") or ""), f"do \"/cx {command.get('text') or ''}\"", why)

    async def close(self) -> None:
        await self.answers.close()
