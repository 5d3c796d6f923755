"""Work nobody waits on (an answered command, a notification) gives way to requests waiting for answers."""
from __future__ import annotations

import asyncio

from bot.app import App
from tests.ledger import Recorder, say


async def spin(times: int = 20) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


def now() -> float:
    return asyncio.get_running_loop().time()


async def test_work_waits_while_an_answer_is_owed_and_goes_once_it_is_given(app: App) -> None:
    app.answers.lull, app.answers.patience = 0, 60  # no pause after the last request (tests do not sleep)
    with app.answers.owed():
        work = asyncio.ensure_future(app.answers.after(now()))
        await spin()
        assert not work.done()
        with app.answers.owed():  # a second request, answered first: one is still owed
            pass
        await spin()
        assert not work.done()
    await spin()
    assert work.done()


async def test_work_goes_at_its_deadline_even_while_answers_are_owed(app: App) -> None:
    with app.answers.owed():
        await asyncio.wait_for(app.answers.after(now() - app.answers.patience), 1)  # never blocks past the deadline


async def test_work_waits_for_a_lull_after_the_last_request(app: App) -> None:
    app.answers.lull = 3600  # the last request was a moment ago: the next wave may be on its way
    with app.answers.owed():
        pass
    app.answers.patience = 60
    work = asyncio.ensure_future(app.answers.after(now()))
    await spin()
    assert not work.done()
    app.answers.last_request -= 3600  # as if an hour had passed since
    work.cancel()
    await asyncio.wait_for(app.answers.after(now()), 1)


async def test_nothing_owed_nothing_waits(app: App) -> None:
    await asyncio.wait_for(app.answers.after(now()), 1)


async def test_notifications_wait_for_the_answers_owed(app: App) -> None:
    app.answers.lull = 0
    door = Recorder()
    app.outbox.add(door)
    await say(app, "local:sam", "log Invoice is late")
    with app.answers.owed():
        run = asyncio.ensure_future(app.outbox.run_once())
        await spin()
        assert door.sent == []
    assert await asyncio.wait_for(run, 5) == 1
    assert door.sent == [(1, "local:dana")]


async def test_the_dispatcher_delivers_batch_after_batch_until_none_is_due(app: App) -> None:
    door = Recorder()
    app.outbox.add(door)
    app.outbox.batch = 2
    for n in range(5):
        await say(app, "local:sam", f"log Invoice {n} is late anyway=yes")
    assert await app.outbox.run_once() == 5
    assert len(door.sent) == 5
