"""Reopen a resolved or declined item (its owners, admins, or the people who raised it) with a reason, undo a
wrong duplicate (its department's owners and reps, or an admin), or confirm a fix (once per resolution)."""
from __future__ import annotations

from handlers import access, act, actions, follow_up, notify, text
from handlers.base import Command, Context, Outcome, Refusal
from handlers.clock import add_working_time
from handlers.views import item_view
from storage import pain_points, ratings
from storage.models import PainPoint


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "reopen")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    if item.status == "duplicate" and not access.may_act(who, item):
        await access.require_actor(ctx, who, item, "undo the duplicate")
    if not (cmd.fields.get("reason") or "").strip():
        raise Refusal(f"Why reopen {item.ref}? Say what is still wrong: reopen {item.ref} <why>.", field="reason")
    reason = text.block(cmd.fields.get("reason"), label="reason", field="reason", limit=2000, required=True)
    now = ctx.clock.now()
    was_closed = item.status in actions.CLOSED
    item.duplicate_of_id = None
    sla = ctx.org.sla_for(item.severity)
    hours, zone = ctx.org.department_hours(item.department.key), ctx.org.zone
    item.status, item.acknowledged_at, item.resolved_at, item.closed_at = "open", None, None, None
    item.ack_due_at = add_working_time(now, sla.acknowledge, hours, zone)
    item.resolve_due_at = add_working_time(now, sla.resolve, hours, zone)
    await pain_points.record(session=ctx.session, item=item, action="reopen", actor=who.identity or "", at=now,
                             note=reason)
    if was_closed:
        await follow_up.withdraw(ctx, item)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, await notify.owners_of(ctx, item), "reopened",
                                {"item": view, "by": who.display_name, "note": reason}, skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices, reason)


async def confirm(cmd: Command, ctx: Context) -> Outcome:
    """"Did this fix it? Yes": the people who raised it confirm, and the owner hears the win."""
    who, item, taken = await act.prepare(cmd, ctx, "fixed")
    if not act.applies(taken, item) or await confirmed(ctx, item, who.identity or ""):
        return await act.current_state(ctx, item, taken.verb)
    now = ctx.clock.now()
    await pain_points.record(session=ctx.session, item=item, action="confirm", actor=who.identity or "", at=now)
    assert item.resolved_at is not None
    await ratings.give(session=ctx.session, item_id=item.id, person=who.identity or "", resolved_at=item.resolved_at,
                       rating=5, comment=None, at=now)  # "Yes" is the common answer's one click: a 5
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, await notify.owners_of(ctx, item), "confirmed",
                                {"item": view, "by": who.display_name}, skip=[who.identity])
    return await act.done(ctx, item, who, taken, notices)


async def confirmed(ctx: Context, item: PainPoint, who: str) -> bool:
    """This person confirmed the item's latest resolution already (a second click acts not at all)."""
    events = await pain_points.history(session=ctx.session, item=item)
    since = max((n for n, e in enumerate(events) if e.action == "resolve"), default=-1)
    return any(e.action == "confirm" and e.actor == who for e in events[since + 1:])
