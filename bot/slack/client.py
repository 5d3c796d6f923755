"""The one way the bot makes a Slack Web API client: SLACK_API_URL honoured, 429s retried."""
from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

SLACK_API = "https://slack.com/api/"


def web_client(settings: Settings) -> AsyncWebClient:
    base = settings.slack_api_url or SLACK_API
    if not base.endswith("/"):
        base += "/"  # slack_sdk joins method names with urljoin
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=base, timeout=10, retry_handlers=[
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=1),
    ])
