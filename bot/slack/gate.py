"""Before Bolt reads a Slack request: its size is bounded, and its signature is checked on the raw bytes, so an
anonymous body is never parsed (a 1 MB form of 150,000 fields cost Bolt's parser long enough to push signed
requests past Slack's 3 s) and never logged."""
from __future__ import annotations

import logging

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)
BODY_LIMIT = 512 * 1024  # Slack's payloads are a few kB; a modal's submitted state stays far below this


async def refused(request: web.Request, verifier: SignatureVerifier | None) -> web.Response | None:
    """An answer for a request that is too large or not signed by Slack (None: let Bolt have it)."""
    if (request.content_length or 0) > BODY_LIMIT:
        return web.json_response({"error": "too large"}, status=413)
    raw = await request.read()  # kept by aiohttp for Bolt's adapter; at most the server's client_max_size
    if len(raw) > BODY_LIMIT:
        return web.json_response({"error": "too large"}, status=413)
    if verifier is None:
        return None
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isdigit() and signature and verifier.is_valid(body=raw, timestamp=timestamp,
                                                                      signature=signature)):
        log.info("Refused a Slack request: invalid or stale signature (%d bytes, not logged)", len(raw))
        return web.json_response({"error": "invalid request"}, status=401)
    return None
