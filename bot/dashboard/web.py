"""The dashboard over HTTP: sign-in from a chat link, a session cookie, and the pages and exports. Every page
reads who is signed in and what they may see in its own read-only transaction (handlers.dashboard decides;
this door renders). No script anywhere: the Content-Security-Policy forbids it."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.dashboard import COOKIE, Keys, Session
from handlers import clock, dashboard, journey
from handlers.base import Context, Refusal
from handlers.dashboard import Filters, Viewer
from messages.render import TEMPLATES
from messages.web import csv_text, pages
from storage.db import UNAVAILABLE

log = logging.getLogger(__name__)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HOW = "Ask the bot for a link: /cx dashboard in Slack, or dashboard in Teams."
ONCE = f"Each sign-in link works once, within {int(dashboard.LINK_LIFE.total_seconds() // 60)} minutes."
TITLES = {"ref": "Ref", "summary": "Summary", "department": "Department", "stage": "Stage", "severity": "Severity",
          "status": "Status", "customer": "Customer", "owner_name": "Owner", "reporter_name": "Reported by",
          "created_at": "Logged (UTC)", "resolved_at": "Resolved (UTC)", "affected": "Me too",
          "resolution_note": "What was done", "cause": "Root cause", "in": "In", "acknowledged": "Acknowledged",
          "in_sla": "Acknowledged within SLA (%)", "resolved": "Resolved", "declined": "Declined", "open": "Open",
          "overdue": "Overdue now", "median_ack": "Median to acknowledge", "median_resolve": "Median to resolve",
          "customers_told": "Customers told", "customers_owed": "Customers to tell", "rating": "Fix rating (1-5)"}
Page = Callable[[web.Request, Context, Viewer, Session], Awaitable[web.StreamResponse]]


ASIDE = 4  # connections the dashboard's pages read their heavy figures on beside their own, at most, all together


@dataclass
class Board:
    app: App
    keys: Keys
    env: Environment
    # a year's overview reads four figures beside its own transaction: several leaders opening it at once must not
    # take the connection pool from the chat traffic (the rest of the pool's connections), so they share these
    asides: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(ASIDE))

    @asynccontextmanager
    async def aside(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction on a connection of its own, for a figure read beside a page's."""
        async with self.asides, self.app.db.transaction(read_only=True) as session:
            yield session


BOARD = web.AppKey("cxbot-dashboard", Board)


def html(request: web.Request, template: str, status: int = 200, **data: Any) -> web.Response:
    body = request.app[BOARD].env.get_template(template).render(**data)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.enable_compression()  # gzip where the browser takes it: the figures compress tenfold
    return response


def message(request: web.Request, status: int, title: str, *lines: str, **data: Any) -> web.Response:
    return html(request, "message.html", status, title=title, lines=list(lines), **data)


def download(name: str, text: str) -> web.Response:
    response = web.Response(text=text, content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    response.enable_compression()
    return response


async def guard(request: web.Request, response: web.StreamResponse) -> None:
    """Every dashboard response, error pages too: no script, no framing, no caching, and no referrer to other
    sites (a sign-in link's token must not leak)."""
    if request.path.startswith("/dashboard"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"


@web.middleware
async def reachable(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
    """A dashboard request the ledger cannot answer (down, or slower than CX_DATABASE_TIMEOUT_SECONDS): the
    person gets a page saying so, the operator one log line with the cause; nothing was changed."""
    if not request.path.startswith("/dashboard"):
        return await handler(request)
    try:
        return await handler(request)
    except UNAVAILABLE:
        log.exception("dashboard: the database did not answer %s %s", request.method, request.path)
        return message(request, 503, "The ledger can't be reached",
                       "The dashboard couldn't reach the pain-point ledger just now, so nothing was shown or changed. "
                       "Please try again in a minute.")


def same_site(request: web.Request) -> bool:
    """A form posted from one of our own pages; a cross-site one is refused. Browsers say where a request
    comes from (Sec-Fetch-Site, else Origin); a client that says neither is no browser, so no forgery."""
    fetched = request.headers.get("Sec-Fetch-Site")
    if fetched is not None:
        return fetched == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(request.app[BOARD].keys.base)
    return origin in {f"{request.scheme}://{request.host}", f"{parts.scheme}://{parts.netloc}"}


def signed(page: Page, *, scorecards: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page for someone signed in: 401 without a valid session, 403 where their role does not reach."""
    async def handle(request: web.Request) -> web.StreamResponse:
        board = request.app[BOARD]
        session = board.keys.session(request.cookies.get(COOKIE))
        if session is None:
            return message(request, 401, "Sign in from chat", "This dashboard opens from a personal link.", HOW)
        app = board.app
        async with app.db.transaction(read_only=True) as db:
            aside = board.aside if app.db.engine.dialect.name == "postgresql" else None
            ctx = Context(session=db, clock=app.clock, org=app.org, links=board.keys, aside=aside)
            seen = await dashboard.viewer(ctx, session.identity, session.nonce)
            if seen is None:
                return message(request, 401, "Sign in again", "This session has ended.", HOW)
            if scorecards and not seen.scorecards:
                return message(request, 403, "Scorecards are for departments",
                               "Department scorecards are for CX leaders, admins and each department's owners, "
                               "reps and lead. The overview and the items you raised are yours to see.",
                               **common(ctx, seen, session, ""))
            return await page(request, ctx, seen, session)
    return handle


def common(ctx: Context, seen: Viewer, session: Session, here: str) -> dict[str, Any]:
    return {"viewer": seen, "csrf": session.csrf, "here": here, "tz": str(clock.zone_of(ctx.org, seen.person))}


async def overview(request: web.Request, ctx: Context, seen: Viewer, session: Session) -> web.StreamResponse:
    weeks = Filters.read({"weeks": request.query.get("weeks", "4")}).weeks or 4
    data = await journey.overview(ctx, seen, weeks)
    return html(request, "overview.html", title="Overview", periods=dashboard.PERIODS, **data,
                **common(ctx, seen, session, "overview"))


async def items(request: web.Request, ctx: Context, seen: Viewer, session: Session) -> web.StreamResponse:
    filters = Filters.read(request.query)
    data = await dashboard.listing(ctx, seen, filters)
    return html(request, "items.html", title="Items", query=filters.query(page=""),
                previous=filters.query(page=str(filters.page - 1)), next=filters.query(page=str(filters.page + 1)),
                **data, **common(ctx, seen, session, "items"))


async def items_csv(request: web.Request, ctx: Context, seen: Viewer, session: Session) -> web.StreamResponse:
    try:
        rows = await dashboard.export(ctx, seen, Filters.read(request.query))
    except Refusal as refusal:
        return message(request, 413, "Too many items for one export", refusal.message,
                       **common(ctx, seen, session, "items"))
    return download("pain-points.csv", csv_text(rows, dashboard.EXPORT_COLUMNS, TITLES))


async def item(request: web.Request, ctx: Context, seen: Viewer, session: Session) -> web.StreamResponse:
    found = await dashboard.page(ctx, seen, request.match_info["ref"])
    if found is None:
        return message(request, 404, "No such item",
                       "There is no item with that reference that you can see.", **common(ctx, seen, session, ""))
    return html(request, "item.html", title=found["item"]["ref"], **found, **common(ctx, seen, session, "items"))


async def scorecards(request: web.Request, ctx: Context, seen: Viewer, session: Session) -> web.StreamResponse:
    data = await journey.scorecards(ctx, seen)
    return html(request, "scorecards.html", title="Scorecards", **data, **common(ctx, seen, session, "scorecards"))


async def scorecards_csv(request: web.Request, ctx: Context, seen: Viewer, session: Session
                         ) -> web.StreamResponse:
    rows = await journey.scorecard_rows(ctx, seen)
    return download("scorecards.csv", csv_text(rows, journey.SCORE_COLUMNS, TITLES))


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The link from chat opens a page with one button: link previews (Slack's, Teams') fetch pages, and a
    GET that spent the link would sign the previewer in instead of the person."""
    token = request.query.get("t", "")
    if request.app[BOARD].keys.nonce(token) is None:
        return message(request, 403, "This link has expired", ONCE, HOW)
    return message(request, 200, "Sign in to the cxbot dashboard", "This link is yours, and works once.",
                   form={"action": "/dashboard/sign-in", "fields": {"t": token}, "button": "Open the dashboard"})


async def sign_in(request: web.Request) -> web.StreamResponse:
    board = request.app[BOARD]
    form = await request.post()
    nonce = board.keys.nonce(str(form.get("t", "")))
    if not same_site(request) or nonce is None:
        return message(request, 403, "This link has expired", ONCE, HOW)
    app = board.app
    async with app.db.transaction() as db:
        who = await dashboard.signed_in(Context(session=db, clock=app.clock, org=app.org), nonce)
    if who is None:
        return message(request, 403, "This link was used already, or has expired",
                       ONCE + " If you did not use it, tell your CX admin.", HOW)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    response.set_cookie(COOKIE, board.keys.cookie(who, nonce), max_age=int(dashboard.SESSION_LIFE.total_seconds()),
                        path="/dashboard", httponly=True, samesite="Lax", secure=board.keys.secure or request.secure)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    board = request.app[BOARD]
    session = board.keys.session(request.cookies.get(COOKIE))
    form = await request.post()
    if session is None or not same_site(request) or form.get("csrf") != session.csrf:
        return message(request, 403, "Not signed out", "That request did not come from this dashboard.")
    app = board.app
    async with app.db.transaction() as db:
        await dashboard.signed_out(Context(session=db, clock=app.clock, org=app.org), session.nonce)
    response = web.Response(status=303, headers={"Location": "/dashboard/signed-out"})
    response.del_cookie(COOKIE, path="/dashboard")
    return response


async def signed_out(request: web.Request) -> web.StreamResponse:
    return message(request, 200, "Signed out", "You are signed out of the dashboard.", HOW)


STATIC = {"dashboard.css": "text/css", "icon.svg": "image/svg+xml"}


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.FileResponse(TEMPLATES / "web" / name, headers={"Content-Type": STATIC[name]})


def mount(web_app: web.Application, app: App) -> None:
    """The dashboard's routes, where `app` makes links to it (`app.links`)."""
    assert app.links is not None
    web_app[BOARD] = Board(app, app.links, pages())
    web_app.on_response_prepare.append(guard)
    web_app.middlewares.append(reachable)
    routes = web_app.router
    routes.add_get("/dashboard", signed(overview))
    routes.add_get("/dashboard/items", signed(items))
    routes.add_get("/dashboard/items.csv", signed(items_csv))
    routes.add_get("/dashboard/items/{ref}", signed(item))
    routes.add_get("/dashboard/scorecards", signed(scorecards, scorecards=True))
    routes.add_get("/dashboard/scorecards.csv", signed(scorecards_csv, scorecards=True))
    routes.add_get("/dashboard/sign-in", sign_in_page)
    routes.add_post("/dashboard/sign-in", sign_in)
    routes.add_post("/dashboard/sign-out", sign_out)
    routes.add_get("/dashboard/signed-out", signed_out)
    routes.add_get("/dashboard/static/{name}", static)
