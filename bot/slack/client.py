"""The one way the bot makes a Slack Web API client: SLACK_API_URL honoured, dropped connections retried.

A rate limit (429) is not slept off inside the client: a sleeping call would hold everything queued behind it
(one rate-limited person's DM would delay everyone's). The caller sees it at once; the outbox sends that
message after its Retry-After, and the rest go on. The timeout is long: a post that Slack is slow to
confirm but does deliver must not look failed, or it would be sent again (Slack posts have no idempotency key).
"""
from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

SLACK_API = "https://slack.com/api/"
TIMEOUT = 60  # seconds: well past Slack's slow answers (12 s seen), so a slow success is not a failure


def web_client(settings: Settings) -> AsyncWebClient:
    base = settings.slack_api_url or SLACK_API
    if not base.endswith("/"):
        base += "/"  # slack_sdk joins method names with urljoin
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=base, timeout=TIMEOUT,
                          retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2)])
