"""The bot's own Slack credentials at work: the one way it makes a Web API client (SLACK_API_URL honoured,
dropped connections retried), and the authorization every request runs with.

A rate limit (429) is not slept off inside the client: a sleeping call would hold everything queued behind it
(one rate-limited person's DM would delay everyone's). The caller sees it at once; the outbox sends that
message after its Retry-After, and the rest go on. The timeout is long: a post that Slack is slow to
confirm but does deliver must not look failed, or it would be sent again (Slack posts have no idempotency key).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

SLACK_API = "https://slack.com/api/"
TIMEOUT = 60  # seconds: well past Slack's slow answers (12 s seen), so a slow success is not a failure


class Kept:
    """One aiohttp session, made on first use in the running event loop (a new loop gets its own) and kept: its
    connections are reused. slack_sdk's clients open a session of their own for every call they are given none for:
    a new connection (and TLS handshake) to Slack per DM, and a burst of DMs churned the server's memory."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self.session is None or self.session.closed or self.loop is not loop:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self.loop = loop
        return self.session

    async def close(self) -> None:
        if self.session is not None and not self.session.closed and self.loop is asyncio.get_running_loop():
            await self.session.close()


class KeptAlive(AsyncWebClient):
    """A Web API client whose calls share one kept session (`Kept`)."""

    kept: Kept | None = None

    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> dict[str, Any]:
        if self.kept is None:
            self.kept = Kept(self.timeout)
        self.session = self.kept.get()
        return await super()._request(http_verb=http_verb, api_url=api_url, req_args=req_args)

    async def close(self) -> None:
        if self.kept is not None:
            await self.kept.close()


def web_client(settings: Settings) -> KeptAlive:
    base = settings.slack_api_url or SLACK_API
    if not base.endswith("/"):
        base += "/"  # slack_sdk joins method names with urljoin
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return KeptAlive(token=token, base_url=base, timeout=TIMEOUT,
                     retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2)])


def authorize_with(client: AsyncWebClient) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Every request runs with the bot's own token. Bolt would otherwise ask auth.test first, and while Slack
    answers that with a 500 or 429 (a restart during a Slack hiccup) it tells the person their installation
    is gone and drops their command. (Bolt passes arguments by name: a plain function, not a method.)"""

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=client.token)

    return authorize


class SameToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when it is given the client (or the authorize
    function) that carries that very token, and warns at every start that the token "will be unused" or "will
    be ignored": noise, dropped here."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and "env variable) will be ignored" not in message


class BoundedRefusal(logging.Filter):
    """Bolt logs a refused request's whole raw body at INFO ("Invalid request signature detected (... body:
    ...)"): anyone could fill the disk with 1 MB bodies, or forge log lines with a newline. One bounded line
    instead, with nothing of what was sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request signature detected"):
            record.msg, record.args = "Refused a Slack request: invalid or stale signature (%d bytes, not logged)", (
                len(message),)
        return True


for name in ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification"):  # Bolt logs under either
    logging.getLogger(name).addFilter(BoundedRefusal())
