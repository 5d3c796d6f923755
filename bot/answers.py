"""Answers first: work that nobody is waiting on gives way to requests waiting for their HTTP answer.

Slack gives up on an answer after 3 s, while the confirmation of a command already answered, or a DM, can
come a moment later. So the doors hold `owed()` while a request waits for its answer, and background work
(answered commands, outbox sends) calls `after(since)` before it starts: it waits while answers are
owed, and for a short lull after the last one (requests come in waves, and the gap between two waves is no
time to start), but never more than `patience` seconds after it became due.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

PATIENCE = 2.0  # seconds that background work gives way at most
LULL = 0.05  # seconds without a request before background work starts


class Answers:
    def __init__(self, *, patience: float = PATIENCE, lull: float = LULL) -> None:
        self.patience, self.lull = patience, lull
        self.owing = 0  # requests to this process still waiting for their HTTP answer
        self.last_request = float("-inf")  # when the latest came in or was answered (event-loop time)
        self.quiet = asyncio.Event()  # set while no answer is owed
        self.quiet.set()
        self.giving_way = 0  # background work waiting here now

    @contextmanager
    def owed(self) -> Iterator[None]:
        """Held by a door while a request waits for its HTTP answer."""
        self.owing += 1
        self.last_request = asyncio.get_running_loop().time()
        self.quiet.clear()
        try:
            yield
        finally:
            self.owing -= 1
            self.last_request = asyncio.get_running_loop().time()
            if not self.owing:
                self.quiet.set()

    async def after(self, since: float) -> None:
        """Return once background work due since `since` (event-loop time) may go."""
        loop = asyncio.get_running_loop()
        deadline = since + self.patience
        self.giving_way += 1
        try:
            while loop.time() < deadline:
                lull = self.last_request + self.lull - loop.time()
                if not self.owing and lull <= 0:
                    return
                with suppress(TimeoutError):
                    if self.owing:
                        await asyncio.wait_for(self.quiet.wait(), deadline - loop.time())
                    else:
                        await asyncio.sleep(min(lull, deadline - loop.time()))
        finally:
            self.giving_way -= 1
