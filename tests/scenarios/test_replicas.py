"""Two processes sweeping and sending digests over one PostgreSQL at once: every reminder and digest once."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from handlers.clock import FixedClock
from storage.models import DigestSent, Nudge, OutboxMessage
from tests.ledger import ORG, PG_URL, Database, say

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def replicas(database: Database, *args: str) -> list[subprocess.CompletedProcess[str]]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "CX_"))},
           "DATABASE_URL": database.url, "CX_DATABASE_SCHEMA": database.schema or "", "CX_ORG_FILE": str(ORG),
           "PYTHONPATH": str(ROOT)}
    started = [subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    done = []
    for process in started:
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


async def test_two_sweeping_processes_nudge_each_item_once(app: App, database: Database,
                                                            clock: FixedClock) -> None:
    if database.schema is None:
        pytest.skip("the PostgreSQL half of the suite")
    owners = ["billing", "onboarding", "cx"]
    for n in range(60):
        await say(app, "local:sam", f"log Customer issue {n} severity=critical dept={owners[n % 3]}")
    results = replicas(database, "nudge", "--at", "2026-11-23T11:00:00+00:00")
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    async with app.db.transaction() as session:
        claims = list(await session.scalars(select(Nudge.pain_point_id)))
        messages = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.template == "nudge")))
    assert sorted(claims) == list(range(1, 61))
    refs = [item["ref"] for m in messages for item in m.payload["items"]]
    assert sorted(refs) == sorted(f"CX-{n}" for n in range(1, 61))  # each item in exactly one reminder
    assert len(messages) <= 6  # at most one combined reminder per owner per process


async def test_two_processes_send_each_digest_once(app: App, database: Database, clock: FixedClock) -> None:
    if database.schema is None:
        pytest.skip("the PostgreSQL half of the suite")
    clock.set(datetime(2026, 11, 17, 10, tzinfo=UTC))
    await say(app, "local:sam", "log Invoice wrong")
    results = replicas(database, "digest", "--send", "--week", "2026-W47")  # a complete week
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    async with app.db.transaction() as session:
        claimed = await session.scalar(select(func.count()).select_from(DigestSent))
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "digest"))
    assert claimed == queued == 4
