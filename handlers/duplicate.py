"""Mark a duplicate: it closes, and its reporter hears back when the original is resolved."""
from __future__ import annotations

from handlers import access, act, notify
from handlers.base import Command, Context, Outcome, Refusal
from handlers.views import item_view
from storage import pain_points
from storage.models import LIVE


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "duplicate")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    original = await access.item(ctx, cmd.fields.get("of"), who)
    while original.status == "duplicate" and original.duplicate_of_id:  # no chains: point to the root
        original = await access.item(ctx, str(original.duplicate_of_id), who)
    if original.id == item.id:
        raise Refusal(f"{item.ref} can't be a duplicate of itself.")
    if original.status not in LIVE:  # its reporter would wait for an outcome that has already come
        raise Refusal(f"{original.ref} is already {original.status}, so {item.ref}'s reporter would never hear "
                      f"back. If it is the same pain, reopen {original.ref} first (reopen {original.ref} <why>); "
                      f"else resolve or decline {item.ref} on its own.")
    now = ctx.clock.now()
    await pain_points.repoint_duplicates(session=ctx.session, of=item, to=original)
    item.status, item.duplicate_of_id, item.closed_at = "duplicate", original.id, now
    await pain_points.unsnooze(session=ctx.session, item=item, at=now)
    await pain_points.record(session=ctx.session, item=item, action="duplicate", actor=who.identity or "", at=now,
                             note=f"duplicate of {original.ref}", of=original.ref)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, [item.reporter], "merged",
                                {"item": view, "original": await item_view(ctx, original), "by": who.display_name},
                                skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices, original.ref)
