"""The dashboard's doors into the ledger: a personal sign-in link from chat, who sees what once signed in, and
the item list, item page and exports. The web door (bot/dashboard) only renders what these return.

Leaders and admins see everything (a restricted item's words only if it is theirs, as everywhere); a department's
owners, reps and lead see their departments; anyone else sees what they reported, own or said "me too" on."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, or_, select, true

from handlers import access, follow_up, notify, similar
from handlers.base import Command, Context, Outcome, Refusal, Reply
from handlers.clock import humanise
from handlers.digest import RESTRICTED
from handlers.org import SEVERITIES
from handlers.overdue import clause as overdue_now
from handlers.views import STATUS, clock_view, history_view, item_view
from storage import board, departments, pain_points, people, sign_ins
from storage.models import LIVE, Affected, FollowUp, PainPoint, Person

LINK_LIFE = timedelta(minutes=10)  # a sign-in link works once, within this
SESSION_LIFE = timedelta(hours=8)  # and the session it starts lasts a working day
PERIODS = (4, 12, 52)  # weeks a page may look back
PAGE = 50  # items per page of the list
EXPORT_LIMIT = 50_000
# what the list filters on: live is open or acknowledged; untold, a customer still to hear what was done
STATUSES = ("live", "overdue", "untold", *STATUS)
TITLES = {**STATUS, "untold": "customer not told yet"}


@dataclass(frozen=True)
class Viewer:
    """Someone signed in, and what they may see."""

    person: Person
    everything: bool
    departments: Mapping[int, str]  # id -> name: the departments they own, serve or lead
    handles: frozenset[str]

    @property
    def words(self) -> str:
        if self.everything:
            return "everything, as a CX " + ("admin" if self.person.is_admin else "leader")
        if self.departments:
            return " and ".join(self.departments.values()) + ", and what you raised"
        return "what you reported, own or said \"me too\" on"

    def where(self) -> ColumnElement[bool]:
        return board.scope(everything=self.everything, departments=list(self.departments), handles=self.handles)

    def reads(self, item: PainPoint) -> bool:
        """May read a restricted item's words: an admin, its department, its owner, the people who raised it.
        (`readable` is the same rule in SQL, for lists.)"""
        return (not item.restricted or self.person.is_admin or item.department_id in self.departments
                or bool(self.handles & ({item.reporter, item.owner} | {a.person for a in item.affected_rows})))

    def readable(self) -> ColumnElement[bool]:
        """`reads`, as a column of a list's query."""
        if self.person.is_admin:
            return true()
        p, handles = PainPoint, list(self.handles)
        raised = exists().where(Affected.pain_point_id == p.id, Affected.person.in_(handles))
        return or_(p.restricted.is_(False), p.department_id.in_(list(self.departments)), p.reporter.in_(handles),
                   p.owner.in_(handles), raised)

    @property
    def scorecards(self) -> bool:
        """Scorecards are about departments: for leaders, admins and a department's own people."""
        return self.everything or bool(self.departments)


async def viewer(ctx: Context, identity: str, nonce: str | None = None) -> Viewer | None:
    """Who is signed in under this identity now (roles are read afresh on every page: a role taken away
    shows at once). With `nonce`, only while that sign-in's session is on: from its link's use until it is
    signed out or SESSION_LIFE has passed. None: no such person, or no such session."""
    if nonce is None:
        person = await people.get(session=ctx.session, who=identity)
        if person is None:
            return None
        mine = await departments.served_by(session=ctx.session, handles=access.handles(person))
    else:
        found = await sign_ins.signed_in(session=ctx.session, nonce=nonce, identity=identity,
                                         since=ctx.clock.now() - SESSION_LIFE)
        if found is None:
            return None
        person, mine = found
    return Viewer(person, person.is_admin or person.is_leader, mine, frozenset(access.handles(person)))


async def sign_in(cmd: Command, ctx: Context) -> Outcome:
    """`dashboard`: a personal sign-in link, sent to the asker's own chat with the bot (never into a channel,
    where someone else could use it first), working once, for ten minutes."""
    who = await access.register(ctx, cmd.actor)
    if ctx.links is None:
        raise Refusal("This process does not serve the dashboard (it runs with `cxbot serve` and `./dev start`), "
                      "so I can't give you a link from here.")
    seen = await viewer(ctx, who.identity or "")
    assert seen is not None  # just registered
    nonce, now = secrets.token_urlsafe(24), ctx.clock.now()
    await sign_ins.create(session=ctx.session, nonce=nonce, identity=who.identity or "", at=now,
                          until=now + LINK_LIFE)
    minutes = int(LINK_LIFE.total_seconds() // 60)
    notices = await notify.send(ctx, [who.identity], "dashboard_link", {
        "url": ctx.links.sign_in(nonce), "minutes": minutes, "name": who.display_name, "sees": seen.words,
        "hours": int(SESSION_LIFE.total_seconds() // 3600)})
    return Outcome(replies=[Reply("dashboard_sent", {"minutes": minutes, "sees": seen.words})], notices=notices)


async def signed_in(ctx: Context, nonce: str) -> str | None:
    """Spend a sign-in link: the identity it signs in, or None (used, expired, or never made)."""
    now = ctx.clock.now()
    who = await sign_ins.use(session=ctx.session, nonce=nonce, now=now)
    await sign_ins.prune(session=ctx.session, before=now - SESSION_LIFE - LINK_LIFE - timedelta(days=1))
    return who


async def signed_out(ctx: Context, nonce: str) -> None:
    await sign_ins.end(session=ctx.session, nonce=nonce, at=ctx.clock.now())


@dataclass(frozen=True)
class Filters:
    """What the item list is narrowed to; every value as typed in the page's form (and kept in its links)."""

    department: str = ""
    stage: str = ""
    severity: str = ""
    status: str = ""
    customer: str = ""
    text: str = ""
    weeks: int = 12
    page: int = 1

    @classmethod
    def read(cls, query: Mapping[str, str]) -> Filters:
        """From a page's query string; anything not understood is left out, never an error page."""
        def number(name: str, default: int, allowed: tuple[int, ...] | None = None) -> int:
            try:
                value = int(query.get(name, default))
            except ValueError:
                return default
            return value if (allowed is None and value >= 1) or (allowed and value in allowed) else default

        weeks = query.get("weeks", "12")
        return cls(department=query.get("department", "")[:64], stage=query.get("stage", "")[:64],
                   severity=query.get("severity", "") if query.get("severity") in SEVERITIES else "",
                   status=query.get("status", "") if query.get("status") in STATUSES else "",
                   customer=query.get("customer", "").strip()[:200], text=query.get("text", "").strip()[:200],
                   weeks=0 if weeks == "all" else number("weeks", 12, PERIODS), page=min(number("page", 1), 10_000))

    def query(self, **changes: Any) -> dict[str, str]:
        """The query string of these filters (with `changes`), without what is left at its default."""
        values = {"department": self.department, "stage": self.stage, "severity": self.severity,
                  "status": self.status, "customer": self.customer, "text": self.text,
                  "weeks": "all" if self.weeks == 0 else str(self.weeks), "page": str(self.page), **changes}
        defaults = {"weeks": "12", "page": "1"}
        return {k: str(v) for k, v in values.items() if v and str(v) != defaults.get(k)}


async def narrowed(ctx: Context, seen: Viewer, filters: Filters) -> ColumnElement[bool]:
    p, now = PainPoint, ctx.clock.now()
    where: list[ColumnElement[bool]] = [seen.where()]
    if filters.department:
        found = await departments.get(session=ctx.session, key=filters.department)
        where.append(p.department_id == (found.id if found else -1))
    if filters.stage:
        where.append(p.stage == filters.stage)
    if filters.severity:
        where.append(p.severity == filters.severity)
    if filters.status == "live":
        where.append(p.status.in_(LIVE))
    elif filters.status == "overdue":
        where.append(overdue_now(now))
    elif filters.status == "untold":
        where.append(PainPoint.id.in_(select(FollowUp.pain_point_id).where(FollowUp.status == "pending")))
    elif filters.status:
        where.append(p.status == filters.status)
    if filters.customer:
        where.append(board.customer_is(filters.customer))
    if filters.text:
        where.append(board.text_is(filters.text))
    if filters.weeks:
        where.append(p.created_at >= now - timedelta(weeks=filters.weeks))
    return and_(true(), *where)


def row(now: datetime, item: Row[Any], names: Mapping[str, str]) -> dict[str, Any]:
    """One item as a list shows it (`board.listed`): a restricted one the viewer may not read says only whose
    it is."""
    readable = bool(item.readable)
    return {"ref": f"CX-{item.id}", "summary": item.summary if readable else RESTRICTED, "readable": readable,
            "department": item.department, "stage": item.stage, "severity": item.severity,
            "status": item.status, "status_text": STATUS[item.status],
            "customer": item.customer_ref if readable else None,
            "owner_name": names.get(item.owner) if item.owner else None,
            "reporter_name": names.get(item.reporter) if readable else None,
            "created_at": item.created_at.isoformat(), "age": humanise(now - item.created_at),
            **clock_view(item, now), "affected": int(item.affected),
            "resolution_note": item.resolution_note if readable else None,
            "cause": ": ".join(c for c in (item.cause_category, item.root_cause if readable else None) if c) or None,
            "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None}


async def rows(ctx: Context, items: list[Row[Any]]) -> list[dict[str, Any]]:
    """Items as a list shows them, their owners and reporters named (one read of the people)."""
    names = await people.names(session=ctx.session, whos=[w for i in items for w in (i.owner, i.reporter) if w])
    now = ctx.clock.now()
    return [row(now, i, names) for i in items]


async def these(ctx: Context, seen: Viewer, ids: list[int]) -> list[dict[str, Any]]:
    """These items, in this order, as a list shows them to this viewer."""
    return await rows(ctx, await board.these(session=ctx.session, ids=ids, readable=seen.readable()))


async def listing(ctx: Context, seen: Viewer, filters: Filters) -> dict[str, Any]:
    """A page of the filtered list, with what its filter form offers."""
    where = await narrowed(ctx, seen, filters)
    total, found = await board.items(session=ctx.session, where=where, readable=seen.readable(), limit=PAGE,
                                     offset=(filters.page - 1) * PAGE)
    return {"items": await rows(ctx, found), "total": total, "page": filters.page,
            "pages": max(1, -(-total // PAGE)), "filters": filters, "options": await options(ctx, seen)}


async def options(ctx: Context, seen: Viewer) -> dict[str, Any]:
    known = await departments.listed(session=ctx.session)
    shown = [d for d in known if seen.everything or d[0] in seen.departments] or known
    return {"departments": [{"key": key, "name": name} for _, key, name in shown], "stages": ctx.org.journey_stages,
            "severities": list(SEVERITIES), "statuses": [{"value": s, "title": TITLES.get(s, s)} for s in STATUSES],
            "periods": PERIODS}


async def page(ctx: Context, seen: Viewer, ref: str) -> dict[str, Any] | None:
    """One item with its history in words; None when there is no such item or the viewer may not see it (the
    same answer for both)."""
    found = await pain_points.get(session=ctx.session, ref=ref)
    if found is None:
        return None
    if not seen.everything and not await board.count(session=ctx.session,
                                                     where=and_(PainPoint.id == found.id, seen.where())):
        return None
    if not seen.reads(found):
        return {"item": {"ref": found.ref, "summary": RESTRICTED, "department": found.department.name,
                         "status_text": STATUS[found.status], "restricted": True}, "history": [], "hidden": True}
    events = await pain_points.history(session=ctx.session, item=found)
    names = await people.names(session=ctx.session, whos=[found.reporter, found.owner, *(e.actor for e in events)])
    view = await item_view(ctx, found, buttons=False, names=names)
    if (alike := await similar.repeats(ctx, seen.person, found)) is not None:  # its owners see what it may repeat
        view["similar"] = alike
    return {"item": view, "history": await history_view(ctx, events, names),
            "follow_ups": await follow_up.state(ctx, found), "hidden": False}


EXPORT_COLUMNS = ("ref", "summary", "department", "stage", "severity", "status", "customer", "owner_name",
                  "reporter_name", "created_at", "resolved_at", "affected", "resolution_note", "cause")


async def export(ctx: Context, seen: Viewer, filters: Filters) -> list[dict[str, Any]]:
    """Every item the filters select that the viewer may see, one row each. More than EXPORT_LIMIT is refused
    (with how many, and what to do), never cut short without a word."""
    where = await narrowed(ctx, seen, filters)
    total = await board.count(session=ctx.session, where=where)  # counted before anything is loaded
    if total > EXPORT_LIMIT:
        raise Refusal(f"These filters select {total:,} items; an export holds at most {EXPORT_LIMIT:,}. Narrow them "
                      "(a shorter period, a department, a status) and export again.")
    _, found = await board.items(session=ctx.session, where=where, readable=seen.readable(), limit=EXPORT_LIMIT)
    return [{k: r[k] for k in EXPORT_COLUMNS} for r in await rows(ctx, found)]
