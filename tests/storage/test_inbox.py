"""The inbox writes requests down in batches: each delivery once, whichever way it arrives."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.app import App
from bot.batcher import Batcher
from storage import inbox
from storage.models import InboxRequest


async def rows(app: App) -> list[tuple[str, dict[str, object]]]:
    async with app.db.transaction() as session:
        return [(r.key, r.payload) for r in await session.scalars(select(InboxRequest).order_by(InboxRequest.id))]


async def test_a_batch_gives_each_new_request_its_row_and_each_repeat_none(app: App) -> None:
    assert await app.inbox.accept("slack:command:old", {"n": 0}) is not None
    async with app.db.transaction() as session:
        ids = await inbox.accept_many(session=session, at=app.clock.now(), lease=timedelta(seconds=30), requests=[
            ("slack:command:a", {"n": 1}), ("slack:command:old", {"n": 2}), ("slack:command:b", {"n": 3}),
            ("slack:command:a", {"n": 4})])
    assert ids[0] is not None and ids[2] is not None and ids[0] != ids[2]
    assert ids[1] is None and ids[3] is None  # written down before; repeated within the batch
    assert await rows(app) == [("slack:command:old", {"n": 0}), ("slack:command:a", {"n": 1}),
                               ("slack:command:b", {"n": 3})]  # the first payload of each key is kept


async def test_without_insert_returning_the_batch_answers_the_same(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite older than 3.35 has no RETURNING: the ids come from a select inside the same write lock."""
    if app.db.engine.dialect.name != "sqlite":
        pytest.skip("a fallback for SQLite; PostgreSQL always has RETURNING")
    monkeypatch.setattr(app.db.engine.dialect, "insert_executemany_returning", False)
    assert await app.inbox.accept("slack:command:old", {"n": 0}) is not None
    async with app.db.transaction() as session:
        ids = await inbox.accept_many(session=session, at=app.clock.now(), lease=timedelta(seconds=30), requests=[
            ("slack:command:a", {"n": 1}), ("slack:command:old", {"n": 2}), ("slack:command:a", {"n": 3})])
        expected = await session.scalar(select(InboxRequest.id).where(InboxRequest.key == "slack:command:a"))
    assert ids == [expected, None, None]


async def test_concurrent_accepts_share_transactions_and_each_delivery_counts_once(app: App) -> None:
    batches: list[int] = []
    write = app.inbox.intake.write

    async def counting(items: list[tuple[str, dict[str, object]]]) -> list[int | None]:
        batches.append(len(items))
        return await write(items)

    app.inbox.intake.write = counting
    keys = [f"slack:command:t{n % 40}" for n in range(60)]  # 20 of them are redeliveries
    ids = await asyncio.gather(*(app.inbox.accept(key, {"key": key}) for key in keys))
    assert sum(1 for i in ids if i is not None) == 40
    assert len({i for i in ids if i is not None}) == 40
    assert sum(batches) == 60 and len(batches) < 60  # callers that arrived together were written together
    async with app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(InboxRequest)) == 40


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_goes_on() -> None:
    calls: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        calls.append(items)
        if 0 in items:
            raise ConnectionError("database away")
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(write)
    first = await asyncio.gather(batcher.accept(0), batcher.accept(1), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in first)
    assert await asyncio.gather(batcher.accept(2), batcher.accept(3)) == [20, 30]
    assert calls == [[0, 1], [2, 3]]


async def test_a_caller_that_gives_up_does_not_stop_its_batch() -> None:
    release = asyncio.Event()
    written: list[int] = []

    async def write(items: list[int]) -> list[int]:
        await release.wait()
        written.extend(items)
        return items

    batcher: Batcher[int, int] = Batcher(write)
    impatient = asyncio.ensure_future(batcher.accept(1))
    patient = asyncio.ensure_future(batcher.accept(2))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == 2
    assert written == [1, 2]
    assert impatient.cancelled()


async def test_a_read_only_transaction_reads_beside_a_writer(app: App) -> None:
    """SQLite has one writer: a read (a reader's time zone, a conversation reference) must not queue behind it."""
    async with app.db.transaction() as writer:
        await writer.execute(text("UPDATE people SET timezone = timezone"))  # holds the write turn and lock
        async with asyncio.timeout(5):
            async with app.db.transaction(read_only=True) as reader:
                assert (await reader.execute(text("SELECT count(*) FROM people"))).scalar() is not None
