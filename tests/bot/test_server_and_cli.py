"""The process a user starts: `cxbot start` on embedded defaults, `cxbot serve` with /healthz, org errors at start."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import server
from bot.app import create_app
from bot.settings import Settings
from tests.ledger import ORG, Database, free_port

CXBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).parents[2]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "MICROSOFT_", "CX_", "DATABASE_URL"))}
    return {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'cx.db'}", "PYTHONPATH": str(ROOT), **extra}


def test_start_without_credentials_is_the_console_demo(tmp_path: Path) -> None:
    typed = "log Refund for order 5521 still missing severity=high\n/as local:dana\nack CX-4\n"
    result = subprocess.run(check=False, args=[*CXBOT, "start"], input=typed, capture_output=True, text=True,
                            timeout=60,
                            cwd=tmp_path, env=env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "No Slack or Teams credentials are set" in result.stdout
    assert "Seeded a demo organisation" in result.stdout
    assert 'Logged CX-4 "Refund for order 5521 still missing"' in result.stdout
    assert "CX-4 acknowledged by Dana." in result.stdout
    assert "Traceback" not in result.stderr


def test_invalid_org_file_stops_start_with_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "org.toml"
    bad.write_text('[[departments]]\nkey = "billing"\nname = "Billing"\nowners = ["dana"]\n')
    result = subprocess.run(check=False, args=[*CXBOT, "migrate"], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path,
                            env=env(tmp_path, CX_ORG_FILE=str(bad)))
    assert result.returncode != 0
    assert "departments.0.owners: 'dana' is not a person" in result.stderr
    assert "Traceback" not in result.stderr



def test_serve_answers_health_and_says_what_is_off(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([*CXBOT, "serve"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env(tmp_path, PORT=str(port), HOST="127.0.0.1",
                                                  CX_ORG_FILE=str(ORG)))
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
                    body = conn.recv(4096).decode()
            except OSError:
                time.sleep(0.2)  # waiting for a child process to listen, not for behaviour under test
        assert body is not None and " 200 OK" in body.splitlines()[0]
        assert '"database": true' in body
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Slack: off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it)" in output
    assert "Teams: off" in output


async def test_healthz_reports_an_unreachable_database(database: Database) -> None:
    healthy = create_app(Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG)), schema=database.schema)
    async with TestClient(TestServer(server.build(healthy, run_scheduler=False))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["database"] is True
    broken = create_app(Settings(DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    web_app = aiohttp.web.Application()
    web_app[server.APP_KEY] = broken
    web_app.router.add_get("/healthz", server.healthz)
    async with TestClient(TestServer(web_app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json()) == {"status": "degraded", "database": False, "slack": False,
                                           "teams": False,
                                           "database_problem": "the database refused: ConnectionRefusedError"}
    await broken.close()


async def test_a_database_outage_gets_a_try_again_reply() -> None:
    from handlers.base import Actor, Command

    broken = create_app(Settings(DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    outcome = await broken.run(Command(actor=Actor(identity="local:sam"), action="log",
                                       fields={"summary": "Invoice late"}))
    assert not outcome.ok
    assert "try again" in outcome.replies[0].data["message"]
    await broken.close()


@pytest.mark.parametrize("command", [["check-org", str(ROOT / "org.example.toml")]])
def test_check_org(tmp_path: Path, command: list[str]) -> None:
    result = subprocess.run(check=False, args=[*CXBOT, *command], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path,
                            env=env(tmp_path))
    assert result.returncode == 0 and "is valid: 3 departments" in result.stdout


def test_nudge_dry_run_and_digest_preview_from_the_command_line(tmp_path: Path) -> None:
    environment = env(tmp_path, CX_ORG_FILE=str(ORG))
    seeded = subprocess.run(check=False, args=[*CXBOT, "chat", "--as", "local:sam", "--no-demo"], input=(
        "log Invoice total wrong severity=critical\n"), capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env=environment)
    assert "Logged CX-1" in seeded.stdout, seeded.stderr
    dry = subprocess.run(check=False, args=[*CXBOT, "nudge", "--at", "2099-01-05T10:00:00+00:00", "--dry-run"],
                         capture_output=True,
                         text=True, timeout=60, cwd=tmp_path, env=environment)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run at 2099-01-05T10:00:00+00:00: would send 1 message" in dry.stdout
    assert "nudge to Dana (local:dana): CX-1" in dry.stdout
    preview = subprocess.run(check=False, args=[*CXBOT, "digest", "--preview", "--week", "2026-W01"],
                             capture_output=True,
                             text=True, timeout=60, cwd=tmp_path, env=environment)
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("Customer pain, week 1, 29 Dec 2025 - 4 Jan 2026 · 0 in")
    bad = subprocess.run(check=False, args=[*CXBOT, "nudge", "--at", "yesterday"], capture_output=True, text=True,
                         timeout=60,
                         cwd=tmp_path, env=environment)
    assert bad.returncode == 2 and "is not an ISO time" in bad.stderr


def test_scheduler_jobs_follow_the_org_file(tmp_path: Path) -> None:
    org = tmp_path / "org.toml"
    org.write_text('timezone = "America/New_York"\n[digest]\nweekly = "fri 16:30"\n[nudges]\nevery = "10m"\n')
    app = create_app(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", CX_ORG_FILE=str(org)))
    jobs = {job.id: job for job in server.schedule(app).get_jobs()}
    assert set(jobs) == {"outbox", "nudge-sweep", "weekly-digest"}
    assert jobs["nudge-sweep"].trigger.interval.total_seconds() == 600
    digest = jobs["weekly-digest"].trigger
    assert str(digest.timezone) == "America/New_York"
    assert {f.name: str(f) for f in digest.fields}["day_of_week"] == "fri"
    assert {f.name: str(f) for f in digest.fields}["hour"] == "16"
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert jobs["weekly-digest"].misfire_grace_time == 86400
