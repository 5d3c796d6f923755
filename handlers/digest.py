"""The weekly accountability digest: per department what came in, was acknowledged and resolved, what is
overdue and with whom, how fast, where in the journey customers hurt, and the wins worth celebrating."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from handlers import access
from handlers import overdue as late
from handlers.base import Command, Context, Notice, Outcome, Refusal, Reply
from handlers.clock import humanise
from handlers.views import list_view
from storage import departments, outbox, pain_points, people, reports
from storage.claims import insert_ignore
from storage.models import DigestSent

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)


def bounds(ctx: Context, week: str | None) -> tuple[str, datetime, datetime]:
    """An ISO week ('2026-W48'; default: the last complete week) as (label, start, end) in the org's zone."""
    zone = ctx.org.zone
    if week:
        match = WEEK.match(week.strip())
        if not match:
            raise Refusal(f"{week[:20]!r} is not a week like 2026-W48.", field="week")
        try:
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
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


async def view(ctx: Context, label: str, start: datetime, end: datetime,
               department_id: int | None = None) -> dict[str, Any]:
    session, now = ctx.session, ctx.clock.now()
    rows = await reports.week(session=session, start=start, end=end, department_id=department_id)
    new = sum(r.new for r in rows)
    resolved = sum(r.resolved for r in rows)
    before_new, before_resolved = await reports.totals(session=session, start=start - timedelta(days=7),
                                                       end=start, department_id=department_id)
    table = [{"department": r.department, "new": r.new, "acknowledged": r.acknowledged, "resolved": r.resolved,
              "declined": r.declined, "open": r.open, "overdue": r.overdue,
              "in_sla": round(100 * r.acknowledged_in_sla / r.acknowledged) if r.acknowledged else None,
              "median_ack": duration(r.median_ack), "median_resolve": duration(r.median_resolve)} for r in rows]
    active = [t for t in table if t["new"] or t["acknowledged"] or t["resolved"] or t["open"]]
    overdue = await pain_points.overdue(session=session, overdue=late.clause(min(now, end)), limit=5,
                                        department_id=department_id)
    overdue_view = await list_view(ctx, overdue)
    for entry, item in zip(overdue_view, overdue, strict=True):
        due = item.ack_due_at if item.status == "open" else item.resolve_due_at
        entry["late_by"] = humanise(min(now, end) - due)
    won = await reports.wins(session=session, start=start, end=end, department_id=department_id)
    scored = [r for r in rows if r.acknowledged]
    best = max(scored, key=lambda r: (r.acknowledged_in_sla / r.acknowledged, r.resolved), default=None)
    return {
        "week": label, "week_number": int(label.split("W")[1]), "start": start.isoformat(),
        "end": end.isoformat(), "new": new, "resolved": resolved,
        "overdue": sum(r.overdue for r in rows),
        "change": round(100 * (new - before_new) / before_new) if before_new else None,
        "resolved_before": before_resolved,
        "rows": active, "stages": [{"stage": s, "count": c} for s, c in await reports.stages(
            session=session, start=start, end=end, department_id=department_id)],
        "overdue_items": overdue_view,
        "wins": [{"ref": w.ref, "summary": w.summary, "department": w.department.name,
                  "note": w.resolution_note} for w in won],
        "best": {"department": best.department, "in_sla": round(100 * best.acknowledged_in_sla / best.acknowledged),
                 "resolved": best.resolved} if best and best.acknowledged_in_sla else None,
        "department": rows[0].department if department_id is not None and rows else None,
    }


async def preview(cmd: Command, ctx: Context) -> Outcome:
    """On demand, for leaders and admins (and the CLI)."""
    if not cmd.actor.identity.startswith("system:"):
        access.require_leader(await access.register(ctx, cmd.actor), "see the accountability digest")
    label, start, end = bounds(ctx, cmd.fields.get("week"))
    return Outcome.reply("digest", **await view(ctx, label, start, end))


async def send(cmd: Command, ctx: Context) -> Outcome:
    """Claim and queue the week's digests: leadership's, and each department's. Each goes out once."""
    label, start, end = bounds(ctx, cmd.fields.get("week"))
    now = ctx.clock.now()
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
        if not await insert_ignore(session=ctx.session, table=DigestSent, conflict=["period", "destination"],
                                   values={"period": label, "destination": destination, "at": now}):
            continue  # another replica (or an earlier run) sent this one
        if department_id not in views:
            views[department_id] = await view(ctx, label, start, end, department_id)
        await outbox.enqueue(session=ctx.session, recipient=destination, template="digest",
                             payload=views[department_id], at=now)
        sent.append(destination)
        notices.append(Notice(destination, "digest", views[department_id]))
    return Outcome(replies=[Reply("digest_report", {"week": label, "sent": sent, "skipped": len(plan) - len(sent)})],
                   notices=notices)
