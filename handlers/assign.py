"""Assign or reassign: to a department (its first owner takes it) or to a named person."""
from __future__ import annotations

import re

from handlers import access, act, notify, text
from handlers.base import Command, Context, Outcome, Refusal
from handlers.clock import add_working_time
from handlers.views import item_view
from storage import departments, pain_points, people
from storage.models import Person

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")  # a Slack mention, <@U0RAJ> or <@U0RAJ|raj>
PICKED = re.compile(r"^teams:[0-9a-fA-F-]{36}$")  # someone chosen in Teams' people picker (an Entra object id)


async def named(ctx: Context, target: str) -> Person | None:
    """The person a reassignment names: a Slack mention, an identity, an email, or a display name (with or
    without "@"), when exactly one person has it."""
    mention = MENTION.match(target)
    if mention:
        return await people.ensure(session=ctx.session, identity=f"slack:{mention.group(1)}")
    if PICKED.match(target):  # a real person of the tenant, maybe not seen by the bot yet
        return await people.ensure(session=ctx.session, identity=target)
    found = await people.get(session=ctx.session, who=target)
    if found is not None or ":" in target or "@" in target.lstrip("@"):
        return found
    matches = await people.by_name(session=ctx.session, name=target.lstrip("@"))
    if len(matches) > 1:
        raise Refusal(f"{len(matches)} people are called {target[:60]!r}: name one by mention or email.", field="to")
    return matches[0] if matches else None


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "reassign")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    target = (cmd.fields.get("to") or "").strip()
    note = text.block(cmd.fields.get("note"), label="note", field="note", limit=2000)
    if not target:
        raise Refusal(f"Reassign {item.ref} to whom? Give a department key or a person, e.g. "
                      f"'assign {item.ref} to billing'.", field="to")
    department = await departments.get(session=ctx.session, key=target)
    if department is not None:
        owners = department.named("owner") or department.named("rep")
        new_owner = await notify.identity(ctx, owners[0]) if owners else None
    else:
        person = await named(ctx, target)
        if person is None:
            known = ", ".join(d.key for d in await departments.all(session=ctx.session))
            raise Refusal(f"{target[:60]!r} is neither a department ({known}) nor a person I know. Name a person "
                          "with @their-name, a mention, or their email.", field="to")
        new_owner = person.identity or person.email
        homes = await departments.of_person(session=ctx.session, handles=access.handles(person))
        department = homes[0] if homes and item.department not in homes else item.department
    if new_owner == item.owner and department.id == item.department_id:
        raise Refusal(f"{item.ref} is already with {department.name}. Nothing changed.")
    previous_owner, previous_department = item.owner, item.department.name
    now = ctx.clock.now()
    sla = ctx.org.sla_for(item.severity)
    item.department_id, item.department = department.id, department
    item.owner, item.status, item.acknowledged_at = new_owner, "open", None
    await pain_points.unsnooze(session=ctx.session, item=item, at=now)
    item.ack_due_at = add_working_time(now, sla.acknowledge, ctx.org.department_hours(department.key),
                                        ctx.org.zone)
    await pain_points.record(session=ctx.session, item=item, action="reassign", actor=who.identity or "", at=now,
                             note=note, department=department.key, owner=new_owner,
                             previous_owner=previous_owner)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, [new_owner], "assignment",
                                {"item": view, "by": who.display_name, "reason": "reassigned", "note": note,
                                 "from_department": previous_department}, skip=[who.identity])
    notices += await notify.send(ctx, [previous_owner], "moved", {"item": view, "by": who.display_name,
                                                                  "note": note},
                                 skip=[who.identity, new_owner])
    return await act.done(ctx, item, who, taken, notices, note)
