"""The bot's Slack Web API client at the HTTP level: its calls share one connection pool."""
from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.settings import Settings
from bot.slack.client import web_client


async def test_web_api_calls_reuse_one_connection() -> None:
    """Three DMs go over one kept-alive connection (main: slack_sdk opened a session, so a new connection and,
    against Slack, a new TLS handshake, for every call), and closing the client closes it."""
    peers: list[object] = []

    async def post_message(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"ok": True, "channel": "D1", "ts": "1.0"})

    api = web.Application()
    api.router.add_post("/api/chat.postMessage", post_message)
    async with TestServer(api) as fake:
        client = web_client(Settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=str(fake.make_url("/api/"))))
        for n in range(3):
            answer = await client.chat_postMessage(channel="U0SAM", text=f"hello {n}")
            assert answer["ok"]
        assert len(peers) == 3 and len(set(peers)) == 1, peers
        session = client.session
        await client.close()
        assert session is not None and session.closed
