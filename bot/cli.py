"""cxbot start | serve | chat | demo | migrate | outbox | check-org"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web

from bot import demo, server
from bot.app import App, create_app
from bot.console import Console
from bot.settings import Settings
from handlers.org import OrgFileError, load_org
from storage import outbox


def _app(settings: Settings, *, demo_org: bool = False) -> App:
    try:
        return create_app(settings, demo=demo_org)
    except OrgFileError as error:
        sys.exit(f"cxbot: {error}")


async def _chat(settings: Settings, identity: str, seed: bool) -> None:
    app = _app(settings, demo_org=True)
    await app.prepare()
    if seed and await demo.seed(app):
        print("Seeded a demo organisation with a few pain points (CX-1 .. CX-3).")
    try:
        await Console(app, identity=identity).loop()
    finally:
        await app.close()


def _serve(settings: Settings) -> None:
    app = _app(settings)
    for line in server.describe(app):
        logging.getLogger("cxbot").info(line)
    web.run_app(server.build(app), host=settings.host, port=settings.port, print=None)


async def _migrate(settings: Settings) -> None:
    app = _app(settings)
    await app.prepare()
    await app.close()
    print("Database is up to date and the org file is loaded.")


async def _demo(settings: Settings) -> None:
    app = _app(settings, demo_org=True)
    await app.prepare()
    seeded = await demo.seed(app)
    await app.close()
    print("Seeded the demo pain points." if seeded else "The ledger already has pain points; left as it is.")


async def _outbox(settings: Settings, status: str | None) -> None:
    app = _app(settings)
    await app.prepare()
    async with app.sessions() as session:
        rows = await outbox.listing(session=session, status=status)
    await app.close()
    if not rows:
        print("The outbox is empty." if status is None else f"No {status} messages.")
    for row in rows:
        print(f"#{row.id} {row.status:<9} to {row.recipient} ({row.template}) attempts={row.attempts}"
              f"{' error=' + row.last_error if row.last_error else ''}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cxbot", description="Shared accountability on customer experience.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("start", help="the server when Slack/Teams credentials are set, else the console demo")
    sub.add_parser("serve", help="run the HTTP server (Slack, Teams, /healthz) and the scheduler")
    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--as", dest="identity", default="local:sam", help="who you are, e.g. local:dana")
    chat.add_argument("--no-demo", action="store_true", help="don't seed demo pain points")
    sub.add_parser("demo", help="seed the demo organisation and a few pain points")
    sub.add_parser("migrate", help="apply database migrations and load the org file")
    box = sub.add_parser("outbox", help="list outbox messages (stuck ones with --status failed)")
    box.add_argument("--status", choices=["pending", "delivered", "failed"])
    check = sub.add_parser("check-org", help="validate an org file and exit")
    check.add_argument("path")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
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
    elif command == "outbox":
        asyncio.run(_outbox(settings, args.status))
    elif command == "check-org":
        try:
            org = load_org(args.path)
        except OrgFileError as error:
            sys.exit(str(error))
        print(f"{args.path} is valid: {len(org.departments)} departments, {len(org.admins)} admins.")


if __name__ == "__main__":
    main()
