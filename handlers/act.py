"""What every action on a pain point shares: find it, check who acts (by the catalogue's rule), answer stale
requests with the current state, and say what was done."""
from __future__ import annotations

from handlers import access, actions, pause
from handlers.actions import Action
from handlers.base import Command, Context, Notice, Outcome, Refusal, Reply
from handlers.views import event_words, item_view
from storage import pain_points, people
from storage.models import PainPoint, Person


def action(action_id: str) -> Action:
    found = actions.find(action_id)
    assert found is not None, f"{action_id} is not in the catalogue"
    return found


async def may(ctx: Context, who: Person, item: PainPoint, taken: Action) -> None:
    """Refuse unless the catalogue lets this person take this action on this item."""
    if taken.who in ("anyone", "tellers") or (taken.who != "raisers" and access.may_act(who, item)):
        return
    if taken.who != "department" and await access.raised_by(ctx, who, item):
        return
    if taken.who == "raisers":
        raise Refusal(f"Only the people who raised {item.ref} can {taken.verb} it.")
    await access.require_actor(ctx, who, item, taken.verb)


async def prepare(cmd: Command, ctx: Context, action_id: str) -> tuple[Person, PainPoint, Action]:
    """The person acting, the item (locked), and the action, once the person may take it."""
    taken = action(action_id)
    # the item first: its reporter and owner come with it, so the person acting is most often read already
    read = await pain_points.get(session=ctx.session, ref=cmd.ref, lock=True) if cmd.ref else None
    who = await access.register(ctx, cmd.actor)
    item = await access.item(ctx, cmd.ref, who, read=read)
    await may(ctx, who, item, taken)
    if applies(taken, item):  # acting on a waiting item ends its wait (a stale button changes nothing)
        await pause.ended_by_acting(ctx, item, taken.id, who)
    return who, item, taken


def applies(taken: Action, item: PainPoint) -> bool:
    """The action applies to the item's status (an action with no statuses applies to every one)."""
    return not taken.statuses or item.status in taken.statuses


async def current_state(ctx: Context, item: PainPoint, verb: str) -> Outcome:
    """A stale button or a repeated click: say how things stand instead of failing."""
    events = await pain_points.history(session=ctx.session, item=item)
    last = events[-1] if events else None
    by = (await people.names(session=ctx.session, whos=[last.actor]))[last.actor] if last else None
    view = await item_view(ctx, item)
    return Outcome(replies=[Reply("current_state", {"item": view, "verb": verb,
                                                    "last_action": last.action if last else None,
                                                    "last_words": event_words(last.action if last else None),
                                                    "by": by})])


async def done(ctx: Context, item: PainPoint, who: Person, taken: Action, notices: list[Notice],
               note: str | None = None) -> Outcome:
    view = await item_view(ctx, item)
    reply = Reply("updated", {"item": view, "action": taken.id, "past": taken.past, "by": who.display_name,
                              "headline": taken.done.format(ref=item.ref, by=who.display_name),
                              "note": note, "note_label": taken.note_label})
    return Outcome(replies=[reply], notices=notices)


async def check(cmd: Command, ctx: Context) -> Outcome:
    """May this person take this action on this item now? Asked before a door opens the action's form."""
    taken = actions.find(cmd.fields.get("verb", ""))
    if taken is None or not taken.on_item:
        return Outcome.refused(f"I don't know the action {cmd.fields.get('verb', '')[:30]!r}.")
    who = await access.register(ctx, cmd.actor)
    item = await access.item(ctx, cmd.ref, who)
    await may(ctx, who, item, taken)
    if not applies(taken, item):
        return await current_state(ctx, item, taken.verb)
    return Outcome.reply("check", item=await item_view(ctx, item), verb=taken.verb,
                         action=taken.view(item.ref, causes=tuple(ctx.org.root_causes)))
