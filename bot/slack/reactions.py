"""An emoji reaction that logs the message reacted to (the org file's `slack_log_reaction`).

The reaction is written down (the inbox) before Bolt acknowledges the event, so a 200 means the message will
be logged, by this process or, if it dies, by the next. The message's text and permalink go to the
`log_message` handler, which decides the rest: its summary and details, and that a message is logged once
(later reactors are counted as affected).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.slack.door import SlackDoor, event_team
from bot.slack.events import listen
from bot.slack.payloads import readable
from bot.slack.sender import failure
from handlers.base import Command, Outcome
from storage import inbox

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
UNREADABLE = ("I couldn't read that message ({reason}), so nothing was logged. Invite me to the channel "
              "(/invite @cxbot) and react again, or use the message's menu: More actions > Log as pain point.")
IN_A_DM = ("I can't read direct messages between people, so I couldn't log that one. Copy its text into "
           "/cx log, or use the message's menu: More actions > Log as pain point.")
GONE_ERRORS = {"thread_not_found", "message_not_found"}
GONE = ("I couldn't find that message any more (deleted?), so nothing was logged. Type /cx to log it with the "
        "form.")


class Reactions:
    def __init__(self, app: App, door: SlackDoor) -> None:
        self.app, self.door, self.client = app, door, door.client
        listen(door, "reaction_added", "slack_reaction", self.wanted, self.work, self.apologise)

    def wanted(self, event: dict[str, Any]) -> bool:
        emoji = self.app.org.slack_log_reaction
        item = event.get("item") if isinstance(event, dict) else None
        if not emoji or not isinstance(item, dict):
            return False
        reaction = str(event.get("reaction") or "").split("::")[0]  # "rotating_light::skin-tone-2"
        return reaction == emoji and item.get("type") == "message" and all(
            isinstance(v, str) and v for v in (item.get("channel"), item.get("ts"), event.get("user")))

    async def work(self, request_id: int, payload: dict[str, Any]) -> None:
        """Log the message reacted to and tell the reactor. A message the bot cannot read gets the reactor a
        way forward, not silence; a Slack outage leaves the request for a later try."""
        event = payload.get("event") or {}
        team = event_team(payload)
        item = event.get("item") or {}
        channel, ts, user = str(item.get("channel") or ""), str(item.get("ts") or ""), str(event.get("user") or "")
        actor = self.door.actor(user, team, enterprise=payload.get("enterprise_id"))
        try:
            message = await self.message_at(channel, ts)
            source = str((await self.client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
        except Exception as error:  # sorted like a failed delivery: try again later, or explain
            failed = failure(error)
            log.warning("could not read message %s in %s (%s)%s", ts, channel, failed.reason,
                        "" if failed.permanent else ": left for a later try", exc_info=True)
            if failed.reason in GONE_ERRORS:  # deleted, or a reply whose thread is gone
                message = None
            elif failed.permanent:
                await self.app.inbox.finished(request_id)
                advice = IN_A_DM if channel.startswith("D") else UNREADABLE.format(reason=failed.reason)
                await self.door.confirm(Outcome.refused(advice), actor.identity, None)
                return
            else:  # Slack unwell: left for recovery, which gives up after a few tries and says so
                async with self.app.db.transaction() as session:
                    await inbox.note_error(session=session, request_id=request_id, error=failed.reason)
                return
        if message is None:
            await self.app.inbox.finished(request_id)
            await self.door.confirm(Outcome.refused(GONE), actor.identity, None)
            return
        outcome = await self.door.finish(request_id, Command(
            actor=actor, action="log_message", delivery=f"slack:event:{payload.get('event_id')}",
            fields={"text": readable(message), "source": source}))
        if outcome is not None and not outcome.repeated and outcome.replies:
            await self.door.confirm(outcome, actor.identity, channel)
        await self.door.learn(user, team)

    async def apologise(self, payload: dict[str, Any], why: str) -> None:
        event = payload.get("event") or {}
        await self.door.apologise(str(event.get("user") or ""), "log the message you reacted to", why)

    async def message_at(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message, in the channel or in a thread (conversations.history does not return replies)."""
        history = await self.client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True,
                                                          limit=1)
        for message in history.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        replies = await self.client.conversations_replies(channel=channel, ts=ts, latest=ts, oldest=ts,
                                                          inclusive=True, limit=1)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        return None
