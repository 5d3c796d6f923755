"""Lists: mine (as owner and as reporter), a department's queue, everything overdue."""
from __future__ import annotations

from typing import Any

from handlers import access, follow_up, overdue
from handlers.base import Command, Context, Outcome, Refusal
from handlers.log import from_text
from handlers.org import SEVERITIES
from handlers.views import list_view
from storage import departments, pain_points
from storage.models import Department, Person


async def mine(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    handles = access.handles(who)
    now = ctx.clock.now()
    owned = await pain_points.owned(session=ctx.session, handles=handles, overdue=overdue.clause(now))
    reported = await pain_points.reported(session=ctx.session, handles=handles, limit=20)
    return Outcome.reply("mine", owned=await list_view(ctx, owned), reported=await list_view(ctx, reported),
                         waiting=await follow_up.waiting(ctx, who))


async def queue(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    key = cmd.fields.get("department")
    if key:
        department = await access.department(ctx, key)
    else:
        homes = await departments.of_person(session=ctx.session, handles=access.handles(who))
        if not homes:
            raise Refusal("You're not in a department. Name one: 'queue billing'.")
        department = homes[0]
    return Outcome.reply("queue", **await department_queue(ctx, department, limit=50, who=who))


async def department_queue(ctx: Context, department: Department, *, limit: int, who: Person) -> dict[str, Any]:
    """A department's open items (overdue first; restricted ones only for who may see them), its counts by
    status, and how many are overdue."""
    now = ctx.clock.now()
    late = overdue.clause(now)
    items = await pain_points.in_department(session=ctx.session, department_id=department.id, overdue=late,
                                            limit=limit)
    items = await access.visible(ctx, who, items)
    return {"department": department.name, "items": await list_view(ctx, items),
            "counts": await pain_points.counts_by_status(session=ctx.session, department_id=department.id),
            "overdue": await pain_points.overdue_count(session=ctx.session, overdue=late, department_id=department.id)}


async def home(cmd: Command, ctx: Context) -> Outcome:
    """Everything one person needs on a home screen: their assignments, their reports, their departments' queues."""
    who = await access.register(ctx, cmd.actor)
    handles = access.handles(who)
    now = ctx.clock.now()
    owned = await pain_points.owned(session=ctx.session, handles=handles, overdue=overdue.clause(now), limit=20)
    reported = await pain_points.reported(session=ctx.session, handles=handles, limit=10)
    queues = [await department_queue(ctx, department, limit=10, who=who) for department in
              await departments.of_person(session=ctx.session, handles=handles, roles=("owner",))]
    return Outcome.reply("home", name=who.display_name, owned=await list_view(ctx, owned),
                         reported=await list_view(ctx, reported), queues=queues)


async def form(cmd: Command, ctx: Context) -> Outcome:
    """What the log form offers: the journey stages, severities and departments, with any prefilled values."""
    await access.register(ctx, cmd.actor)
    known = [{"key": d.key, "name": d.name} for d in await departments.all(session=ctx.session)]
    prefill = dict(cmd.fields)
    if "text" in prefill:  # a chat message to log: its summary and details, as logging it would take them
        prefill = {**from_text(prefill.pop("text")), **prefill}
    return Outcome.reply("log_form", stages=ctx.org.journey_stages, severities=list(SEVERITIES),
                         departments=known, prefill=prefill)


async def departments_known(cmd: Command, ctx: Context) -> Outcome:
    """The departments, for the forms of doors that list them (a reassign form): read only."""
    known = [{"key": d.key, "name": d.name} for d in await departments.all(session=ctx.session)]
    return Outcome.reply("departments_known", departments=known)


async def late(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    items = await pain_points.overdue(session=ctx.session, overdue=overdue.clause(ctx.clock.now()))
    return Outcome.reply("overdue", items=await list_view(ctx, await access.visible(ctx, who, items)))
