"""Resolve: the loop closes. The reporter, everyone affected and the duplicates' reporters hear what was done."""
from __future__ import annotations

from handlers import act, notify, text
from handlers.base import Command, Context, Outcome
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "resolve")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    note = text.block(cmd.fields.get("note"), label="resolution note", field="note", limit=4000, required=True)
    cause = text.block(cmd.fields.get("cause"), label="root cause", field="cause", limit=2000)
    now = ctx.clock.now()
    item.status, item.resolved_at, item.closed_at, item.snoozed_until = "resolved", now, now, None
    item.resolution_note, item.root_cause = note, cause
    await pain_points.record(session=ctx.session, item=item, action="resolve", actor=who.identity or "", at=now,
                             note=note, root_cause=cause)
    view = await item_view(ctx, item)
    audience = [item.reporter] + [a.person for a in await pain_points.affected(session=ctx.session, item=item)]
    duplicates = await pain_points.duplicates_of(session=ctx.session, item=item)
    for duplicate in duplicates:
        audience.append(duplicate.reporter)
        audience += [a.person for a in await pain_points.affected(session=ctx.session, item=duplicate)]
    notices = await notify.send(ctx, audience, "resolved",
                                {"item": view, "by": who.display_name, "department": item.department.name},
                                skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices, note)
