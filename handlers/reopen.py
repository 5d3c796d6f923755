"""Reopen a resolved or declined item (its owners, admins, or the people who raised it), or confirm a fix."""
from __future__ import annotations

from handlers import act, notify, text
from handlers.base import Command, Context, Outcome
from handlers.clock import add_working_time
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "reopen")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    reason = text.block(cmd.fields.get("reason"), label="reason", field="reason", limit=2000)
    now = ctx.clock.now()
    sla = ctx.org.sla_for(item.severity)
    hours, zone = ctx.org.working_hours, ctx.org.zone
    item.status, item.acknowledged_at, item.resolved_at, item.closed_at = "open", None, None, None
    item.ack_due_at = add_working_time(now, sla.acknowledge, hours, zone)
    item.resolve_due_at = add_working_time(now, sla.resolve, hours, zone)
    await pain_points.record(session=ctx.session, item=item, action="reopen", actor=who.identity or "", at=now,
                             note=reason)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, await notify.owners_of(ctx, item), "reopened",
                                {"item": view, "by": who.display_name, "note": reason}, skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices, reason)


async def confirm(cmd: Command, ctx: Context) -> Outcome:
    """"Did this fix it? Yes": the people who raised it confirm, and the owner hears the win."""
    who, item, taken = await act.prepare(cmd, ctx, "fixed")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    now = ctx.clock.now()
    await pain_points.record(session=ctx.session, item=item, action="confirm", actor=who.identity or "", at=now)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, await notify.owners_of(ctx, item), "confirmed",
                                {"item": view, "by": who.display_name}, skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices)
