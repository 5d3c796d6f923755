"""Crash mid-load: `cxbot serve` on PostgreSQL takes a few hundred signed Slack requests and clicks at once,
is killed with SIGKILL part-way, and restarts. Every command that got HTTP 200 is in the ledger exactly once
with its history (a restarted process finishes what the dead one accepted); nothing is half-written; every
notification is delivered after the restart, and only a message that was in flight at the kill can have
reached Slack twice."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from storage.models import Event, InboxRequest, OutboxMessage, PainPoint
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import ORG, SECRET, TOKEN
from tests.ledger import PG_URL, Database, free_port, healthy

ROOT = Path(__file__).parents[2]
REQUESTS = 240



def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body))}


def start(database: Database, fake: FakeSlack, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "CX_"))},
           "DATABASE_URL": PG_URL or "", "CX_DATABASE_SCHEMA": database.schema or "", "CX_ORG_FILE": str(ORG),
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
           "PORT": str(port), "HOST": "127.0.0.1", "CX_OUTBOX_INTERVAL_SECONDS": "0.5",
           "CX_OUTBOX_LEASE_SECONDS": "3", "CX_INBOX_LEASE_SECONDS": "3", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def test_kill_minus_nine_mid_load(database: Database, fake: FakeSlack, tmp_path: Path) -> None:
    if not PG_URL or database.schema is None:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    port, log = free_port(), tmp_path / "serve.log"
    process = start(database, fake, port, log)
    answers: dict[int, tuple[int, str]] = {}
    try:
        await healthy(port)
        url = f"http://127.0.0.1:{port}/slack/events"
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(REQUESTS):
            queue.put_nowait(n)

        async def worker(session: aiohttp.ClientSession) -> None:
            while not queue.empty():
                n = queue.get_nowait()
                if n % 4 == 3:  # a click on an earlier item, interleaved with the logging
                    payload = {"type": "block_actions", "user": {"id": "U0DANA"}, "team": {"id": "T0ACME"},
                               "trigger_id": f"tr{n}", "container": {"channel_id": "D0DANA", "message_ts": f"1.{n}"},
                               "response_url": fake.response_url(), "actions": [{
                                   "action_id": "cx_acknowledge", "value": f"CX-{n // 4 + 1}", "action_ts": f"9.{n}",
                                   "block_id": "cx_item_actions"}]}
                    body = urlencode({"payload": json.dumps(payload)})
                else:
                    body = urlencode({"command": "/cx", "text": f"log Invoice {n} charged twice anyway=yes",
                                      "user_id": "U0SAM",
                                      "team_id": "T0ACME", "channel_id": "C1", "trigger_id": f"crash-{n}",
                                      "response_url": fake.response_url()})
                try:
                    async with session.post(url, data=body, headers=signed(body)) as response:
                        answers[n] = (response.status, await response.text())
                except aiohttp.ClientError:
                    answers[n] = (0, "")

        async def killer() -> None:
            while len(answers) < REQUESTS // 2:
                await asyncio.sleep(0.01)  # until half the requests have their answers
            process.send_signal(signal.SIGKILL)

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(killer(), *(worker(session) for _ in range(16)))
        process.wait(timeout=30)
        checker = create_app(Settings(DATABASE_URL=PG_URL, CX_ORG_FILE=str(ORG)), schema=database.schema)
        async with checker.db.transaction() as db_session:
            in_flight = set(await db_session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.claimed_until.is_not(None))))
        process = start(database, fake, port, log)
        await healthy(port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with checker.db.transaction() as db_session:
                waiting = await db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status == "pending")) or 0
                waiting += await db_session.scalar(select(func.count()).select_from(InboxRequest).where(
                    InboxRequest.processed_at.is_(None))) or 0
            if not waiting:
                break
            await asyncio.sleep(0.5)  # the restarted process finishes requests and drains the outbox itself
        async with checker.db.transaction() as db_session:
            items = list(await db_session.scalars(select(PainPoint)))
            creates = Counter(await db_session.scalars(select(Event.pain_point_id).where(Event.action == "create")))
            acks = Counter(await db_session.scalars(select(Event.pain_point_id).where(Event.action == "acknowledge")))
            rows = list(await db_session.scalars(select(OutboxMessage)))
        await checker.close()
    finally:
        process.kill()
        process.wait(timeout=30)

    accepted = {f"Invoice {n} charged twice" for n, (status, _) in answers.items() if status == 200 and n % 4 != 3}
    assert 20 < len(accepted) < REQUESTS * 3 // 4, "the kill should land part-way through the load"
    summaries = Counter(item.summary for item in items)
    for summary in accepted:
        assert summaries[summary] == 1, f"{summary!r} got a 200 but is in the ledger {summaries[summary]} times"
    assert all(count == 1 for count in summaries.values())
    assert all(creates[item.id] == 1 for item in items), "an item without exactly one create event"
    assert all(count == 1 for count in acks.values()), "an acknowledgement recorded twice"
    assert rows and all(row.status == "delivered" for row in rows), Counter(r.status for r in rows)
    posted = Counter((c["channel"], re.search(r"CX-\d+", c.get("text", "")).group(0))  # type: ignore[union-attr]
                     for c in fake.called("chat.postMessage"))
    expected = Counter((row.recipient.split(":", 1)[1], row.payload["item"]["ref"]) for row in rows)
    assert set(posted) == set(expected), "a notification was never delivered"
    twice = {key for key, count in posted.items() if count > expected[key]}
    suspects = {(r.recipient.split(":", 1)[1], r.payload["item"]["ref"]) for r in rows if r.id in in_flight}
    assert twice <= suspects, f"sent twice without having been in flight at the kill: {twice - suspects}"


async def test_two_serving_replicas_send_each_notification_once(database: Database, fake: FakeSlack,
                                                               tmp_path: Path) -> None:
    if not PG_URL or database.schema is None:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    ports = [free_port(), free_port()]
    processes = [start(database, fake, port, tmp_path / f"serve{port}.log") for port in ports]
    try:
        for port in ports:
            await healthy(port)
        async with aiohttp.ClientSession() as session:
            async def send(n: int) -> int:
                body = urlencode({"command": "/cx", "text": f"log Invoice {n} charged twice anyway=yes",
                                  "user_id": "U0SAM",
                                  "team_id": "T0ACME", "channel_id": "C1", "trigger_id": f"rep-{n}",
                                  "response_url": fake.response_url()})
                async with session.post(f"http://127.0.0.1:{ports[n % 2]}/slack/events", data=body,
                                        headers=signed(body)) as response:
                    return response.status
            assert set(await asyncio.gather(*(send(n) for n in range(80)))) == {200}
        checker = create_app(Settings(DATABASE_URL=PG_URL, CX_ORG_FILE=str(ORG)), schema=database.schema)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with checker.db.transaction() as db_session:
                made = await db_session.scalar(select(func.count()).select_from(OutboxMessage))
                waiting = await db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status != "delivered"))
            if made == 80 and not waiting:
                break
            await asyncio.sleep(0.5)  # both replicas work the commands off and drain the outbox
        async with checker.db.transaction() as db_session:
            rows = list(await db_session.scalars(select(OutboxMessage)))
        await checker.close()
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)
    assert len(rows) == 80 and all(row.status == "delivered" for row in rows)
    posted = Counter(re.search(r"CX-\d+", c.get("text", "")).group(0)  # type: ignore[union-attr]
                     for c in fake.called("chat.postMessage"))
    assert sorted(posted.values()) == [1] * 80, "a notification went out twice (or never)"
