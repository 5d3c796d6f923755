"""Before Bolt reads a Slack request: its size is bounded, and its signature is checked on the raw bytes, so an
anonymous body is never parsed (a 1 MB form of 150,000 fields cost Bolt's parser long enough to push signed
requests past Slack's 3 s) and never logged."""
from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.bodies import bounded, too_large

log = logging.getLogger(__name__)
BODY_LIMIT = 512 * 1024  # Slack's payloads are a few kB; a modal's submitted state stays far below this


async def refused(request: web.Request, verifier: SignatureVerifier | None) -> web.Response | None:
    """An answer for a request that is too large or not signed by Slack (None: let Bolt have it)."""
    raw = await bounded(request, BODY_LIMIT)  # kept by aiohttp for Bolt's adapter
    if raw is None:
        return too_large()
    if verifier is None:
        return None
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isdigit() and signature and verifier.is_valid(body=raw, timestamp=timestamp,
                                                                      signature=signature)):
        log.info("Refused a Slack request: invalid or stale signature (%d bytes, not logged)", len(raw))
        return web.json_response({"error": "invalid request"}, status=401)
    return None


SORRY = ("Something went wrong on my side while answering that. Check /cx mine before trying again; "
         "the CX admins can find the details in the bot's log.")


def guarded(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """An error we cause is logged with its context and never reaches Slack as a 500 or a traceback."""

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception:  # logged here, answered politely below
            body = kwargs.get("body") or {}
            log.exception("Slack %s listener %s failed", body.get("type") or "command", listener.__name__)
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                await ack(text=SORRY) if body.get("type") in (None, "block_actions") else await ack()

    return run
