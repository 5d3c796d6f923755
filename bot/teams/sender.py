"""Delivering outbox messages in Teams: proactive messages through stored conversation references."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference

from bot.outbox import SendFailed
from bot.teams.door import TeamsDoor
from bot.zones import reader_zone
from handlers.base import Actor, Command
from storage import conversations
from storage.models import ConversationRef, OutboxMessage

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
SYSTEM = Actor(identity="system:teams")


def retry_after(response: Any) -> float:
    """Teams' Retry-After (seconds) on a 429; 30 s when it says nothing usable."""
    headers = getattr(response, "headers", None) or {}
    try:
        return max(1.0, min(float(headers.get("Retry-After") or headers.get("retry-after") or 30), 3600.0))
    except (TypeError, ValueError):
        return 30.0


class TeamsSender:
    prefixes = ("teams:", "teams-channel:")

    def __init__(self, app: App, door: TeamsDoor) -> None:
        self.app, self.door = app, door

    async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
        recipient = message.recipient
        channel = recipient.startswith("teams-channel:")
        async with self.app.db.transaction(read_only=True) as session:
            ref = await conversations.get(session=session, key=recipient)
            service_url = ref.service_url if ref else None
            if ref is not None and not channel and not ref.personal and not service_url:  # any in its tenant
                fallback = await conversations.any_in_tenant(session=session, tenant_id=ref.tenant_id)
                service_url = fallback.service_url if fallback else None
        tz = reader_zone(self.app.org, zone)
        # in a channel, owners' buttons are left out: they act in their own chats
        activity = await self.door.activity(message.template, message.payload, tz, channel)
        try:
            if channel:
                if ref is None:
                    raise SendFailed("the bot has not been added to that Teams channel yet", permanent=True)
                await self.continue_in(ref, activity, channel=recipient.split(":", 1)[1])
            elif ref is not None and ref.personal:
                await self.continue_in(ref, activity)
            elif ref is not None and ref.platform_user_id and service_url:
                await self.open_chat(recipient, ref, service_url, activity)
            else:
                raise SendFailed("no Teams conversation with this person yet (they have not opened the bot,"
                                     " nor is the bot in a team with them)", unreachable=True)
        except SendFailed:
            raise
        except Exception as error:  # sorted into retry / give up by status
            raise await self.failure(recipient, error) from error

    async def failure(self, recipient: str, error: Exception) -> SendFailed:
        """What a connector error means: wait for another way in (403: blocked, removed, uninstalled), give up
        (400, 404: the message itself), or retry (when Teams says, on 429)."""
        response = getattr(error, "response", None)  # msrest's error holds the HTTP library's own answer
        status = (getattr(response, "status_code", None) or getattr(response, "status", None)
                  or getattr(error, "status", None))
        reason = f"Teams connector: {type(error).__name__} {status or ''}".strip()
        if status == 403:
            await self.door.reach.refused(recipient)  # that conversation is gone for the bot
            return SendFailed(f"{reason}: Teams refused the bot this conversation (the app was removed, blocked"
                              " or uninstalled)", unreachable=True)
        if status == 429:
            return SendFailed(f"{reason}: throttled by Teams", retry_after=retry_after(response), free=True)
        return SendFailed(reason, permanent=status in (400, 404))

    async def continue_in(self, ref: ConversationRef, activity: Any, channel: str | None = None) -> None:
        reference = ConversationReference().deserialize(ref.reference)
        reference.activity_id = None  # a message of its own, not a reply to whatever was said last
        if reference.conversation is not None:
            reference.conversation.tenant_id = ref.tenant_id  # the serialised form drops it
            if channel:
                reference.conversation.id = channel  # a new post in the channel, not a reply in a thread

        failures: list[Exception] = []

        async def send(context: TurnContext) -> None:
            context.activity.id = None  # else botbuilder sends it as a reply to the continuation event
            try:
                await context.send_activity(activity)
            except Exception as error:  # noqa: BLE001 - kept for the outbox (raised, the adapter logs a crash)
                failures.append(error)

        await self.door.adapter.continue_conversation(reference, send, bot_app_id=self.door.app_id)
        if failures:
            raise failures[0]

    async def open_chat(self, key: str, ref: ConversationRef, service_url: str, activity: Any) -> None:
        """Start the 1:1 chat with someone seen only in a team, keep its reference, and post there."""
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=self.door.app_id or "bot"), tenant_id=ref.tenant_id,
            members=[ChannelAccount(id=ref.platform_user_id)], channel_data={"tenant": {"id": ref.tenant_id}})

        failures: list[Exception] = []

        async def send(context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(context.activity).serialize()
            await self.app.run(Command(actor=SYSTEM, action="remember", fields={
                "key": key, "reference": json.dumps(reference), "tenant": ref.tenant_id or "",
                "service_url": service_url, "user_id": ref.platform_user_id or "", "personal": "yes"}))
            context.activity.id = None  # a new message in the new chat
            try:
                await context.send_activity(activity)
            except Exception as error:  # noqa: BLE001 - see continue_in
                failures.append(error)

        await self.door.adapter.create_conversation(self.door.app_id, send, parameters, "msteams", service_url)
        if failures:
            raise failures[0]
