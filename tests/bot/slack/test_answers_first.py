"""The default (non-FaaS) mode: Slack gets its answer at once; the work follows, after the answers owed."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import App, create_app
from handlers.clock import FixedClock
from storage.models import InboxRequest, PainPoint
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import Slack, count, reaction, said, slack_settings
from tests.ledger import Database


@pytest.fixture
async def quick(database: Database, fake: FakeSlack, clock: FixedClock) -> AsyncIterator[Slack]:
    app = create_app(slack_settings(database, fake, before=False), clock=clock, schema=database.schema)
    # no pause after the last request (tests do not sleep), and no giving up on the answers owed
    app.prompt_delivery, app.answers.lull, app.answers.patience = False, 0, 3600
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        yield Slack(client, app, fake)


async def parked(app: App) -> None:
    while not app.answers.giving_way:
        await asyncio.sleep(0)


async def done(app: App) -> None:
    await asyncio.wait_for(app.inbox.drained(), 10)


async def test_a_command_is_answered_before_it_is_worked_on_and_then_worked_on_once(quick: Slack) -> None:
    with quick.app.answers.owed():  # another request is still waiting for its answer
        response = await quick.command("U0SAM", "log Invoice 77 charged twice", trigger="trig-first")
        assert (response.status, await response.text()) == (200, "")
        assert await count(quick, InboxRequest) == 1  # written down before the 200
        await asyncio.wait_for(parked(quick.app), 10)  # a worker took it and waits for the answer owed
        assert await count(quick, PainPoint) == 0
    await done(quick.app)
    assert await count(quick, PainPoint) == 1
    [answer] = quick.answers("U0SAM")
    assert "CX-1" in answer["text"] and answer["response_type"] == "ephemeral"
    again = await quick.command("U0SAM", "log Invoice 77 charged twice anyway=yes", trigger="trig-second")
    await quick.command("U0SAM", "log Invoice 77 charged twice anyway=yes", trigger="trig-second")  # retried
    await quick.command("U0SAM", "log Invoice 77 charged twice", trigger="trig-first")  # and of the first
    assert again.status == 200
    await done(quick.app)
    assert await count(quick, PainPoint) == 2 and len(quick.answers("U0SAM")) == 2


async def test_a_burst_is_written_down_together_and_each_command_done_once(quick: Slack) -> None:
    batches: list[int] = []
    write = quick.app.inbox.intake.write

    async def arrived(first: int) -> None:
        while first + len(quick.app.inbox.intake.waiting) < 20:
            await asyncio.sleep(0)

    async def counting(items: list[tuple[str, dict[str, object]]]) -> list[int | None]:
        batches.append(len(items))
        if len(batches) == 1:  # the first write is slow, as under load: the rest arrive meanwhile
            await asyncio.wait_for(arrived(len(items)), 10)
        return await write(items)

    quick.app.inbox.intake.write = counting
    responses = await asyncio.gather(*(quick.command("U0SAM", f"log Invoice {n} is wrong anyway=yes")
                                       for n in range(20)))
    assert {r.status for r in responses} == {200}
    await done(quick.app)
    assert await count(quick, PainPoint) == 20 and len(quick.answers("U0SAM")) == 20
    assert sum(batches) == 20 and len(batches) <= 2  # whoever came while a batch was written went next


async def test_a_reaction_is_worked_on_after_the_answer(quick: Slack) -> None:
    said(quick, "Invoice PDF is blank")
    assert (await quick.event(reaction("U0SAM"))).status == 200
    await done(quick.app)
    assert await count(quick, PainPoint) == 1
    assert len(quick.fake.called("chat.postEphemeral")) == 1


async def test_recovery_leaves_alone_what_this_process_still_has_queued(quick: Slack) -> None:
    from datetime import timedelta

    with quick.app.answers.owed():  # the workers wait: the command stays queued here
        await quick.command("U0SAM", "log Invoice 78 charged twice", trigger="trig-held")
        await asyncio.wait_for(parked(quick.app), 10)
        quick.app.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
        assert await quick.app.inbox.recover() == 0  # its lease ran out, but it is ours and queued
        assert await count(quick, PainPoint) == 0
    await done(quick.app)
    assert await count(quick, PainPoint) == 1 and len(quick.answers("U0SAM")) == 1
