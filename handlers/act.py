"""What every action on a pain point shares: find it, check who acts, answer stale requests with the state."""
from __future__ import annotations

from handlers import access
from handlers.base import Command, Context, Notice, Outcome, Reply
from handlers.views import item_view
from storage import pain_points, people
from storage.models import PainPoint, Person


async def prepare(cmd: Command, ctx: Context, verb: str, *, check: bool = True) -> tuple[Person, PainPoint]:
    who = await access.person(ctx, cmd.actor)
    item = await access.item(ctx, cmd.ref)
    if check:
        await access.require_actor(ctx, who, item, verb)
    return who, item


async def current_state(ctx: Context, item: PainPoint, verb: str) -> Outcome:
    """A stale button or a repeated click: say how things stand instead of failing."""
    events = await pain_points.history(session=ctx.session, item=item)
    last = events[-1] if events else None
    by = (await people.names(session=ctx.session, whos=[last.actor]))[last.actor] if last else None
    view = await item_view(ctx, item)
    return Outcome(replies=[Reply("current_state", {"item": view, "verb": verb, "last_action": last.action
                                                    if last else None, "by": by})])


async def done(ctx: Context, item: PainPoint, who: Person, action: str, notices: list[Notice],
               note: str | None = None) -> Outcome:
    view = await item_view(ctx, item)
    reply = Reply("updated", {"item": view, "action": action, "by": who.display_name, "note": note})
    return Outcome(replies=[reply], notices=notices)


CAN = {  # the statuses in which each action can be taken, for a door about to open a form for it
    "resolve": ("open", "acknowledged"), "decline": ("open", "acknowledged"), "reassign": ("open", "acknowledged"),
    "snooze": ("open", "acknowledged"), "reopen": ("resolved", "declined"),
}


async def check(cmd: Command, ctx: Context) -> Outcome:
    """May this person take this action on this item now? Asked before a door opens the action's form."""
    verb = cmd.fields.get("verb", "")
    if verb not in CAN:
        return Outcome.refused(f"I don't know the action {verb[:30]!r}.")
    who = await access.person(ctx, cmd.actor)
    item = await access.item(ctx, cmd.ref)
    if verb == "reopen":  # reopen's own rule: owners and the people who raised it
        if not (access.may_act(who, item) or await access.raised_by(ctx, who, item)):
            await access.require_actor(ctx, who, item, verb)
    else:
        await access.require_actor(ctx, who, item, verb)
    if item.status not in CAN[verb]:
        return await current_state(ctx, item, verb)
    return Outcome.reply("check", item=await item_view(ctx, item), verb=verb)
