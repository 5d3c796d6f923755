"""What the bot sends to Teams goes out on the event loop through kept-alive connections: botbuilder's connector
clients sent each request with `requests` in a worker thread, on a connection of its own."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.teams.connector import proxy_for
from tests.bot.teams.harness import Teams


class Counting(ThreadPoolExecutor):
    """The loop's default executor, counting what is handed to its threads."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.handed: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.handed.append(getattr(getattr(fn, "func", fn), "__qualname__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


async def test_replies_and_messages_share_one_kept_alive_connection(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    await teams.say("sam", "log Refund is late")
    assert await teams.app.outbox.run_once() == 2  # Dana hears of both, proactively
    kinds = [kind for kind, _, _ in teams.connector.calls if kind != "member"]
    assert kinds.count("reply") == 3 and kinds.count("send") == 2
    assert len(set(teams.connector.peers)) == 1, teams.connector.peers  # one connection, not one per message


async def test_sending_to_teams_never_waits_for_a_worker_thread(teams: Teams) -> None:
    executor = Counting()
    asyncio.get_running_loop().set_default_executor(executor)
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    assert await teams.app.outbox.run_once() == 1
    assert len(teams.connector.sent("reply")) == 2 and len(teams.connector.sent("send")) == 1
    assert executor.handed == [], executor.handed


def test_the_connector_is_reached_through_the_proxy_the_environment_names(monkeypatch: Any) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "smba.example.net")
    for name in ("https_proxy", "no_proxy", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://smba.trafficmanager.net/emea/v3/conversations") == "http://proxy.internal:3128"
    assert proxy_for("https://smba.example.net/v3/conversations") is None  # NO_PROXY
    assert proxy_for("http://127.0.0.1:3978/v3/conversations") is None  # no HTTP_PROXY named
