"""The outbox delivers each notification once, retries transient failures with backoff, gives up on permanent ones."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import event

from bot.app import App
from bot.outbox import Outbox, SendFailed
from handlers.clock import FixedClock
from storage import outbox, people
from storage.models import OutboxMessage
from tests.ledger import Recorder, outbox_for, say


async def test_delivers_once(app: App) -> None:
    door = Recorder()
    app.outbox.add(door)
    await say(app, "local:sam", "log Invoice is late")
    assert await app.outbox.run_once() == 1
    assert await app.outbox.run_once() == 0
    assert door.sent == [(1, "local:dana")]
    [row] = await outbox_for(app, "local:dana")
    assert (row.status, row.attempts) == ("delivered", 1)


async def test_transient_failures_back_off_then_deliver(app: App, clock: FixedClock) -> None:
    door = Recorder(failures=[SendFailed("timeout"), SendFailed("rate limited", retry_after=90)])
    app.outbox.add(door)
    await say(app, "local:sam", "log Invoice is late")
    assert await app.outbox.run_once() == 0
    clock.advance(timedelta(seconds=29))
    assert await app.outbox.run_once() == 0  # backing off for 30 s
    clock.advance(timedelta(seconds=1))
    assert await app.outbox.run_once() == 0  # second failure asks for 90 s
    [row] = await outbox_for(app, "local:dana")
    assert (row.status, row.last_error, row.attempts) == ("pending", "rate limited", 2)
    clock.advance(timedelta(seconds=90))
    assert await app.outbox.run_once() == 1
    assert door.sent == [(1, "local:dana")]


async def test_permanent_failure_is_recorded_and_not_retried(app: App, clock: FixedClock) -> None:
    door = Recorder(failures=[SendFailed("user_not_found", permanent=True)])
    app.outbox.add(door)
    await say(app, "local:sam", "log Invoice is late")
    await app.outbox.run_once()
    clock.advance(timedelta(days=1))
    assert await app.outbox.run_once() == 0
    async with app.db.transaction() as session:
        [stuck] = await outbox.listing(session=session, status="failed")
    assert (stuck.recipient, stuck.last_error) == ("local:dana", "user_not_found")
    assert door.sent == []


async def test_gives_up_after_max_attempts(app: App, clock: FixedClock) -> None:
    door = Recorder(failures=[SendFailed("500") for _ in range(3)])
    app.outbox.add(door)
    app.outbox.max_attempts = 3
    await say(app, "local:sam", "log Invoice is late")
    for _ in range(4):
        await app.outbox.run_once()
        clock.advance(timedelta(hours=1))
    [row] = await outbox_for(app, "local:dana")
    assert (row.status, row.attempts) == ("failed", 3)


async def test_messages_for_doors_that_are_off_wait(app: App) -> None:
    door = Recorder(prefixes=("slack:",))
    app.outbox.add(door)
    await say(app, "local:sam", "log Invoice is late anyway=yes")
    assert await app.outbox.run_once() == 0
    [row] = await outbox_for(app, "local:dana")
    assert (row.status, row.attempts) == ("pending", 0)


async def test_two_dispatchers_never_send_the_same_message(app: App) -> None:
    for n in range(30):
        await say(app, "local:sam", f"log Invoice number {n} is late anyway=yes")
    first, second = Recorder(), Recorder()
    one = Outbox(db=app.db, clock=app.clock, report_unreachable=app.outbox.report_unreachable,
                     senders=[first], batch=7)
    two = Outbox(db=app.db, clock=app.clock, report_unreachable=app.outbox.report_unreachable,
                     senders=[second], batch=7)
    for _ in range(6):
        await asyncio.gather(one.run_once(), two.run_once())
    sent = first.sent + second.sent
    assert len(sent) == 30
    assert len(set(sent)) == 30


async def test_claimed_message_is_retried_after_its_lease_when_a_sender_dies(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice is late anyway=yes")
    async with app.db.transaction() as session:  # a process claims it, then dies
        claimed = await outbox.claim(session=session, now=clock.now(), prefixes=("local:",),
                                     lease=timedelta(minutes=2))
    assert len(claimed) == 1
    door = Recorder()
    app.outbox.add(door)
    assert await app.outbox.run_once() == 0  # still leased to the dead process
    clock.advance(timedelta(minutes=2))
    assert await app.outbox.run_once() == 1
    assert door.sent == [(1, "local:dana")]


def slow(clock: FixedClock, seconds: int, meanwhile: Outbox, after: int) -> Recorder:
    """A sender whose every send takes `seconds`; after its `after`-th send, another process runs."""

    class Slow(Recorder):
        async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
            await super().send(message)
            clock.advance(timedelta(seconds=seconds))
            if len(self.sent) == after:
                await meanwhile.run_once()

    return Slow()


async def race(app: App, clock: FixedClock, *, seconds: int, after: int) -> tuple[Recorder, Recorder]:
    """Six messages; one process sends them slowly while another runs after its `after`-th send."""
    for n in range(6):
        await say(app, "local:sam", f"log Invoice number {n} is late anyway=yes")
    second = Recorder()
    two = Outbox(db=app.db, clock=app.clock, report_unreachable=app.outbox.report_unreachable, senders=[second])
    first = slow(clock, seconds, two, after=after)
    one = Outbox(db=app.db, clock=app.clock, report_unreachable=app.outbox.report_unreachable, senders=[first])
    await one.run_once()
    return first, second


async def test_a_slow_batch_keeps_its_lease_and_is_not_sent_twice(app: App, clock: FixedClock) -> None:
    """A slow platform (or a rate-limited backlog) makes one run's batch outlast its 120 s lease: it holds on to
    what it has not sent yet, so another process does not send it too (main: 5-6 of 60 DMs went out twice)."""
    first, second = await race(app, clock, seconds=50, after=3)
    assert len(first.sent) == 6 and second.sent == []


async def test_what_another_process_took_over_is_left_to_it(app: App, clock: FixedClock) -> None:
    """One send outlasts the whole lease: the other process takes over the batch, and this one sends none of the
    rest (the one in flight may go twice: at least once)."""
    first, second = await race(app, clock, seconds=130, after=1)
    assert len(first.sent) == 1 and len(second.sent) == 6


async def queue_for(app: App, people: list[str], each: int) -> None:
    async with app.db.transaction() as session:
        await outbox.enqueue_many(session=session, at=app.clock.now(), messages=[
            {"recipient": who, "template": "problem", "payload": {"message": f"{who} #{n}"}}
            for n in range(each) for who in people])


async def test_recipients_are_served_at_once_each_in_order(app: App, clock: FixedClock) -> None:
    """One message at a time capped delivery at 7-20 DMs a second with real Slack latency: several recipients
    are served at once now, each one's messages in the order they were written."""
    await queue_for(app, ["local:a", "local:b", "local:c", "local:d"], 3)
    flight = {"now": 0, "most": 0}

    class Slow(Recorder):
        async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])
            for _ in range(3):
                await asyncio.sleep(0)  # the platform answers while others are under way
            flight["now"] -= 1
            await super().send(message)

    door = Slow()
    app.outbox.add(door)
    app.outbox.concurrency = 3
    assert await app.outbox.run_once() == 12
    assert 1 < flight["most"] <= 3  # main: one at a time
    for who in ("local:a", "local:b", "local:c", "local:d"):
        ids = [i for i, r in door.sent if r == who]
        assert ids == sorted(ids) and len(ids) == 3


async def test_a_message_that_must_wait_holds_the_ones_behind_it(app: App, clock: FixedClock) -> None:
    await queue_for(app, ["local:a", "local:b"], 3)
    door = Recorder(failures=[SendFailed("busy", retry_after=60)])  # the first send: a's first message
    app.outbox.add(door)
    app.outbox.concurrency = 1  # so that the failure lands on a's first message
    assert await app.outbox.run_once() == 3  # b's three; a's first waits 60 s and a's others wait behind it
    rows = {r.id: r for r in await outbox_for(app, "local:a")}
    first, *behind = sorted(rows)
    assert all(rows[i].status == "pending" and rows[i].attempts == 0 for i in behind)  # never tried
    assert {rows[i].next_attempt_at for i in behind} == {rows[first].next_attempt_at}
    clock.advance(timedelta(seconds=60))
    assert await app.outbox.run_once() == 3
    assert [i for i, r in door.sent if r == "local:a"] == sorted(rows)  # in order


async def test_a_batch_is_recorded_in_few_transactions_and_zones_are_read_once(app: App) -> None:
    """Each delivered message was marked in its own transaction, and each send opened one more only to read the
    recipient's time zone: deliveries that finish together are recorded together now, and the zones come with
    the claim, in one statement."""
    who = [f"local:p{n}" for n in range(12)]
    async with app.db.transaction() as session:
        for n, identity in enumerate(who):
            await people.ensure(session=session, identity=identity, timezone="Asia/Tokyo" if n % 2 else None)
    await queue_for(app, who, 1)
    zones: dict[str, str | None] = {}

    class Zoned(Recorder):
        async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
            zones[message.recipient] = zone
            await super().send(message)

    app.outbox.add(Zoned())
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await app.outbox.run_once() == 12
    finally:
        event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
    assert zones == {identity: "Asia/Tokyo" if n % 2 else None for n, identity in enumerate(who)}
    marks = [s for s in sent if s.startswith("UPDATE outbox") and "delivered_at" in s]
    assert 1 <= len(marks) <= 3  # main: 12, one per message
    assert len([s for s in sent if "FROM people" in s]) == 1  # main: one per Slack or Teams message


async def test_each_platform_has_its_own_turns(app: App) -> None:
    """A slow platform does not hold the other: with one turn each, Teams' messages go out while a Slack send
    is still waiting for its answer (main: one pool of turns for both, so the Slack send held every turn)."""
    await queue_for(app, ["slack:U1", "teams:29:a", "teams:29:b"], 1)
    answered = asyncio.Event()

    class Stuck(Recorder):
        async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
            await answered.wait()  # Slack answers only once Teams has delivered both
            await super().send(message)

    class Quick(Recorder):
        async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
            await super().send(message)
            if len(self.sent) == 2:
                answered.set()

    slack, teams = Stuck(prefixes=("slack:",)), Quick(prefixes=("teams:",))
    app.outbox.add(slack)
    app.outbox.add(teams)
    app.outbox.concurrency = 1
    assert await asyncio.wait_for(app.outbox.run_once(), timeout=10) == 3
    assert [r for _, r in slack.sent] == ["slack:U1"] and len(teams.sent) == 2
