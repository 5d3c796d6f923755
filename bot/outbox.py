"""Sending the outbox: claim due notifications, hand each to the sender of the platform that reaches its
recipient, record what happened (sent, retry later, failed for good)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.batcher import Batcher
from handlers.clock import Clock
from storage import outbox, people
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
EMAIL = "email:"
NO_LOOKUP = ("known only by their email, and no platform here finds people by email: they are reached once they "
             "write to the bot or the bot sees them in a team")


class SendFailed(Exception):
    """A send that did not happen; `permanent` ones are recorded and never retried."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None,
                 unreachable: bool = False, free: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.retry_after = reason, permanent or unreachable, retry_after
        self.free = free  # not the message's fault (the platform's token): not counted as an attempt
        self.unreachable = unreachable  # the person cannot be reached on that platform: the admins must hear


class Hold:
    """A run's claim on its batch: renewed before the lease runs out (once for all that is left), and what
    another process took over meanwhile is left to it."""

    def __init__(self, outbox_: Outbox, claimed: list[OutboxMessage], taken_at: datetime) -> None:
        self.outbox, self.taken_at = outbox_, taken_at  # the lease runs to taken_at + lease
        self.left = {m.id for m in claimed}
        self.gone: set[int] = set()
        self.lock = asyncio.Lock()

    def finished(self, message: OutboxMessage) -> None:
        self.left.discard(message.id)

    def lost(self, message: OutboxMessage) -> bool:
        return message.id in self.gone

    async def still_ours(self, message: OutboxMessage) -> bool:
        box = self.outbox
        async with self.lock:
            if box.clock.now() >= self.taken_at + box.lease / 2:  # a slow batch: hold what is left longer
                held, self.taken_at = self.taken_at + box.lease, box.clock.now()
                rest = sorted(self.left - self.gone)
                async with box.db.transaction() as session:
                    ours = await outbox.renew(session=session, ids=rest, held=held, until=self.taken_at + box.lease)
                if lost := set(rest) - ours:
                    log.warning("outbox: %d claimed messages outlived their lease; the process that took them "
                                "over sends them", len(lost))
                    self.gone |= lost
        return message.id not in self.gone


class Sender(Protocol):
    @property
    def prefixes(self) -> tuple[str, ...]:
        """The recipient prefixes this door can reach, e.g. ("local:",)."""


    async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
        """Deliver one message; `zone` is the time zone kept for its recipient when the batch was claimed
        (None: none known, or the recipient is not a person)."""


def backoff(attempts: int) -> timedelta:
    """30s, 1m, 2m, 4m ... capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class Outbox:
    db: Database
    clock: Clock
    # told when a recipient cannot be reached at all, so that someone can act (the admins, by default)
    report_unreachable: Callable[[OutboxMessage], Awaitable[None]]
    # awaited before each send with the time the run started (event-loop time): lets requests be
    # answered first
    yield_to: Callable[[float], Awaitable[None]] | None = None
    lease: timedelta = timedelta(minutes=2)
    senders: list[Sender] = field(default_factory=list)
    max_attempts: int = 8
    batch: int = 50
    concurrency: int = 8  # recipients served at once per platform (each one's messages in order)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # deliveries that finish while one is being recorded are recorded together, in the next transaction
    marks: Batcher[int, None] = field(init=False)

    def __post_init__(self) -> None:
        self.marks = Batcher(self._mark_delivered)

    def add(self, sender: Sender) -> None:
        self.senders.append(sender)

    def soon(self) -> None:
        """Run now, in the background, instead of waiting for the next tick.

        Requests arriving together share one run (one queued behind the running one), not one run each.
        """
        if len(self.background) >= 2:
            return
        task = asyncio.ensure_future(self._run_after(list(self.background)))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _run_after(self, running: list[asyncio.Task[Any]]) -> None:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        try:
            await self.run_once()
        except Exception:  # the scheduler's next tick retries; never crash a request over it
            log.exception("sending the outbox promptly failed")

    async def close(self) -> None:
        """Let background runs finish (a few seconds at most); what they had not sent stays in the outbox."""
        if self.background:
            _, pending = await asyncio.wait(set(self.background), timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def route(self, recipient: str) -> Sender | None:
        return next((d for d in self.senders if recipient.startswith(d.prefixes)), None)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """What this process claims: what its senders reach, and people known only by email when some platform
        is on (a platform that cannot look them up leaves them waiting for the person, and the admins hear)."""
        reached = tuple(dict.fromkeys(p for d in self.senders for p in d.prefixes))
        return reached + (EMAIL,) if reached and EMAIL not in reached else reached

    async def run_once(self) -> int:
        """Deliver what is due now, a batch at a time until none is left; returns how many were delivered.

        Several recipients are served at once (`concurrency` per platform, so one slow or rate-limited platform
        does not hold the others), each one's messages in order: when one of them must be tried again later,
        the ones behind it wait with it. The recipients' time zones are read with the claim, once per batch."""
        prefixes = self.prefixes
        sent = 0
        started = asyncio.get_running_loop().time()
        while True:
            taken_at = self.clock.now()
            async with self.db.transaction() as session:
                claimed = await outbox.claim(session=session, now=taken_at, prefixes=prefixes,
                                             lease=self.lease, limit=self.batch)
                zones = await people.zones(session=session, whos=(m.recipient for m in claimed))
            hold = Hold(self, claimed, taken_at)
            queues: dict[str, list[OutboxMessage]] = {}
            for message in claimed:
                queues.setdefault(message.recipient, []).append(message)
            turns: dict[int, asyncio.Semaphore] = {}  # by platform (the sender's id)
            sent += sum(await asyncio.gather(*(
                self._serve(queue, zones.get(who), hold,
                            turns.setdefault(id(self.route(who)), asyncio.Semaphore(self.concurrency)), started)
                for who, queue in queues.items())))
            if len(claimed) < self.batch:
                return sent

    async def _serve(self, queue: list[OutboxMessage], zone: str | None, hold: Hold, turns: asyncio.Semaphore,
                     started: float) -> int:
        """One recipient's messages of the batch, in order; returns how many were delivered."""
        done = 0
        for n, message in enumerate(queue):
            async with turns:
                if self.yield_to is not None:
                    await self.yield_to(started)
                if not await hold.still_ours(message):
                    continue
                delivered, later = await self._deliver(message, zone)
                hold.finished(message)
            done += delivered
            if later is not None:  # this person's next messages wait behind this one
                await self._behind(queue[n + 1:], later, message.last_error or "", hold)
                break
        return done

    async def _behind(self, waiting: list[OutboxMessage], at: datetime, why: str, hold: Hold) -> None:
        """Messages that wait behind one to the same recipient that will be tried again `at`, for the same
        reason (a restart with a working token wakes them all): not tried now, so no attempt is counted, and
        never sent before it."""
        ids = [m.id for m in waiting if not hold.lost(m)]
        if ids:
            async with self.db.transaction() as session:
                await outbox.put_back(session=session, ids=ids, at=at, why=why)
        for message in waiting:
            hold.finished(message)

    async def _deliver(self, message: OutboxMessage, zone: str | None) -> tuple[int, datetime | None]:
        """(1 if delivered, when it is tried again if it will be)."""
        sender = self.route(message.recipient)
        try:
            if sender is None:  # claim() takes only what a sender reaches, and emails
                raise SendFailed(NO_LOOKUP, unreachable=True)
            await sender.send(message, zone)
        except SendFailed as failure:
            return 0, await self._failed(message, failure)
        except Exception as error:  # any unexpected failure is retried, and logged with context
            log.exception("delivering outbox message %s to %s failed", message.id, message.recipient)
            return 0, await self._failed(message, SendFailed(f"{type(error).__name__}: {error}"))
        await self.marks.accept(message.id)
        return 1, None

    async def _mark_delivered(self, ids: list[int]) -> list[None]:
        async with self.db.transaction() as session:
            await outbox.delivered(session=session, ids=ids, at=self.clock.now())
        return [None] * len(ids)

    async def _failed(self, message: OutboxMessage, failure: SendFailed) -> datetime | None:
        """Record a failed send; returns when it is tried again (None: it is not: failed, or waiting)."""
        if failure.unreachable:  # the handler decides: the message waits for the person, and who hears of it
            message.last_error = failure.reason
            log.info("outbox message %s to %s waits for a way to reach them: %s", message.id, message.recipient,
                     failure.reason)
            await self.report_unreachable(message)
            return None
        now = self.clock.now()
        async with self.db.transaction() as session:
            if failure.permanent or message.attempts >= self.max_attempts:
                log.warning("outbox message %s to %s failed for good: %s", message.id, message.recipient,
                            failure.reason)
                await outbox.failed(session=session, message_id=message.id, error=failure.reason)
                return None
            wait = timedelta(seconds=failure.retry_after) if failure.retry_after else backoff(message.attempts)
            await outbox.retry_later(session=session, message_id=message.id, at=now + wait,
                                     error=failure.reason, refund=failure.free)
        message.last_error = failure.reason
        return now + wait

    async def wake(self, prefixes: tuple[str, ...], waiting: str) -> int:
        """At start: messages that waited for the platform (`waiting` begins their last error) are due now."""
        async with self.db.transaction() as session:
            return await outbox.wake(session=session, prefixes=prefixes, waiting=waiting, at=self.clock.now())
