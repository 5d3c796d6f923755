"""A fair clock: an item waiting on the customer, or on another team, pauses its SLA. Nudges stop while it waits;
when the wait ends (someone ends it, acts on the item, or its date passes) the clock runs again with the time
that was left, not a fresh one. The working time spent waiting is kept, shown and reported."""
from __future__ import annotations

from datetime import datetime

from handlers import act, notify, text
from handlers.base import Command, Context, Notice, Outcome, Refusal
from handlers.clock import humanise, zone_of
from handlers.pause import end, on_words
from handlers.snooze import until as moment_of
from handlers.views import item_view
from storage import pain_points


async def wait(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "wait")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    on = " ".join((cmd.fields.get("on") or "").split())[:100]
    if not on:
        raise Refusal(f"Waiting on whom? wait {item.ref} customer <note>, or wait {item.ref} <team> <note>.",
                      field="on")
    on = "customer" if on.lower() in ("customer", "the customer", "client") else on
    note = text.block(cmd.fields.get("note"), label="note", field="note", limit=2000)
    now = ctx.clock.now()
    until = moment_of(cmd.fields["until"], now, ctx, who) if cmd.fields.get("until") else None
    if until is not None and until <= now:
        raise Refusal("That date has passed: give a later one, or none.", field="until")
    if item.waiting_on:  # waiting already: what it waits on, or until when, changes; the time runs on
        await end(ctx, item, now, shift=True, by=who)
    item.waiting_on, item.waiting_since, item.waiting_until, item.waiting_note = on, now, until, note
    await pain_points.record(session=ctx.session, item=item, action="wait", actor=who.identity or "", at=now,
                             note=note, on=on, until=until.isoformat() if until else None)
    outcome = await act.done(ctx, item, who, taken, [], note)
    till = f" until {until.astimezone(zone_of(ctx.org, who)):%a %d %b}" if until else ""  # in the asker's zone
    outcome.replies[0].data["headline"] = (f"{item.ref} is waiting on {on_words(on)}{till} ({who.display_name}). "
                                           "Its clock is paused: no nudges until the wait ends.")
    return outcome


async def resume(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "resume")
    if not act.applies(taken, item) or not item.waiting_on:
        return await act.current_state(ctx, item, taken.verb)
    now = ctx.clock.now()
    waited = await end(ctx, item, now, shift=True, by=who)
    outcome = await act.done(ctx, item, who, taken, [])
    outcome.replies[0].data["headline"] = (f"{item.ref} is no longer waiting ({who.display_name}): it waited "
                                           f"{humanise(waited)}, and its clock runs again.")
    return outcome


async def sweep(ctx: Context, now: datetime) -> list[Notice]:
    """The waits whose date has passed end; each owner hears the clock runs again, with what is left."""
    notices: list[Notice] = []
    for item in await pain_points.waits_over(session=ctx.session, now=now):
        on = item.waiting_on or ""
        waited = await end(ctx, item, now, shift=True)
        view = await item_view(ctx, item)
        notices += await notify.send(ctx, await notify.owners_of(ctx, item), "wait_over",
                                     {"item": view, "on": on_words(on), "waited": humanise(waited)})
    return notices
