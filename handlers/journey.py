"""The dashboard's figures: wins first, then where on the customer journey it hurts (and why), and each
department's scorecard. The weekly counts are the digest's own (storage.reports: one definition of each figure);
the journey map, trends and causes are storage.board's."""
from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import follow_up, ratings
from handlers.base import Context
from handlers.dashboard import Viewer, these
from handlers.digest import MEANINGFUL, duration
from handlers.overdue import clause as overdue_now
from storage import board, departments, pain_points, reports
from storage.models import PainPoint

WEIGHTS = {"low": 1, "medium": 2, "high": 3, "critical": 5}  # how much more a severe pain point counts
SYSTEMIC = (4, 3)  # a cause filed this many times at one stage within this many weeks is systemic
SCORE_WEEKS = 12
Result = TypeVar("Result")
Listed = list[tuple[int, str, str]]  # departments as storage.departments.listed reads them: (id, key, name)


class Beside(Generic[Result]):
    """A figure read beside the rest of a page (`beside`); its result once the block is left."""

    def __init__(self, ctx: Context, read: Callable[[AsyncSession], Awaitable[Result]]) -> None:
        self.ctx, self.read = ctx, read
        self.task: asyncio.Future[Result] | None = None
        self.value: Result | None = None

    async def __aenter__(self) -> Beside[Result]:
        if self.ctx.aside is not None:
            self.task = asyncio.ensure_future(self._aside(self.ctx.aside))
        else:  # one transaction reads one statement at a time: first this, then the rest
            self.value = await self.read(self.ctx.session)
        return self

    async def _aside(self, aside: Callable[[], AbstractAsyncContextManager[AsyncSession]]) -> Result:
        async with aside() as session:
            await board.roomy(session)
            return await self.read(session)

    async def __aexit__(self, *_: object) -> None:
        if self.task is not None:
            self.value = await self.task

    def result(self) -> Result:
        if self.value is None:
            raise RuntimeError("a figure read beside is there once its block is left")
        return self.value


def beside(ctx: Context, read: Callable[[AsyncSession], Awaitable[Result]]) -> Beside[Result]:
    """Read a heavy, independent figure on another read-only connection while the block reads the rest
    (PostgreSQL: the database works on both at once); where there is none, before the block, in the same
    transaction."""
    return Beside(ctx, read)


async def departments_seen(ctx: Context, seen: Viewer, listed: Listed | None = None) -> Listed:
    """(id, key, name) of the departments whose figures the viewer sees: all for leaders and admins."""
    listed = listed if listed is not None else await departments.listed(session=ctx.session)
    return [d for d in listed if seen.everything or d[0] in seen.departments]


def weeks_of(weekly: dict[tuple[int, int], reports.Weekly], department_id: int) -> list[reports.Weekly]:
    """A department's figures for each of the SCORE_WEEKS weeks, oldest first (a week with nothing: zeros)."""
    return [weekly.get((department_id, n), reports.Weekly()) for n in range(SCORE_WEEKS)]


async def overview(ctx: Context, seen: Viewer, weeks: int) -> dict[str, Any]:
    await board.roomy(ctx.session)
    now = ctx.clock.now()
    start = now - timedelta(weeks=weeks)
    where = seen.where()
    listed = await departments.listed(session=ctx.session)
    known = {i: (key, name) for i, key, name in listed}

    def cells(session: AsyncSession) -> Awaitable[list[board.Cell]]:
        return board.journey(session=session, start=start, end=now, where=where, weights=WEIGHTS)

    def medians(session: AsyncSession) -> Awaitable[dict[tuple[str, int], float]]:
        return board.journey_medians(session=session, start=start, end=now, where=where)

    def trend_of(session: AsyncSession) -> Awaitable[dict[tuple[Any, int], int]]:
        return board.weekly(session=session, start=start, end=now, where=where, by=PainPoint.stage)

    def causes_of(session: AsyncSession) -> Awaitable[dict[str, Any]]:
        return causes(session, ctx, seen, weeks, listed)

    # the heavy figures, each a pass over the period's items, read side by side (PostgreSQL)
    async with (beside(ctx, medians) as median_of, beside(ctx, cells) as counted, beside(ctx, trend_of) as weekly,
                beside(ctx, causes_of) as why_of):
        won = await wins(ctx, seen, start, now, listed)
    found, middle, trend, why = counted.result(), median_of.result(), weekly.result(), why_of.result()
    won["resolved_total"] = why["resolved"]
    stages = ctx.org.journey_stages + sorted({c.stage for c in found} - set(ctx.org.journey_stages))
    used = sorted({c.department_id for c in found}, key=lambda d: known[d][1].lower() if d in known else "")
    heaviest = max((c.weight for c in found), default=0)
    grid = {f"{c.stage}|{c.department_id}": {
        "count": c.items, "weight": c.weight, "median_resolve": duration(middle.get((c.stage, c.department_id))),
        "level": min(4, 1 + (4 * c.weight) // (heaviest + 1)), "department": known[c.department_id][0]
        if c.department_id in known else ""} for c in found}
    return {
        "weeks": weeks, "wins": won,
        "stages": stages,
        "departments": [{"id": d, "key": known[d][0], "name": known[d][1]} for d in used if d in known],
        "grid": grid,
        "stage_totals": {s: sum(c.items for c in found if c.stage == s) for s in stages},
        "trend": [{"stage": s, "weeks": [trend.get((s, n), 0) for n in range(weeks)]} for s in stages],
        "week_starts": [f"{(start + timedelta(weeks=n)).astimezone(ctx.org.zone):%d %b}" for n in range(weeks)],
        "causes": why,
        "total": sum(c.items for c in found),
    }


async def wins(ctx: Context, seen: Viewer, start: datetime, end: datetime, listed: Listed) -> dict[str, Any]:
    """"You said, we did": what was resolved (with what was done), the fixes people confirmed, the
    departments that acknowledged everything in time over 12 weeks, and their streaks of weeks doing so."""
    where = seen.where()
    resolved = await reports.wins(session=ctx.session, start=start, end=end, where=where, limit=10)
    confirmed_total, confirmed = await board.confirmed(session=ctx.session, start=start, end=end, where=where)
    shown = await these(ctx, seen, [i.id for i in resolved] + confirmed)
    records = await sla_records(ctx, seen, listed) if seen.scorecards else []
    return {"resolved": shown[:len(resolved)],
            "confirmed_total": confirmed_total, "confirmed": shown[len(resolved):],
            "met_sla": [r for r in records if r["met_sla"]],
            "streaks": sorted((r for r in records if r["streak"] >= 2), key=lambda r: -r["streak"])}


async def causes(session: AsyncSession, ctx: Context, seen: Viewer, weeks: int, listed: Listed) -> dict[str, Any]:
    """Root causes of what was resolved in the period, by stage and department; a cause filed again and again at
    one stage lately is flagged systemic ("billing / product defect: 9 in 4 weeks"). One count of the period's
    resolutions gives the causes, the unfiled ones and the total."""
    now = ctx.clock.now()
    known = {i: name for i, _, name in listed}
    found = await board.causes(session=session, start=now - timedelta(weeks=weeks), end=now, where=seen.where())
    recent_weeks, threshold = SYSTEMIC
    recent = found if recent_weeks == weeks else await board.causes(
        session=session, start=now - timedelta(weeks=recent_weeks), end=now, where=seen.where())
    by_stage: Counter[tuple[str, str]] = Counter()
    for stage, _, n, category in recent:
        if category is not None:
            by_stage[(stage, category)] += n
    total: Counter[str] = Counter()
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for stage, dep, n, category in found:
        if category is not None:
            total[category] += n
            table[category][f"{stage} / {known.get(dep, '?')}"] += n
    return {"top": [{"cause": c, "count": n, "where": [{"place": p, "count": k} for p, k in table[c].most_common(3)]}
                    for c, n in total.most_common()],
            "systemic": [{"stage": s, "cause": c, "count": n, "weeks": recent_weeks}
                         for (s, c), n in by_stage.most_common() if n >= threshold],
            "uncategorised": sum(n for _, _, n, category in found if category is None),
            "resolved": sum(n for _, _, n, _ in found), "categories": ctx.org.root_causes}


def hours(seconds: float | None) -> float | None:
    """A median for a chart's bar: hours, kept fine enough that a minute's median still draws one (to one decimal,
    it was 0.0 and drew none); None: nothing to take it over. The figures written out are durations."""
    return None if seconds is None else round(seconds / 3600, 4)


def in_time(by_week: list[reports.Weekly]) -> tuple[list[int | None], int]:
    """Each week's share of acknowledgements inside the SLA (None: none to count), and the streak of weeks
    running, up to now, with every one in time (a week with none neither breaks nor counts)."""
    sla = [round(100 * r.acknowledged_in_sla / r.acknowledged) if r.acknowledged else None for r in by_week]
    streak = 0
    for figure in reversed(sla):
        if figure is None:
            continue
        if figure != 100:
            break
        streak += 1
    return sla, streak


async def sla_records(ctx: Context, seen: Viewer, listed: Listed) -> list[dict[str, Any]]:
    """Per department the viewer may see: whether it acknowledged everything in time over 12 weeks (enough of
    them to mean something), and its streak (from the weekly acknowledgements only)."""
    now = ctx.clock.now()
    weekly = await reports.weekly(session=ctx.session, start=now - timedelta(weeks=SCORE_WEEKS), weeks=SCORE_WEEKS,
                                  overdue_now=None)
    records = []
    for department_id, _, name in await departments_seen(ctx, seen, listed):
        by_week = weeks_of(weekly, department_id)
        acked, in_sla = sum(w.acknowledged for w in by_week), sum(w.acknowledged_in_sla for w in by_week)
        records.append({"department": name, "streak": in_time(by_week)[1],
                        "met_sla": acked >= MEANINGFUL and in_sla == acked})
    return records


async def scorecard_rows(ctx: Context, seen: Viewer) -> list[dict[str, Any]]:
    """Per department the viewer may see, over the last 12 weeks: in, acknowledged within SLA, resolved,
    overdue now, median times, and each week's figures for the trend. The digest's own counts, week by week
    (`reports.weekly`), added up; the period's medians read beside them."""
    await board.roomy(ctx.session)
    now = ctx.clock.now()
    rule, start = overdue_now(now), now - timedelta(weeks=SCORE_WEEKS)

    def period_medians(session: AsyncSession) -> Awaitable[tuple[dict[int, float], dict[int, float]]]:
        return twelve_week_medians(session, start, now)

    async with beside(ctx, period_medians) as reading:  # the weeks' figures add up to the period's
        weekly = await reports.weekly(session=ctx.session, start=start, weeks=SCORE_WEEKS, overdue_now=rule)
    ack, resolve = reading.result()
    told, _ = await follow_up.told_by_department(ctx, start, now, now, seen.where())
    rated, _ = await ratings.by_department(ctx, start, now, seen.where())
    cards = []
    for department_id, key, name in await departments_seen(ctx, seen):
        by_week = weeks_of(weekly, department_id)
        total = reports.Weekly(**{f: sum(getattr(w, f) for w in by_week) for f in (
            "new", "acknowledged", "acknowledged_in_sla", "resolved", "declined", "open")},
            overdue=by_week[-1].overdue, median_ack=ack.get(department_id), median_resolve=resolve.get(department_id))
        sla, streak = in_time(by_week)
        cards.append({
            "department_id": department_id, "department": name, "key": key, "in": total.new,
            "acknowledged": total.acknowledged,
            "in_sla": round(100 * total.acknowledged_in_sla / total.acknowledged) if total.acknowledged else None,
            "resolved": total.resolved, "declined": total.declined, "open": total.open, "overdue": total.overdue,
            "median_ack": duration(total.median_ack), "median_resolve": duration(total.median_resolve),
            "trend": {"in": [r.new for r in by_week], "resolved": [r.resolved for r in by_week], "in_sla": sla,
                      "overdue": [r.overdue for r in by_week],
                      "median_ack": [hours(r.median_ack) for r in by_week],
                      "median_resolve": [hours(r.median_resolve) for r in by_week],
                      # written out as durations: a minute's median in hours read "0.0", as if nothing had taken time
                      "median_ack_text": [duration(r.median_ack) for r in by_week],
                      "median_resolve_text": [duration(r.median_resolve) for r in by_week]},
            "streak": streak, "told": told.get(department_id), "rated": rated.get(department_id),
            "rating": (rated.get(department_id) or {}).get("average"),
            "customers_told": (told.get(department_id) or {}).get("told", 0),
            "customers_owed": (told.get(department_id) or {}).get("owed", 0)})
    return cards


async def twelve_week_medians(session: AsyncSession, start: datetime, end: datetime
                              ) -> tuple[dict[int, float], dict[int, float]]:
    """Per department, the period's median times to acknowledge and to resolve (the digest's `medians`)."""
    p = PainPoint
    return (await reports.medians(session=session, moment=p.acknowledged_at, since=p.created_at, start=start,
                                  end=end, department_id=None),
            await reports.medians(session=session, moment=p.resolved_at, since=p.created_at, start=start,
                                  end=end, department_id=None))


async def scorecards(ctx: Context, seen: Viewer) -> dict[str, Any]:
    now = ctx.clock.now()
    cards = [r for r in await scorecard_rows(ctx, seen)
             if r["in"] or r["acknowledged"] or r["resolved"] or r["open"] or r["customers_owed"] or r["rated"]]
    late = await pain_points.overdue(session=ctx.session, overdue=and_(overdue_now(now), seen.where()), limit=25)
    return {"rows": cards, "weeks": SCORE_WEEKS, "overdue": await these(ctx, seen, [i.id for i in late])}


SCORE_COLUMNS = ("department", "in", "acknowledged", "in_sla", "resolved", "declined", "open", "overdue",
                 "median_ack", "median_resolve", "customers_told", "customers_owed", "rating")
