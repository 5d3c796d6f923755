"""Delivering outbox messages to Slack people (DM), channels, and people known only by email."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox import SendFailed
from bot.zones import reader_zone
from handlers.base import Actor, Command
from messages.render import SlackRenderer
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
# errors that another try will not cure: recorded, surfaced by `cxbot outbox`, never retried
PERMANENT = {"channel_not_found", "user_not_found", "users_not_found", "not_in_channel", "is_archived",
             "no_permission", "msg_too_long", "invalid_blocks", "no_text", "cannot_dm_bot", "restricted_action",
             "user_disabled", "team_access_not_granted", "channel_is_archived", "invalid_arguments"}

# a person Slack cannot find: the admins hear of it, so the item does not wait on nobody
UNREACHABLE = {"user_not_found", "users_not_found", "user_disabled", "cannot_dm_bot"}
# a channel the bot cannot post to: its message goes to the channel's people another way, and admins hear why
CLOSED_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "channel_is_archived"}

# the bot's token or its scopes, not the message: every message waits (no attempt counted) until an operator
# puts a working token in place and restarts; account_inactive is the token's (the bot user's) account
TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope"}
WAITING = "waiting for a working Slack token"
TOKEN_WAIT = 300.0  # seconds between tries while the token does not work


def failure(error: Exception) -> SendFailed:
    """Sort a Web API failure into 'try again later' and 'give up, and say why'."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = str(response.get("error") or f"http_{response.status_code}")
        if response.status_code == 429 or code == "ratelimited":
            retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
            wait = float(retry_after[0] if isinstance(retry_after, list) else retry_after or 30)
            return SendFailed(f"rate limited by Slack ({code})", retry_after=max(wait, 1), free=True)
        if response.status_code >= 500:
            return SendFailed(f"Slack answered {response.status_code}")
        if code in TOKEN:
            needed = response.get("needed")
            return SendFailed(f"{WAITING}: {code}" + (f" (needs the {needed} scope)" if needed else ""),
                              retry_after=TOKEN_WAIT, free=True)
        return SendFailed(code, permanent=code in PERMANENT, unreachable=code in UNREACHABLE | CLOSED_CHANNEL)
    if isinstance(error, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return SendFailed(f"could not reach Slack: {type(error).__name__}")
    return SendFailed(f"{type(error).__name__}: {error}")


class SlackSender:
    prefixes = ("slack:", "slack-channel:", "email:")
    waiting = WAITING

    def __init__(self, app: App, client: AsyncWebClient, renderer: SlackRenderer) -> None:
        self.app, self.client, self.renderer = app, client, renderer
        self.problem: str | None = None  # what keeps every message from Slack now (the token), for /healthz

    async def channel_for(self, recipient: str, zone: str | None) -> tuple[str, str | None]:
        """The Slack channel (or user id, for a DM) and the reader's time zone (`zone`: the one kept for them)."""
        kind, _, ident = recipient.partition(":")
        if kind == "slack-channel":
            return ident, self.app.org.timezone
        if kind == "email":
            user = await self.lookup(ident)
            return user["id"], user.get("tz")
        return ident, reader_zone(self.app.org, zone)

    async def lookup(self, email: str) -> dict[str, Any]:
        """users.lookupByEmail once; the answer is remembered as that person's identity."""
        response = await self.client.users_lookupByEmail(email=email)
        user = response["user"]
        profile = user.get("profile", {})
        await self.app.run(Command(actor=Actor(
            identity=f"slack:{user['id']}", email=email, timezone=user.get("tz"), workspace=user.get("team_id"),
            display_name=profile.get("display_name") or user.get("real_name") or user.get("name")),
            action="profile"))
        return dict(user)

    async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
        try:
            channel, tz = await self.channel_for(message.recipient, zone)
            body = self.renderer.message(message.template, message.payload, tz=tz)
            await self.client.chat_postMessage(channel=channel, text=body["text"], blocks=body["blocks"],
                                               unfurl_links=False, unfurl_media=False)
        except SendFailed:
            raise
        except Exception as error:  # sorted into "retry later" and "give up, and say why"
            failed = failure(error)
            if failed.reason.startswith(WAITING) and failed.reason != self.problem:
                log.error("Slack refuses the bot's token, so messages to Slack wait: %s. Put a working "
                          "SLACK_BOT_TOKEN (with the manifest's scopes) in place and restart.", failed.reason)
                self.problem = failed.reason  # said once, not once per message
            raise failed from error
        if self.problem is not None:
            log.warning("Slack accepts the bot's token again: messages are delivered")
            self.problem = None
