"""cxbot start | serve | chat | demo | migrate | nudge | digest | outbox | check-org"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError

from bot import demo, server
from bot.app import App, create_app
from bot.console import Console
from bot.dashboard import web as dashboard
from bot.settings import Settings
from handlers.base import Actor, Command
from handlers.clock import FixedClock
from handlers.org import OrgFileError, load_org, org_warnings
from storage import inbox, outbox
from storage.db import SchemaNotReady


def _app(settings: Settings, *, demo_org: bool = False, at: datetime | None = None) -> App:
    try:
        app = create_app(settings, demo=demo_org, clock=FixedClock(at) if at else None)
    except OrgFileError as error:
        sys.exit(f"cxbot: {error}")
    if settings.org_file:
        for warning in org_warnings(app.org):
            logging.getLogger("cxbot").warning("org file: %s", warning)
    return app


async def _ready(app: App, *, write: bool = True) -> None:
    """Migrate and apply the org file (`write`), or only check that the database is ready (read-only commands
    write nothing: no migration, no org file applied)."""
    try:
        await app.prepare(write=write)
    except SchemaNotReady as error:
        await app.close()
        sys.exit(f"cxbot: {error}. Run 'cxbot migrate' first.")


async def _chat(settings: Settings, identity: str, seed: bool) -> None:
    app = _app(settings, demo_org=True)
    await app.prepare()
    if seed and await demo.seed(app):
        print("Seeded a demo organisation with a few pain points (CX-1 .. CX-3).")
    runner = await _dashboard(app)
    try:
        await Console(app, identity=identity).loop()
    finally:
        if runner is not None:
            await runner.cleanup()
        await app.close()


async def _dashboard(app: App) -> web.AppRunner | None:
    """The console serves the dashboard too (type `dashboard` for a sign-in link); if its port is taken, the
    console goes on without it."""
    if app.links is None:
        return None
    web_app = web.Application()
    dashboard.mount(web_app, app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, app.settings.host, app.settings.port).start()
    except OSError as error:
        await runner.cleanup()
        print(f"(The dashboard is off: port {app.settings.port} is taken ({error.strerror}). Set PORT to another.)")
        return None
    print(f"The dashboard is at {app.links.page()}: type 'dashboard' for your sign-in link.")
    return runner


def _serve(settings: Settings) -> None:
    app = _app(settings)
    for line in server.describe(app):
        logging.getLogger("cxbot").log(logging.WARNING if "WITHOUT AUTHENTICATION" in line else logging.INFO, line)
    server.run(app)


async def _migrate(settings: Settings) -> None:
    app = _app(settings)
    await app.prepare()
    await app.close()
    print("Database is up to date and the org file is loaded." if settings.org_file else
          "Database is up to date. No org file was given (CX_ORG_FILE): roles and departments are as they were.")


async def _demo(settings: Settings) -> None:
    app = _app(settings, demo_org=True)
    await app.prepare()
    seeded = await demo.seed(app)
    await app.close()
    print("Seeded the demo pain points." if seeded else "The ledger already has pain points; left as it is.")


async def _once(settings: Settings, command: Command, at: datetime | None = None, *, write: bool = True) -> int:
    """Run one scheduler command now (or as of `at`), print what it did, deliver what it queued. A command
    that only reads (`write` False: a preview, a dry run) changes nothing, the org file's roles included."""
    app = _app(settings, at=at)
    await _ready(app, write=write)
    try:
        outcome = await app.run(command)
        for reply in outcome.replies:
            print(app.renderer.render(reply.template, reply.data, tz=app.org.timezone))
        if outcome.ok and not command.fields.get("dry_run"):
            await app.outbox.run_once()
        return 0 if outcome.ok else 1
    finally:
        await app.close()


async def _outbox(settings: Settings, status: str | None, retry: list[int], retry_failed: bool) -> int:
    """List the outbox (read only), or put failed messages back to be sent again, once each."""
    app = _app(settings)
    await _ready(app, write=bool(retry or retry_failed))
    try:
        if retry or retry_failed:
            async with app.db.transaction() as session:
                done, refused = await outbox.retry(session=session, ids=retry, failed=retry_failed,
                                                   at=app.clock.now())
            for row_id, why in refused:
                print(f"#{row_id}: {why}")
            print(f"Put back {len(done)} message{'' if len(done) == 1 else 's'}" + (
                f" (#{', #'.join(str(i) for i in done)}); they go out at the next delivery run." if done else "."))
            return 1 if refused else 0
        async with app.db.transaction(read_only=True) as session:
            rows = await outbox.listing(session=session, status=status)
    finally:
        await app.close()
    if not rows:
        print("The outbox is empty." if status is None else f"No {status} messages.")
    zone = app.org.zone
    for row in rows:
        state = f"waiting for {row.recipient}" if row.status == "waiting" else f"{row.status:<9} to {row.recipient}"
        print(f"#{row.id} {state} ({row.template}), created "
              f"{row.created_at.astimezone(zone):%a %d %b %H:%M}, {row.attempts} attempt"
              f"{'' if row.attempts == 1 else 's'}{'; last error: ' + row.last_error if row.last_error else ''}")
    return 0


async def _inbox(settings: Settings) -> int:
    """The requests the bot gave up on (each tried several times), with why: read only."""
    app = _app(settings)
    await _ready(app, write=False)
    try:
        async with app.db.transaction(read_only=True) as session:
            rows = await inbox.failed(session=session)
    finally:
        await app.close()
    if not rows:
        print("No request was given up on.")
    zone = app.org.zone
    for row in rows:
        what = row.payload.get("command", {}).get("text") if row.payload.get("kind") == "slack_command" else ""
        given_up = row.failed_at or row.received_at
        print(f"#{row.id} {row.payload.get('kind')} received {row.received_at.astimezone(zone):%a %d %b %H:%M}, "
              f"given up {given_up.astimezone(zone):%a %d %b %H:%M} after {row.tries} tries"
              f"{f' ({what!r})' if what else ''}: {row.last_error}")
    return 0


SYSTEM = Actor(identity="system:cli")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time like 2026-11-30T10:00+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    """The command line: bad input or settings end in one line saying what is wrong, never a traceback."""
    try:
        run(argv)
    except (OrgFileError, OSError, ValueError, ArgumentError, ValidationError) as error:
        logging.getLogger("cxbot").debug("cxbot failed", exc_info=True)
        sys.exit(f"cxbot: {one_line(error)}")


def one_line(error: BaseException) -> str:
    """What went wrong, in one line a person can act on."""
    if isinstance(error, ValidationError):  # the settings (environment variables)
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
    if isinstance(error, ArgumentError):
        return ("DATABASE_URL cannot be read as a database URL: give sqlite:///cxbot.db or "
                "postgresql://user:password@host/db")
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror or error}: {error.filename}"
    return " ".join(str(error).split())[:500]


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cxbot", description="Shared accountability on customer experience.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("start", help="the server when Slack/Teams credentials are set, else the console demo")
    sub.add_parser("serve", help="run the HTTP server (Slack, Teams, /healthz) and the scheduler")
    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--as", dest="identity", default="local:sam", help="who you are, e.g. local:dana")
    chat.add_argument("--no-demo", action="store_true", help="don't seed demo pain points")
    sub.add_parser("demo", help="seed the demo organisation and a few pain points")
    sub.add_parser("migrate", help="apply database migrations and load the org file")
    box = sub.add_parser("outbox", help="list outbox messages (stuck ones with --status failed), or retry failed ones")
    box.add_argument("--status", choices=["pending", "waiting", "delivered", "failed"],
                     help="waiting: held until the bot can reach that person (they are delivered then)")
    box.add_argument("--retry", type=int, action="append", default=[], metavar="ID",
                     help="send a failed or waiting message again (repeat for several)")
    box.add_argument("--retry-failed", action="store_true", help="send every failed message again")
    sub.add_parser("inbox", help="list the requests the bot gave up on, with why")
    check = sub.add_parser("check-org", help="validate an org file and exit")
    check.add_argument("path")
    package = sub.add_parser("teams-package", help="build the Teams app zip to upload")
    package.add_argument("--app-id", help="the bot's Microsoft app id (default: MICROSOFT_APP_ID)")
    package.add_argument("--host", help="the bot's public host name, e.g. cx.example.com")
    package.add_argument("--out", default="cxbot-teams.zip", help="where to write the zip")
    nudge = sub.add_parser("nudge", help="run one nudge sweep now, or as of --at")
    nudge.add_argument("--at", type=moment, help="ISO time to sweep as of, e.g. 2026-11-30T10:00+00:00")
    nudge.add_argument("--dry-run", action="store_true", help="list what would be sent; send and record nothing")
    digest = sub.add_parser("digest", help="print (--preview) or send (--send) the weekly digest")
    mode = digest.add_mutually_exclusive_group()
    mode.add_argument("--preview", action="store_true", help="print it (the default)")
    mode.add_argument("--send", action="store_true", help="queue it for leadership and departments, once")
    digest.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: the last complete week)")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if logging.getLogger().level > logging.DEBUG:  # two lines per job run were most of the log
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    command = args.command or "start"
    if command == "start":
        command = "serve" if settings.has_platform else "chat"
        if command == "chat":
            print("No Slack or Teams credentials are set, so here is the console chat on a demo organisation.\n"
                  "(Set SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET or MICROSOFT_APP_ID to start the server.)\n")
            args.identity, args.no_demo = "local:sam", False
    if command == "serve":
        _serve(settings)
    elif command == "chat":
        asyncio.run(_chat(settings, args.identity, not args.no_demo))
    elif command == "demo":
        asyncio.run(_demo(settings))
    elif command == "migrate":
        asyncio.run(_migrate(settings))
    elif command == "inbox":
        sys.exit(asyncio.run(_inbox(settings)))
    elif command == "outbox":
        sys.exit(asyncio.run(_outbox(settings, args.status, args.retry, args.retry_failed)))
    elif command == "nudge":
        fields = {"dry_run": "yes"} if args.dry_run else {}
        sys.exit(asyncio.run(_once(settings, Command(actor=SYSTEM, action="nudge", fields=fields), args.at,
                                   write=not args.dry_run)))
    elif command == "digest":
        fields = {"week": args.week} if args.week else {}
        action = "digest_send" if args.send else "digest"
        sys.exit(asyncio.run(_once(settings, Command(actor=SYSTEM, action=action, fields=fields), write=args.send)))
    elif command == "teams-package":
        from pathlib import Path

        from bot.teams.package import build

        out = Path(args.out)
        if out.is_dir():
            sys.exit(f"cxbot: --out {out} is a folder: name the zip to write, e.g. {out / 'cxbot-teams.zip'}")
        if not out.parent.is_dir():
            sys.exit(f"cxbot: --out {out}: the folder {out.parent} does not exist")
        path = build(args.app_id or settings.microsoft_app_id or "", out, args.host)
        print(f"Wrote {path}: upload it in Teams (Apps -> Manage your apps -> Upload an app).")
    elif command == "check-org":
        org = load_org(args.path)
        print(f"{args.path} is valid: {plural(len(org.departments), 'department')}, "
              f"{plural(len(org.admins), 'admin')}.")
        for warning in org_warnings(org):
            print(f"warning: {warning}")


if __name__ == "__main__":
    main()
