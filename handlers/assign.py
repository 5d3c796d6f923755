"""Assign or reassign: to a department (its first owner takes it) or to a named person."""
from __future__ import annotations

from handlers import access, act, notify, text
from handlers.base import Command, Context, Outcome, Refusal
from handlers.clock import add_working_time
from handlers.views import item_view
from storage import departments, pain_points, people


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
        person = await people.get(session=ctx.session, who=target)
        if person is None:
            known = ", ".join(d.key for d in await departments.all(session=ctx.session))
            raise Refusal(f"{target[:60]!r} is neither a department ({known}) nor a person I know.", field="to")
        new_owner = person.identity or person.email
        homes = await departments.of_person(session=ctx.session, handles=access.handles(person))
        department = homes[0] if homes and item.department not in homes else item.department
    if new_owner == item.owner and department.id == item.department_id:
        raise Refusal(f"{item.ref} is already with {department.name}. Nothing changed.")
    previous_owner, previous_department = item.owner, item.department.name
    now = ctx.clock.now()
    sla = ctx.org.sla_for(item.severity)
    item.department_id, item.department = department.id, department
    item.owner, item.status, item.acknowledged_at, item.snoozed_until = new_owner, "open", None, None
    item.ack_due_at = add_working_time(now, sla.acknowledge, ctx.org.working_hours, ctx.org.zone)
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
