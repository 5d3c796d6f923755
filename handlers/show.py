"""Show one pain point with its history."""
from __future__ import annotations

from handlers import access, follow_up, similar
from handlers.base import Command, Context, Outcome
from handlers.views import history_view, item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    item = await access.item(ctx, cmd.ref, who)
    events = await pain_points.history(session=ctx.session, item=item)
    view = {**await item_view(ctx, item), "follow_ups": await follow_up.state(ctx, item)}
    if (alike := await similar.repeats(ctx, who, item)) is not None:  # its owners see what it may repeat
        view["similar"] = alike
    return Outcome.reply("item", item=view, history=await history_view(ctx, events))
