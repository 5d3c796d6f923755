"""What operators run from a shell: read-only commands write nothing (the org's roles above all), and the outbox
shows and retries what failed."""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.ledger import ORG

CXBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).parents[2]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "CX_", "DATABASE_URL"))}
    return {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'cx.db'}", "PYTHONPATH": str(ROOT), **extra}


def cxbot(tmp_path: Path, *args: str, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(check=False, args=[*CXBOT, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=env(tmp_path, **extra))


def roles(tmp_path: Path) -> set[tuple[str, int, int]]:
    with sqlite3.connect(tmp_path / "cx.db") as db:
        return {(i, a, le) for i, a, le in db.execute(
            "SELECT identity, is_admin, is_leader FROM people WHERE is_admin OR is_leader")}


def test_read_only_commands_without_an_org_file_keep_the_roles(tmp_path: Path) -> None:
    assert cxbot(tmp_path, "migrate", CX_ORG_FILE=str(ORG)).returncode == 0
    seeded = roles(tmp_path)
    assert seeded == {("local:cora", 1, 0), ("local:leo", 0, 1)}
    for command in (["outbox"], ["outbox", "--status", "failed"], ["digest", "--preview"], ["nudge", "--dry-run"],
                    ["migrate"]):
        result = cxbot(tmp_path, *command)
        assert result.returncode == 0, (command, result.stderr)
        assert roles(tmp_path) == seeded, command
    assert "No org file was given" in cxbot(tmp_path, "migrate").stdout
    # the admin is still an admin: department admin works from chat
    said = cxbot(tmp_path, "chat", "--as", "local:cora", "--no-demo", stdin="dept add legal Legal\n")
    assert "Department legal: added Legal." in said.stdout, said.stdout


def test_a_read_only_command_on_a_database_not_set_up_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = cxbot(tmp_path, "outbox")
    assert result.returncode == 1 and "Run 'cxbot migrate' first" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "cx.db") as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone() == (0,)


def test_the_outbox_shows_and_retries_failed_messages_once(tmp_path: Path) -> None:
    assert cxbot(tmp_path, "migrate", CX_ORG_FILE=str(ORG)).returncode == 0
    cxbot(tmp_path, "chat", "--as", "local:sam", "--no-demo", stdin="log Invoice total wrong\n",
          CX_ORG_FILE=str(ORG))
    with sqlite3.connect(tmp_path / "cx.db") as db:
        db.execute("UPDATE outbox SET status = 'failed', attempts = 8, last_error = 'user_not_found'")
        [(message,)] = db.execute("SELECT id FROM outbox")
    listed = cxbot(tmp_path, "outbox", "--status", "failed").stdout
    assert f"#{message} failed" in listed and "8 attempts; last error: user_not_found" in listed
    assert ", created " in listed
    again = cxbot(tmp_path, "outbox", "--retry", str(message))
    assert again.returncode == 0 and f"Put back 1 message (#{message})" in again.stdout
    with sqlite3.connect(tmp_path / "cx.db") as db:
        status, attempts, error = db.execute("SELECT status, attempts, last_error FROM outbox").fetchone()
    assert (status, attempts) == ("pending", 0) and "put back by an operator" in error and "user_not_found" in error
    twice = cxbot(tmp_path, "outbox", "--retry", str(message))
    assert twice.returncode == 1 and "is pending, not failed" in twice.stdout
    assert cxbot(tmp_path, "outbox", "--retry", "999").stdout.startswith("#999: no such message")


def test_check_org_refuses_what_would_misbehave_and_warns_of_the_doubtful(tmp_path: Path) -> None:
    cases = {
        "max_snooze = 14\n": 'max_snooze: 14 has no unit: write it as "14d"',
        "[sla.high]\nacknowledge = 4\nresolve = \"3d\"\n": "sla.high.acknowledge: 4 has no unit",
        'timezone = "Europe/London"\ntimezone = "UTC"\n': "'timezone' is given twice (line 2)",
        "": "is empty",
    }
    for text, said in cases.items():
        path = tmp_path / "org.toml"
        path.write_text(text)
        result = cxbot(tmp_path, "check-org", str(path))
        assert result.returncode == 1 and said in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr
    path = tmp_path / "org.toml"
    path.write_text('admins = ["local:cora"]\n[[departments]]\nkey = "billing"\nname = "Billing"\n')
    result = cxbot(tmp_path, "check-org", str(path))
    assert result.returncode == 0 and "is valid: 1 department, 1 admin." in result.stdout
    assert "warning: no triage department" in result.stdout
    assert "warning: department billing has no owners" in result.stdout
    started = cxbot(tmp_path, "migrate", CX_ORG_FILE=str(path))
    assert started.returncode == 0 and "org file: no triage department" in started.stderr


def test_the_server_log_is_quiet_at_info(tmp_path: Path) -> None:
    """No Bolt warning about the token at start, and no two INFO lines per scheduler job run."""
    assert cxbot(tmp_path, "migrate", CX_ORG_FILE=str(ORG)).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([*CXBOT, "serve"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env(tmp_path, PORT=str(port), HOST="127.0.0.1", CX_ORG_FILE=str(ORG),
                                                  SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret",
                                                  SLACK_API_URL="http://127.0.0.1:9/"))
    try:
        answered = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not answered:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
                    answered = b"200 OK" in conn.recv(4096)
            except OSError:
                time.sleep(0.2)  # waiting for a child process to listen, not for behaviour under test
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert answered and "Slack: on at POST /slack/events" in output
    assert "will be unused" not in output
    assert "apscheduler" not in output  # its INFO lines: jobs added, each run started and finished


BAD_INPUT = [
    (["check-org", "latin1.toml"], {}, "is not UTF-8 text"),
    (["check-org", "deep.toml"], {}, "nests its values too deeply"),
    (["outbox"], {"CX_ORG_FILE": "deep.toml"}, "nests its values too deeply"),
    (["teams-package", "--app-id", "11111111-2222-3333-4444-555555555555", "--out", "."], {}, "is a folder"),
    (["teams-package", "--app-id", "11111111-2222-3333-4444-555555555555", "--out", "nowhere/x.zip"], {},
     "does not exist"),
    (["outbox"], {"DATABASE_URL": "mysql://cx@db/cx"}, "is not a database cxbot can use"),
    (["outbox"], {"DATABASE_URL": "::::"}, "is not a database cxbot can use"),
    (["outbox"], {"CX_ADMINS": "local:dana, x y"}, "'x y' is not a person"),
    (["outbox"], {"PORT": "eighty"}, "PORT"),
]


def test_bad_input_gets_one_line_never_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "latin1.toml").write_bytes("timezone = \"Europe/Zürich\"".encode("latin-1"))
    (tmp_path / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000)
    for args, extra, said in BAD_INPUT:
        done = cxbot(tmp_path, *args, **extra)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr, (args, done.stderr[-500:])  # main: a traceback for each
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("cxbot: ") and said in lines[0], (args, lines)


def test_an_up_to_date_database_starts_without_loading_alembic(tmp_path: Path) -> None:
    """Alembic (with mako and pygments, ~10 MB) was imported at every start, a migration pending or not."""
    assert cxbot(tmp_path, "migrate", CX_ORG_FILE=str(ORG)).returncode == 0
    script = ("import asyncio, sys\n"
              "from bot.app import create_app\nfrom bot.settings import Settings\n"
              "async def main():\n    app = create_app(Settings())\n    await app.prepare()\n    await app.close()\n"
              "asyncio.run(main())\nprint('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=env(tmp_path, CX_ORG_FILE=str(ORG)), check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "False"
