"""Comment: anyone adds a note; the owner and the reporter hear of it."""
from __future__ import annotations

from handlers import act, notify, text
from handlers.base import Command, Context, Outcome
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "comment")
    note = text.block(cmd.fields.get("text"), label="comment", field="text", limit=4000, required=True)
    now = ctx.clock.now()
    await pain_points.record(session=ctx.session, item=item, action="comment", actor=who.identity or "", at=now,
                             note=note)
    view = await item_view(ctx, item)
    owners = await notify.owners_of(ctx, item)
    notices = await notify.send(ctx, [*owners, item.reporter], "commented",
                                {"item": view, "by": who.display_name, "note": note}, skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices, note)
