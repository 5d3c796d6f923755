"""Department admin from chat: list, add, name owners, reps and the lead, set keywords and the triage team."""
from __future__ import annotations

import re

from handlers import access, text
from handlers.base import Command, Context, Outcome, Refusal
from handlers.org import IDENTITY
from storage import departments, people

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SUBCOMMANDS = ("add", "owner", "rep", "remove", "lead", "keywords", "triage", "rename")


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


def _person(value: str | None) -> str:
    who = (value or "").strip()
    if not IDENTITY.match(who):
        raise Refusal("Name the person as slack:U123, teams:<id>, local:name or an email address.")
    return who.lower() if "@" in who and ":" not in who else who


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
        name = text.line(value, label="department name", limit=200, required=True) or key
        await departments.upsert(session=ctx.session, key=key, name=name, owners=[], reps=[], lead=None,
                                 keywords=[], slack_channel=None, teams_channel=None, triage=False)
        return Outcome.reply("department_changed", key=key, change=f"added {name}")
    department = await access.department(ctx, key)
    if sub in ("owner", "rep"):
        person = _person(value)
        if not await departments.add_member(session=ctx.session, department=department, person=person, role=sub):
            raise Refusal(f"{person} is already a {sub} of {department.name}.")
        if not people.is_email(person):
            await people.ensure(session=ctx.session, identity=person)
        change = f"{person} is now a{'n' if sub == 'owner' else ''} {sub}"
    elif sub == "remove":
        person = _person(value)
        if not await departments.remove_member(session=ctx.session, department=department, person=person):
            raise Refusal(f"{person} is not an owner or rep of {department.name}.")
        change = f"{person} removed"
    elif sub == "lead":
        department.lead = _person(value)
        change = f"lead is now {department.lead}"
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
