"""The weekly accountability digest: per department what came in, was acknowledged and resolved, what is
overdue and with whom, how fast, where in the journey customers hurt, and the wins worth celebrating.

A complete week's figures stand as at its end. A week in progress is "so far": its figures as of now, its
overdue figure and list the very ones `overdue` shows now. A week that has not begun is refused, and only
complete weeks are sent."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, true

from handlers import access, follow_up, ratings
from handlers import overdue as late
from handlers.base import Command, Context, Notice, Outcome, Refusal, Reply
from handlers.clock import humanise
from handlers.views import list_view
from storage import board, departments, outbox, pain_points, people, reports
from storage.claims import insert_ignore
from storage.models import DigestSent, PainPoint

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
MEANINGFUL = 3  # acknowledgements a department needs in a week before its SLA record is called the best


def bounds(ctx: Context, week: str | None) -> tuple[str, datetime, datetime]:
    """An ISO week ('2026-W48'; default: the last complete week) as (label, start, end) in the org's zone."""
    zone = ctx.org.zone
    if week:
        match = WEEK.match(week.strip())
        if not match:
            raise Refusal(f"{week[:20]!r} is not a week like 2026-W48.", field="week")
        try:
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            for day in (monday - timedelta(days=7), monday + timedelta(days=7)):  # the week before and its end
                datetime.combine(day, time(0), zone)
        except (ValueError, OverflowError):
            raise Refusal(f"{week[:20]!r} is not a week of that year.", field="week") from None
    else:
        today = ctx.clock.now().astimezone(zone).date()
        monday = today - timedelta(days=today.weekday() + 7)
    start = datetime.combine(monday, time(0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}", start, end


def duration(seconds: float | None) -> str | None:
    return None if seconds is None else humanise(timedelta(seconds=seconds))


def dates(start: datetime, end: datetime, zone: Any) -> str:
    """'23-29 Nov 2026', '30 Nov - 6 Dec 2026', '29 Dec 2025 - 4 Jan 2026'."""
    first, last = start.astimezone(zone).date(), (end - timedelta(days=1)).astimezone(zone).date()
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
    return f"{first.day}-{last.day} {last:%b %Y}"


RESTRICTED = "(a restricted item)"


async def view(ctx: Context, label: str, start: datetime, end: datetime,
               department_id: int | None = None) -> dict[str, Any]:
    session, now = ctx.session, ctx.clock.now()
    in_progress = end > now
    as_of = now if in_progress else end
    # a week in progress counts overdue as `overdue` does now; a complete one as it stood at its end
    rule = late.clause(now) if in_progress else reports.overdue_at(end)
    # counted over every open item by the clocks alone, less the items snoozed at the end (from its few snoozes)
    clocks = rule if in_progress else reports.overdue_at(end, snoozes=False)
    rows = await reports.week(session=session, start=start, end=end, overdue=clocks, department_id=department_id,
                              snoozed=None if in_progress else end)
    new = sum(r.new for r in rows)
    resolved = sum(r.resolved for r in rows)
    before_new, before_resolved = await reports.totals(session=session, start=start - timedelta(days=7),
                                                       end=start, department_id=department_id)
    table = [{"department": r.department, "new": r.new, "acknowledged": r.acknowledged, "resolved": r.resolved,
              "declined": r.declined, "open": r.open, "overdue": r.overdue,
              "in_sla": round(100 * r.acknowledged_in_sla / r.acknowledged) if r.acknowledged else None,
              "median_ack": duration(r.median_ack), "median_resolve": duration(r.median_resolve)} for r in rows]
    active = [t for t in table if t["new"] or t["acknowledged"] or t["resolved"] or t["open"]]
    overdue = await pain_points.overdue(session=session, overdue=rule, limit=5, department_id=department_id,
                                        closed_since=None if in_progress else end)
    overdue_view = await list_view(ctx, overdue)
    for entry, item in zip(overdue_view, overdue, strict=True):
        unacked = item.acknowledged_at is None or item.acknowledged_at >= as_of
        due = item.ack_due_at if unacked and item.ack_due_at < as_of else item.resolve_due_at
        entry["late_by"] = humanise(as_of - due)
        if item.restricted:  # the digest is read in channels: who owns it and how late, not what it is about
            entry["summary"] = RESTRICTED
    where = of_department(department_id)
    won = await reports.wins(session=session, start=start, end=end, where=where)
    told, told_total = await follow_up.told_by_department(ctx, start, end, as_of, where)
    names = {r.department_id: r.department for r in rows}
    _, rated = await ratings.by_department(ctx, start, end, where)
    on_customers, on_teams, waited = await reports.waiting(session=session, start=start, end=end, where=where)
    # the best SLA record: a department that acknowledged enough to mean something, and resolved something
    scored = [r for r in rows if r.acknowledged >= MEANINGFUL and r.resolved and r.acknowledged_in_sla]
    best = max(scored, key=lambda r: (r.acknowledged_in_sla / r.acknowledged, r.resolved), default=None)
    return {
        "week": label, "week_number": int(label.split("W")[1]), "start": start.isoformat(),
        "end": end.isoformat(), "dates": dates(start, end, ctx.org.zone), "year": start.astimezone(
            ctx.org.zone).isocalendar()[0], "in_progress": in_progress, "as_of": as_of.isoformat(),
        "quiet": not any(t["new"] or t["acknowledged"] or t["resolved"] or t["open"] for t in table),
        "new": new, "resolved": resolved,
        "overdue": sum(r.overdue for r in rows),
        "change": round(100 * (new - before_new) / before_new) if before_new else None,
        "resolved_before": before_resolved,
        "rows": active, "stages": [{"stage": s, "count": c} for s, c in await reports.stages(
            session=session, start=start, end=end, department_id=department_id)],
        "overdue_items": overdue_view,
        "wins": [{"ref": w.ref, "summary": RESTRICTED if w.restricted else w.summary, "department": w.department.name,
                  "note": None if w.restricted else w.resolution_note} for w in won],
        "best": {"department": best.department, "in_sla": round(100 * best.acknowledged_in_sla / best.acknowledged),
                 "resolved": best.resolved} if best else None,
        "department": rows[0].department if department_id is not None and rows else None,
        "causes": await top_causes(ctx, start, end, department_id),
        "rated": rated,  # how well the fixes worked, by the ratings given in the week
        # the fair clock: what waits now (its SLA paused), and the working time the week's closed items waited
        "waiting": {"customers": on_customers, "teams": on_teams, "waited": duration(waited) if waited else None}
        if on_customers or on_teams or waited else None,
        "told": told_total,  # customers told of what was done, of those resolved or declined in the week
        "told_by_department": [{"department": names.get(d, "?"), **t} for d, t in sorted(
            told.items(), key=lambda dt: names.get(dt[0], "")) if t] if department_id is None else [],
        "dashboard": ctx.links.page() if ctx.links else None,
    }


def of_department(department_id: int | None) -> ColumnElement[bool]:
    """The items of one department's digest (None: leadership's, every item)."""
    return true() if department_id is None else PainPoint.department_id == department_id


async def top_causes(ctx: Context, start: datetime, end: datetime, department_id: int | None,
                     limit: int = 3) -> list[dict[str, Any]]:
    """The root causes filed most often on what was resolved in the week (the dashboard's own count)."""
    counted: Counter[str] = Counter()
    for _, _, n, category in await board.causes(session=ctx.session, start=start, end=end,
                                                where=of_department(department_id)):
        if category is not None:
            counted[category] += n
    return [{"cause": c, "count": n} for c, n in counted.most_common(limit)]


async def preview(cmd: Command, ctx: Context) -> Outcome:
    """On demand, for leaders and admins (and the CLI)."""
    if not cmd.actor.identity.startswith("system:"):
        access.require_leader(await access.register(ctx, cmd.actor), "see the accountability digest")
    label, start, end = bounds(ctx, cmd.fields.get("week"))
    if start > ctx.clock.now():
        raise Refusal(f"{label} has not begun yet: there is nothing to count. Try the last complete week, or "
                      "'digest' alone.", field="week")
    return Outcome.reply("digest", **await view(ctx, label, start, end))


async def send(cmd: Command, ctx: Context) -> Outcome:
    """Claim and queue a complete week's digests: leadership's, and each department's. Each (week, destination,
    department) goes out once: an owner of two departments, or a channel two departments share, gets both."""
    label, start, end = bounds(ctx, cmd.fields.get("week"))
    now = ctx.clock.now()
    if end > now:
        raise Refusal(f"{label} is not over yet: only complete weeks are sent (preview it with 'digest "
                      f"{label}').", field="week")
    leadership = [f"slack-channel:{c}" for c in [ctx.org.digest.slack_channel] if c]
    leadership += [f"teams-channel:{c}" for c in [ctx.org.digest.teams_channel] if c]
    if not leadership:
        leadership = await people.identities(session=ctx.session, leaders=True)
    plan: list[tuple[str, int | None]] = [(d, None) for d in leadership]
    if ctx.org.digest.departments:
        for department in await departments.all(session=ctx.session):
            places = [f"slack-channel:{c}" for c in [department.slack_channel] if c]
            places += [f"teams-channel:{c}" for c in [department.teams_channel] if c]
            plan += [(p, department.id) for p in places or department.named("owner")]
    sent, notices, views = [], [], {}
    for destination, department_id in plan:
        period = label if department_id is None else f"{label}/{department_id}"  # one claim per department
        if not await insert_ignore(session=ctx.session, table=DigestSent, conflict=["period", "destination"],
                                   values={"period": period, "destination": destination, "at": now}):
            continue  # another replica (or an earlier run) sent this one
        if department_id not in views:
            views[department_id] = await view(ctx, label, start, end, department_id)
        await outbox.enqueue(session=ctx.session, recipient=destination, template="digest",
                             payload=views[department_id], at=now)
        sent.append(destination)
        notices.append(Notice(destination, "digest", views[department_id]))
    return Outcome(replies=[Reply("digest_report", {"week": label, "sent": sent, "skipped": len(plan) - len(sent)})],
                   notices=notices)
