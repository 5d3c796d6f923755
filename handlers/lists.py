"""Lists: mine (as owner and as reporter), a department's queue, everything overdue."""
from __future__ import annotations

from handlers import access
from handlers.base import Command, Context, Outcome, Refusal
from handlers.org import SEVERITIES
from handlers.views import list_view
from storage import departments, pain_points


async def mine(cmd: Command, ctx: Context) -> Outcome:
    who = await access.person(ctx, cmd.actor)
    handles = access.handles(who)
    now = ctx.clock.now()
    owned = await pain_points.owned(session=ctx.session, handles=handles, now=now)
    reported = await pain_points.reported(session=ctx.session, handles=handles, limit=20)
    return Outcome.reply("mine", owned=await list_view(ctx, owned), reported=await list_view(ctx, reported))


async def queue(cmd: Command, ctx: Context) -> Outcome:
    who = await access.person(ctx, cmd.actor)
    key = cmd.fields.get("department")
    if key:
        department = await access.department(ctx, key)
    else:
        homes = await departments.of_person(session=ctx.session, handles=access.handles(who))
        if not homes:
            raise Refusal("You're not in a department. Name one: 'queue billing'.")
        department = homes[0]
    now = ctx.clock.now()
    items = await pain_points.in_department(session=ctx.session, department_id=department.id, now=now)
    counts = await pain_points.counts_by_status(session=ctx.session, department_id=department.id)
    overdue = await pain_points.overdue_count(session=ctx.session, now=now, department_id=department.id)
    return Outcome.reply("queue", department=department.name, items=await list_view(ctx, items),
                         counts=counts, overdue=overdue)


async def home(cmd: Command, ctx: Context) -> Outcome:
    """Everything one person needs on a home screen: their assignments, their reports, their departments' queues."""
    who = await access.person(ctx, cmd.actor)
    handles = access.handles(who)
    now = ctx.clock.now()
    owned = await pain_points.owned(session=ctx.session, handles=handles, now=now, limit=20)
    reported = await pain_points.reported(session=ctx.session, handles=handles, limit=10)
    queues = []
    for department in await departments.of_person(session=ctx.session, handles=handles, roles=("owner",)):
        counts = await pain_points.counts_by_status(session=ctx.session, department_id=department.id)
        items = await pain_points.in_department(session=ctx.session, department_id=department.id, now=now, limit=10)
        queues.append({"department": department.name, "counts": counts, "items": await list_view(ctx, items),
                       "overdue": await pain_points.overdue_count(session=ctx.session, now=now,
                                                                  department_id=department.id)})
    return Outcome.reply("home", name=who.display_name, owned=await list_view(ctx, owned),
                         reported=await list_view(ctx, reported), queues=queues)


async def form(cmd: Command, ctx: Context) -> Outcome:
    """What the log form offers: the journey stages, severities and departments, with any prefilled values."""
    await access.person(ctx, cmd.actor)
    known = [{"key": d.key, "name": d.name} for d in await departments.all(session=ctx.session)]
    return Outcome.reply("log_form", stages=ctx.org.journey_stages, severities=list(SEVERITIES),
                         departments=known, prefill=dict(cmd.fields))


async def overdue(cmd: Command, ctx: Context) -> Outcome:
    await access.person(ctx, cmd.actor)
    items = await pain_points.overdue(session=ctx.session, now=ctx.clock.now())
    return Outcome.reply("overdue", items=await list_view(ctx, items))
