"""The inbox: requests written down before they are answered, worked on after the answers owed.

A door accepts a request (one INSERT, batched with whatever arrives together: a group commit), answers the
platform at once, and queues the request for this process's workers. A 200 therefore means the request is
kept: if this process dies before finishing it, another one takes it over once its lease runs out
(`recover`, run by the scheduler). Each kind of request ("slack_command", ...) has its worker, registered by
the door that writes it down; the worker marks the request done in the same transaction as its change.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.answers import Answers
from bot.batcher import Batcher
from handlers.clock import Clock
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)
Worker = Callable[[int, dict[str, Any]], Awaitable[None]]  # (request id, its payload)
Apology = Callable[[dict[str, Any], str], Awaitable[None]]  # tell the sender their request was given up on
TRIES = 3  # takings by recovery before a request is given up on (a poison request ends)
KEEP = timedelta(days=2)  # how long a finished request's key is kept (platforms redeliver within minutes)
PRUNE_EVERY = timedelta(hours=1)


class Inbox:
    def __init__(self, db: Database, clock: Clock, answers: Answers, *, lease: timedelta, workers: int = 2) -> None:
        self.db, self.clock, self.answers, self.lease, self.workers = db, clock, answers, lease, workers
        self.intake: Batcher[tuple[str, dict[str, Any]], int | None] = Batcher(self._write)
        self.kinds: dict[str, Worker] = {}
        self.apologies: dict[str, Apology] = {}
        # accepted requests waiting for a worker: (when queued, request id, payload)
        self.queue: asyncio.Queue[tuple[float, int, dict[str, Any]]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.held: set[int] = set()  # the ids of the requests in that queue or being worked on
        self.pruned: datetime | None = None  # when finished requests were last pruned

    def register(self, kind: str, worker: Worker, apology: Apology | None = None) -> None:
        """The door that writes down requests of this kind says how they are worked on, and how their sender
        hears that one could not be done."""
        self.kinds[kind] = worker
        if apology is not None:
            self.apologies[kind] = apology

    async def accept(self, key: str, payload: dict[str, Any]) -> int | None:
        """Write a request down before answering it; None when this delivery was accepted before.
        `payload["kind"]` names its worker."""
        return await self.intake.accept((key, payload))

    async def _write(self, requests: list[tuple[str, dict[str, Any]]]) -> list[int | None]:
        async with self.db.transaction(urgent=True) as session:
            return await inbox.accept_many(session=session, requests=requests, at=self.clock.now(),
                                           lease=self.lease)

    def later(self, request_id: int, payload: dict[str, Any]) -> None:
        """Queue a written-down request for the workers: they take it after the answers still owed (at most
        the patience of `Answers` later). Only its id and payload wait, not the platform's request."""
        self.held.add(request_id)
        self.queue.put_nowait((asyncio.get_running_loop().time(), request_id, payload))
        if not self.tasks:
            self.tasks = [asyncio.ensure_future(self._work()) for _ in range(self.workers)]

    async def _work(self) -> None:
        while True:
            queued, request_id, payload = await self.queue.get()
            try:
                await self.answers.after(queued)
                await self.kinds[payload["kind"]](request_id, payload)
            except Exception:  # the request stays written down; recovery tries it again after its lease
                log.exception("working on accepted request %s (%s) failed", request_id, payload.get("kind"))
            finally:
                self.held.discard(request_id)
                self.queue.task_done()

    async def drained(self) -> None:
        """Wait until every queued request has been worked on (tests and shutdown)."""
        await self.queue.join()

    async def finished(self, request_id: int) -> None:
        """Mark a request done without a change (refused, or answered another way)."""
        async with self.db.transaction() as session:
            await inbox.done(session=session, request_id=request_id, at=self.clock.now())

    async def recover(self) -> int:
        """Finish the requests a dead process accepted but did not finish; returns how many were tried.

        Each request on its own: one that fails is logged and left for its next lease, and the rest go on.
        """
        now = self.clock.now()
        async with self.db.transaction() as session:
            if self.pruned is None or now - self.pruned >= PRUNE_EVERY:  # finished requests are kept a few days
                await inbox.prune(session=session, before=now - KEEP)
                self.pruned = now
            requests = await inbox.unfinished(session=session, now=now, lease=self.lease)
        tried = 0
        for request in requests:
            kind = str(request.payload.get("kind"))
            worker = self.kinds.get(kind)
            if request.id in self.held or worker is None:  # ours and queued, or a kind this process lacks
                continue
            if request.tries > TRIES:
                await self.give_up(request.id, dict(request.payload), request.last_error or "it kept failing")
                continue
            try:
                await worker(request.id, dict(request.payload))
            except Exception as error:
                log.exception("recovering request %s (%s) failed", request.id, kind)
                async with self.db.transaction() as session:
                    await inbox.note_error(session=session, request_id=request.id,
                                           error=f"{type(error).__name__}: {error}")
            tried += 1
        return tried

    async def give_up(self, request_id: int, payload: dict[str, Any], why: str) -> None:
        """A request that failed every time it was tried: recorded as failed (`cxbot inbox`), its sender told
        once, never tried again."""
        log.error("gave up on request %s (%s) after %d tries: %s", request_id, payload.get("kind"), TRIES, why)
        async with self.db.transaction() as session:
            await inbox.gave_up(session=session, request_id=request_id, at=self.clock.now(), error=why)
        apology = self.apologies.get(str(payload.get("kind")))
        if apology is not None:
            try:
                await apology(payload, why)
            except Exception:  # recorded above; the person could not be told either
                log.warning("could not tell the sender of request %s", request_id, exc_info=True)

    async def close(self) -> None:
        """Stop the workers (what they had not finished stays written down for the next process)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
