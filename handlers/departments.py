"""Department admin from chat: list, add, delete, name owners, reps and the lead, set keywords and the triage
team. A department with open items never loses its last owner, and is not deleted."""
from __future__ import annotations

import re

from handlers import access, notify, text
from handlers.base import Command, Context, Notice, Outcome, Refusal, Reply
from handlers.org import IDENTITY
from handlers.views import item_view
from storage import departments, pain_points, people
from storage.models import Department, PainPoint, Person

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SUBCOMMANDS = ("add", "owner", "rep", "remove", "lead", "keywords", "triage", "rename", "delete")
NONE = ("none", "nobody", "-")


async def listing(cmd: Command, ctx: Context) -> Outcome:
    await access.register(ctx, cmd.actor)
    rows = []
    for department in await departments.all(session=ctx.session):
        whos = department.named("owner") + department.named("rep") + ([department.lead] if department.lead else [])
        names = await people.names(session=ctx.session, whos=whos)
        rows.append({"key": department.key, "name": department.name, "triage": department.triage,
                     "owners": [names[o] for o in department.named("owner")],
                     "reps": [names[r] for r in department.named("rep")],
                     "lead": names.get(department.lead) if department.lead else None,
                     "keywords": department.keywords})
    return Outcome.reply("departments", departments=rows)


async def _person(ctx: Context, value: str | None) -> str:
    """Someone to give a role: an email or a platform identity (slack:U123, teams:<id>), or a local name the
    ledger knows; a name nobody has is refused rather than given a role."""
    who = (value or "").strip()
    if len(who) > 200:
        raise Refusal(f"{who[:40]!r}... is {len(who)} characters long: no identity or email is that long.")
    if not IDENTITY.match(who):
        raise Refusal("Name the person as slack:U123, teams:<id>, local:name or an email address.")
    who = who.lower() if people.is_email(who) else who
    if who.startswith("local:") and await people.get(session=ctx.session, who=who) is None:
        raise Refusal(f"I don't know {who[:60]!r}. Name someone by email or as slack:U123 / teams:<id>, or "
                      "check the name with /people in the console.")
    return who


async def hand_back(ctx: Context, department: Department, person: str, by: Person) -> tuple[list[PainPoint],
                                                                                      list[Notice]]:
    """Someone left a department: the live items of it they owned go back to its owners (the first of them
    owns each), so that nobody outside the department keeps rights over them or is nudged about them."""
    known = await people.get(session=ctx.session, who=person)
    handles = access.handles(known) if known else {person}
    owners = [o for o in department.named("owner") if o not in handles]
    new_owner = await notify.identity(ctx, owners[0]) if owners else None
    moved = [i for i in await pain_points.open_in(session=ctx.session, department=department)
             if i.owner in handles]
    notices: list[Notice] = []
    now = ctx.clock.now()
    for item in moved:
        item.owner, item.status, item.acknowledged_at = new_owner, "open", None
        await pain_points.unsnooze(session=ctx.session, item=item, at=now)
        await pain_points.record(session=ctx.session, item=item, action="reassign", actor=by.identity or "", at=now,
                                 note=f"{person} left {department.name}", department=department.key,
                                 owner=new_owner, previous_owner=person)
        notices += await notify.send(ctx, [new_owner], "assignment", {
            "item": await item_view(ctx, item), "by": by.display_name, "reason": "reassigned",
            "note": f"{person} left {department.name}", "from_department": department.name}, skip=[by.identity])
    return moved, notices


def refs(items: list[PainPoint]) -> str:
    shown = ", ".join(i.ref for i in items[:10])
    return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    sub = (cmd.fields.get("sub") or "").strip().lower()
    if sub not in SUBCOMMANDS:
        raise Refusal(f"Department commands: dept {' | '.join(SUBCOMMANDS)} <key> ... (see 'help').")
    access.require_admin(who, "manage departments")
    key = (cmd.fields.get("key") or "").strip().lower()
    value = cmd.fields.get("value")
    if sub == "add":
        if not KEY.match(key):
            raise Refusal("A department key is lower-case letters, digits, - or _, like 'billing'.")
        if await departments.get(session=ctx.session, key=key):
            raise Refusal(f"Department {key!r} already exists.")
        revived = await departments.retired(session=ctx.session, key=key) is not None
        name = text.line(value, label="department name", limit=200, required=True) or key
        await departments.upsert(session=ctx.session, key=key, name=name, owners=[], reps=[], lead=None,
                                 keywords=[], slack_channel=None, teams_channel=None, triage=False)
        return Outcome.reply("department_changed", key=key,
                             change=f"added again as {name}" if revived else f"added {name}")
    department = await access.department(ctx, key)
    if sub in ("owner", "rep"):
        person = await _person(ctx, value)
        if not await departments.add_member(session=ctx.session, department=department, person=person, role=sub):
            raise Refusal(f"{person} is already a {sub} of {department.name}.")
        if not people.is_email(person):
            await people.ensure(session=ctx.session, identity=person)
        change = f"{person} is now a{'n' if sub == 'owner' else ''} {sub}"
    elif sub == "remove":
        person = await _person(ctx, value)
        left = [o for o in department.named("owner") if o != person]
        if person in department.named("owner") and not left:
            live = await pain_points.open_in(session=ctx.session, department=department)
            if live:
                raise Refusal(f"{person} is {department.name}'s last owner, and {refs(live)} "
                              f"{'is' if len(live) == 1 else 'are'} still open. Name another owner first "
                              f"(dept owner {department.key} <person>), then remove them.")
        if not await departments.remove_member(session=ctx.session, department=department, person=person):
            raise Refusal(f"{person} is not an owner or rep of {department.name}.")
        moved, notices = await hand_back(ctx, department, person, who)
        change = f"{person} removed" + (f"; their open items ({refs(moved)}) are back with the department"
                                         if moved else "")
        return Outcome(replies=[Reply("department_changed", {"key": department.key, "change": change})],
                       notices=notices)
    elif sub == "lead":
        department.lead = None if (value or "").strip().lower() in NONE else await _person(ctx, value)
        change = f"lead is now {department.lead}" if department.lead else "has no lead now"
    elif sub == "delete":
        live = await pain_points.open_in(session=ctx.session, department=department)
        if live:
            raise Refusal(f"{department.name} still has open items ({refs(live)}): resolve them or move them "
                          f"to another department first.")
        department.retired_at, department.triage = ctx.clock.now(), False
        change = "deleted (its closed items keep it in their history)"
    elif sub == "keywords":
        words = [w.strip().lower() for w in (value or "").split(",") if w.strip()]
        department.keywords = words
        change = f"keywords: {', '.join(words) or 'none'}"
    elif sub == "rename":
        department.name = text.line(value, label="department name", limit=200, required=True) or department.name
        change = f"renamed to {department.name}"
    else:
        for other in await departments.all(session=ctx.session):
            other.triage = other.id == department.id
        change = "is now the triage team"
    return Outcome.reply("department_changed", key=department.key, change=change)
