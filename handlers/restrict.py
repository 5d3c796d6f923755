"""Restrict an item: only the people who raised it, its department and admins see it (a customer's private
matter, an employee's complaint); or make it visible to everyone again."""
from __future__ import annotations

from handlers import act
from handlers.base import Command, Context, Outcome, Refusal
from storage import pain_points


async def restrict(cmd: Command, ctx: Context) -> Outcome:
    return await mark(cmd, ctx, "restrict", restricted=True)


async def unrestrict(cmd: Command, ctx: Context) -> Outcome:
    return await mark(cmd, ctx, "unrestrict", restricted=False)


async def mark(cmd: Command, ctx: Context, action_id: str, *, restricted: bool) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, action_id)
    if item.restricted == restricted:
        raise Refusal(f"{item.ref} is already {'restricted' if restricted else 'visible to everyone'}. "
                      "Nothing changed.")
    item.restricted = restricted
    await pain_points.record(session=ctx.session, item=item, action=action_id, actor=who.identity or "",
                             at=ctx.clock.now())
    return await act.done(ctx, item, who, taken, [])
