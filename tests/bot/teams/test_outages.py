"""Teams' connector fails for a while: transient failures are retried and delivered once, permanent ones
recorded."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.clock import FixedClock
from storage.models import OutboxMessage
from tests.bot.teams.harness import Teams


async def test_teams_connector_failures_are_retried_then_delivered_once(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    clock = teams.app.clock
    assert isinstance(clock, FixedClock)
    teams.connector.failures.extend([500, 429])
    assert await teams.app.outbox.run_once() == 0
    clock.advance(timedelta(minutes=1))
    assert await teams.app.outbox.run_once() == 0
    clock.advance(timedelta(minutes=5))
    assert await teams.app.outbox.run_once() == 1
    clock.advance(timedelta(hours=1))
    assert await teams.app.outbox.run_once() == 0
    delivered = [b for k, c, b in teams.connector.calls if k == "send" and "personal-dana" in c]
    assert len(delivered) == 3  # two refused attempts, one delivery


async def test_teams_permanent_failure_is_recorded(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", "log Invoice is wrong")
    teams.connector.failures.append(400)  # the message itself (a 403 means the person: see test_reach.py)
    await teams.app.outbox.run_once()
    async with teams.app.db.transaction() as session:
        row = (await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "teams:aad-dana"))).one()
    assert row.status == "failed" and "400" in (row.last_error or "")


