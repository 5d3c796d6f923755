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
from tests.conftest import ORG, Database

CXBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).parents[2]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "MICROSOFT_", "CX_", "DATABASE_URL"))}
    return {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'cx.db'}", "PYTHONPATH": str(ROOT), **extra}


def test_start_without_credentials_is_the_console_demo(tmp_path: Path) -> None:
    typed = "log Refund for order 5521 still missing severity=high\n/as local:dana\nack CX-4\n"
    result = subprocess.run([*CXBOT, "start"], input=typed, capture_output=True, text=True, timeout=60,
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
    result = subprocess.run([*CXBOT, "migrate"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env=env(tmp_path, CX_ORG_FILE=str(bad)))
    assert result.returncode != 0
    assert "departments.0.owners: 'dana' is not a person" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
                                           "teams": False}
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
    result = subprocess.run([*CXBOT, *command], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env=env(tmp_path))
    assert result.returncode == 0 and "is valid: 3 departments" in result.stdout
