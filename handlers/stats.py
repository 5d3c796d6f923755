"""Stats: how many pain points each department holds, by status, and how many are overdue."""
from __future__ import annotations

from handlers import access, overdue
from handlers.base import Command, Context, Outcome
from storage import departments, pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    await access.register(ctx, cmd.actor)
    now = ctx.clock.now()
    rows = []
    for department in await departments.all(session=ctx.session):
        counts = await pain_points.counts_by_status(session=ctx.session, department_id=department.id)
        late = await pain_points.overdue_count(session=ctx.session, overdue=overdue.clause(now),
                                              department_id=department.id)
        rows.append({"department": department.name, "open": counts.get("open", 0),
                     "acknowledged": counts.get("acknowledged", 0), "resolved": counts.get("resolved", 0),
                     "declined": counts.get("declined", 0), "overdue": late})
    totals = await pain_points.counts_by_status(session=ctx.session)
    return Outcome.reply("stats", rows=rows, total=sum(totals.values()), totals=totals,
                         overdue=await pain_points.overdue_count(session=ctx.session, overdue=overdue.clause(now)))
