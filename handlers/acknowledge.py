"""Acknowledge: the owner says "this is ours, we're on it"; the reporter hears so."""
from __future__ import annotations

from handlers import access, act, notify
from handlers.base import Command, Context, Outcome
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "acknowledge")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    now = ctx.clock.now()
    if access.is_member(who, item.department):  # whoever in the department acknowledges, owns it
        item.owner = who.identity
    item.status, item.acknowledged_at = "acknowledged", now
    await pain_points.record(session=ctx.session, item=item, action="acknowledge", actor=who.identity or "", at=now,
                             due=item.ack_due_at.isoformat())  # the SLA it was acknowledged against
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, [item.reporter], "acknowledged", {"item": view, "by": who.display_name},
                                skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices)
