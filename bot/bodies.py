"""Request bodies read with a bound, the same way by every door: what is too large is refused before it is read
(by its Content-Length) or as soon as it is (a chunked body), and never parsed."""
from __future__ import annotations

from aiohttp import web


async def bounded(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes. aiohttp keeps what it read, so a framework reading the
    request after this (Bolt's adapter) gets the same bytes; the server's client_max_size stops the rest."""
    if (request.content_length or 0) > limit:
        return None
    raw = await request.read()
    return None if len(raw) > limit else raw


def too_large() -> web.Response:
    return web.json_response({"error": "too large"}, status=413)
