"""Decline: not ours to fix, with a reason the reporter reads."""
from __future__ import annotations

from handlers import act, follow_up, notify, text
from handlers.base import Command, Context, Outcome
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "decline")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    reason = text.block(cmd.fields.get("reason"), label="reason for declining", field="reason", limit=2000,
                        required=True)
    now = ctx.clock.now()
    item.status, item.closed_at, item.decline_reason = "declined", now, reason
    await pain_points.unsnooze(session=ctx.session, item=item, at=now)
    await pain_points.record(session=ctx.session, item=item, action="decline", actor=who.identity or "", at=now,
                             note=reason)
    view = await item_view(ctx, item)
    audience = [item.reporter] + [a.person for a in await pain_points.affected(session=ctx.session, item=item)]
    notices = await notify.send(ctx, audience, "declined",
                                {"item": view, "by": who.display_name, "note": reason}, skip=[who.identity])
    notices += (await follow_up.open_for(ctx, item, view))[0]  # the customers they raised it for are to hear
    return await act.done(ctx, item, who, taken, notices, reason)
