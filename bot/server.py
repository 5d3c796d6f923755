"""One aiohttp process: health, the doors of the platforms that are configured, and the scheduler."""
from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import App
from bot.dashboard import web as dashboard
from bot.settings import Settings
from handlers.base import Actor, Command
from handlers.org import cron_fields
from storage.db import shown_url

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("cxbot", App)


PRIVACY = """cxbot: privacy

This bot keeps, in its own database, what people give it to do its work: the customer pain points they log
(summary, details, customer reference, the link to the chat message), what is done about them (history,
comments, resolutions), and, for each person it talks to, their chat identity, display name, email and time
zone as Slack or Teams tells it (to address them, route to them and reach them in their working hours).
It sends nothing anywhere but the chat platforms it is installed in. Your organisation runs it and decides
how long it keeps this; ask your CX admin to see or remove what it holds about you.
"""
TERMS = """cxbot: terms of use

cxbot is open-source software your organisation runs for itself. Use it for your organisation's customer
experience work, as your organisation's own policies say. It comes with no warranty.
"""


async def privacy(_: web.Request) -> web.Response:
    return web.Response(text=PRIVACY)


async def terms(_: web.Request) -> web.Response:
    return web.Response(text=TERMS)


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    database_problem = await app.db.problem()  # within the database timeout: a silent database is a 503, fast
    database = database_problem is None
    slack_problem = await app.slack.problem() if app.slack is not None else None
    body = {"status": "ok" if database and not slack_problem else "degraded", "database": database,
            "slack": app.settings.slack_enabled, "teams": app.settings.teams_enabled}
    if database_problem:
        body["database_problem"] = database_problem
    if slack_problem:
        body["slack_problem"] = slack_problem  # every message to Slack waits until an operator fixes it
    return web.json_response(body, status=200 if database else 503)


SCHEDULER = Actor(identity="system:scheduler")


async def sweep(app: App) -> None:
    outcome = await app.run(Command(actor=SCHEDULER, action="nudge"))
    if outcome.ok and outcome.replies and outcome.replies[0].data.get("sent"):
        log.info(app.renderer.render("nudge_report", outcome.replies[0].data))
    await app.outbox.run_once()


async def weekly_digest(app: App) -> None:
    outcome = await app.run(Command(actor=SCHEDULER, action="digest_send"))
    if outcome.replies:
        log.info(app.renderer.render(outcome.replies[0].template, outcome.replies[0].data))
    await app.outbox.run_once()


def schedule(app: App) -> AsyncIOScheduler:
    """Every replica runs these jobs; each claims its work in the database, so nothing is sent twice.

    A process that was down runs a missed job once when it returns (coalesce), if it is still within the
    grace time: an hour for the sweep, a day for the weekly digest.
    """
    scheduler = AsyncIOScheduler(timezone=app.org.zone)
    scheduler.add_job(app.outbox.run_once, "interval", seconds=app.settings.outbox_interval,
                      id="outbox", replace_existing=True, max_instances=1, coalesce=True,
                      misfire_grace_time=60)
    if app.inbox.kinds:  # requests a dead process accepted but did not finish
        scheduler.add_job(app.inbox.recover, "interval", seconds=max(app.settings.inbox_lease / 3, 1),
                          id="inbox-recovery", replace_existing=True, max_instances=1, coalesce=True,
                          misfire_grace_time=60, next_run_time=datetime.now(app.org.zone))
    if app.slack is not None:  # once at start: the names of the people known only by their Slack id
        scheduler.add_job(app.slack.door.learn_people, "date", id="slack-people", replace_existing=True,
                          run_date=datetime.now(app.org.zone), misfire_grace_time=3600)
    scheduler.add_job(sweep, "interval", args=[app], seconds=app.org.nudges.every.total_seconds(),
                      id="nudge-sweep", replace_existing=True, max_instances=1, coalesce=True,
                      misfire_grace_time=3600)
    scheduler.add_job(weekly_digest, CronTrigger(timezone=app.org.zone, **cron_fields(app.org.digest.weekly)),
                      args=[app], id="weekly-digest", replace_existing=True, max_instances=1, coalesce=True,
                      misfire_grace_time=86400)
    return scheduler


def build(app: App, *, run_scheduler: bool = True) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/privacy", privacy)  # the Teams app package points here
    web_app.router.add_get("/terms", terms)
    for platform in (app.slack, app.teams):
        if platform is not None:
            platform.mount(web_app)
    if app.links is not None:
        dashboard.mount(web_app, app)
    slack = app.slack

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await app.prepare()
        if app.slack is not None:  # a token put right before this start: what waited for it goes out now
            await app.outbox.wake(app.slack.sender.prefixes, app.slack.sender.waiting)
        # what is loaded by now (modules, the org, the SDKs' tables) lives as long as the process: kept out
        # of the collector's full passes, which otherwise stall every request in flight for ~0.1 s each
        gc.freeze()
        scheduler = schedule(app) if run_scheduler else None
        if scheduler:
            scheduler.start()
        if slack is not None:
            await slack.connect()
        yield
        if scheduler:
            scheduler.shutdown(wait=False)
        await app.close()

    web_app.cleanup_ctx.append(lifecycle)
    return web_app


class Flood(logging.Filter):
    """asyncio logs every failed accept() when the process runs out of file descriptors (a flood of held
    connections): 158 MB of the same line in 45 s. Once a minute is enough for an operator to see it (the same
    for connections refused over the cap)."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every, self.last, self.dropped = every, -every, 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not any(m in message for m in ("out of system resource", "Too many open files", "connection refused")):
            return True
        now = time.monotonic()
        if now - self.last < self.every:
            self.dropped += 1
            return False
        if self.dropped:
            record.msg = f"{record.getMessage()} ({self.dropped} more like it in the last minute, not logged)"
            record.args = ()
        self.last, self.dropped = now, 0
        return True


log.addFilter(Flood())  # refused connections


def more_files() -> None:
    """Raise this process's open-file limit to what the system allows (often 1024 by default)."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536) if hard != resource.RLIM_INFINITY
                                                        else 65536, hard))
    except (ValueError, OSError):
        log.info("could not raise the open-file limit", exc_info=True)


def options(settings: Settings) -> dict[str, Any]:
    """How the HTTP server treats connections: one that sends no complete request within the idle timeout (a
    slow-header "slowloris" client among them) is closed."""
    return {"keepalive_timeout": settings.idle_timeout}


def run(app: App) -> None:
    """`cxbot serve`: the server, hardened for the open internet (best still behind a reverse proxy), until
    SIGTERM or SIGINT, then a graceful stop."""
    logging.getLogger("asyncio").addFilter(Flood())
    more_files()

    async def serve() -> None:
        runner = await start(app, run_scheduler=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(serve())


async def start(app: App, *, run_scheduler: bool = True, port: int | None = None) -> web.AppRunner:
    """The server listening: at most `CX_MAX_CONNECTIONS` connections at once (one more is closed as it
    arrives, so a flood of held connections cannot use up the process's file descriptors)."""
    settings = app.settings
    runner = web.AppRunner(build(app, run_scheduler=run_scheduler), **options(settings))
    await runner.setup()
    server = runner.server
    assert server is not None
    admit = server.connection_made

    def capped(handler: Any, transport: asyncio.Transport) -> None:
        if len(server.connections) >= settings.max_connections:
            log.warning("connection refused: %d connections are open, the most CX_MAX_CONNECTIONS allows",
                        settings.max_connections)  # once a minute: the Flood filter on this log
            transport.close()
            return
        admit(handler, transport)

    server.connection_made = capped  # type: ignore[method-assign]
    site = web.TCPSite(runner, settings.host, settings.port if port is None else port, backlog=1024)
    await site.start()
    log.info("Listening on %s", site.name)
    return runner


def describe(app: App) -> list[str]:
    """What is on and off, and how to turn it on: said once at start."""
    s = app.settings
    lines = [f"Database: {shown_url(s.database_url)}",
             f"Org: {s.org_file or 'none (set CX_ORG_FILE to your org file; see org.example.toml)'}"]
    if s.slack_enabled:
        lines.append(("Slack: on at POST /slack/events" if s.slack_signing_secret else "Slack: on")
                     + (" and over Socket Mode" if s.slack_signing_secret and s.slack_app_token else
                        " over Socket Mode (no public URL)" if s.slack_app_token else "")
                     + (f" (Web API at {s.slack_api_url})" if s.slack_api_url else ""))
    else:
        lines.append("Slack: off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it); for Socket Mode, "
                     "SLACK_BOT_TOKEN and SLACK_APP_TOKEN")
    if s.microsoft_app_id:
        lines.append(f"Teams: on at POST /api/messages ({s.microsoft_app_type}, every request's token checked)")
    elif s.teams_emulator:
        lines.append("Teams: on at POST /api/messages WITHOUT AUTHENTICATION (CX_TEAMS_EMULATOR=1): anyone who "
                     "can reach this port can act as anyone. For the Bot Framework Emulator only.")
    else:
        lines.append("Teams: off (set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to enable it)")
    if app.links is not None:
        lines.append(f"Dashboard: at {app.links.page()}" + ("" if s.public_url else
                     " (set CX_PUBLIC_URL to the address people reach this server at: sign-in links use it)"))
    return lines
