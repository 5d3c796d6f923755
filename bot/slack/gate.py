"""Before Bolt reads a Slack request: its size is bounded, and its signature is checked on the raw bytes, so an
anonymous body is never parsed (a 1 MB form of 150,000 fields cost Bolt's parser long enough to push signed
requests past Slack's 3 s) and never logged."""
from __future__ import annotations

import logging

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
