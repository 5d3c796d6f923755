"""Who may do what: anyone logs and comments; a department's owners and reps, and admins, act on its items."""
from __future__ import annotations

from handlers.base import Actor, Context, Refusal
from storage import departments, pain_points, people
from storage.models import Department, PainPoint, Person


async def register(ctx: Context, actor: Actor) -> Person:
    """The person behind a request, created the first time and updated with what the door tells (name,
    email, time zone). What platforms tell is bounded to what the ledger keeps: a long display name (Entra
    allows 256 characters) is shortened, an email or zone too long to be real is left out."""
    if len(actor.identity) > 200:
        raise Refusal("I can't tell who you are: your identity is too long.")
    name = actor.display_name[:199] + "…" if actor.display_name and len(actor.display_name) > 200 else (
        actor.display_name)
    email = actor.email if actor.email and len(actor.email) <= 320 else None
    zone = actor.timezone if actor.timezone and len(actor.timezone) <= 64 else None
    return await people.ensure(session=ctx.session, identity=actor.identity, display_name=name, email=email,
                               timezone=zone)


def handles(who: Person) -> set[str]:
    return {h for h in (who.identity, who.email) if h}


def is_member(who: Person, department: Department) -> bool:
    return bool(handles(who) & {m.person for m in department.members})


def may_act(who: Person, item: PainPoint) -> bool:
    return who.is_admin or is_member(who, item.department) or item.owner in handles(who)


async def require_actor(ctx: Context, who: Person, item: PainPoint, verb: str) -> None:
    if may_act(who, item):
        return
    department = item.department
    named = await people.names(session=ctx.session, whos=department.named("owner") + department.named("rep"))
    listed = ", ".join(named.values()) or "nobody yet"
    raise Refusal(f"Only {department.name}'s owners and reps ({listed}) or a CX admin can {verb} {item.ref}. "
                  f"You can comment on it or say 'me too'.")


async def raised_by(ctx: Context, who: Person, item: PainPoint) -> bool:
    """The reporter and everyone who said "me too" may reopen and confirm."""
    raisers = {item.reporter} | {a.person for a in await pain_points.affected(session=ctx.session, item=item)}
    return bool(handles(who) & raisers)


def require_admin(who: Person, what: str) -> None:
    if not who.is_admin:
        raise Refusal(f"Only CX admins can {what}. Ask an admin, or set CX_ADMINS / admins in the org file.")


def require_leader(who: Person, what: str) -> None:
    if not (who.is_admin or who.is_leader):
        raise Refusal(f"Only CX leaders and admins can {what}.")


async def item(ctx: Context, ref: str | None, who: Person, *, read: PainPoint | None = None) -> PainPoint:
    """The item `who` asks about, locked (`read`: already read, locked, in this transaction). A restricted one
    they may not see is not found, in the very words of one that does not exist: references are no way to learn
    that it does."""
    if not ref or not ref.strip():
        raise Refusal("Which pain point? Give its reference, like CX-12.")
    found = read or await pain_points.get(session=ctx.session, ref=ref, lock=True)
    if found is None or not await sees(ctx, who, found):
        shown = ref.strip()[:40]
        raise Refusal(f"I can't find {shown!r}. References look like CX-12; try 'mine' to see yours.")
    return found


async def sees(ctx: Context, who: Person, item: PainPoint) -> bool:
    """Anyone sees an item, but a restricted one only its department, its owner, admins, and the people who
    raised it (the reporter and those who said "me too")."""
    return not item.restricted or may_act(who, item) or await raised_by(ctx, who, item)


async def visible(ctx: Context, who: Person, items: list[PainPoint]) -> list[PainPoint]:
    """The items of a list `who` may see: restricted ones only of their departments, owned or reported by them
    (those who said "me too" find them by reference), everything for admins."""
    if who.is_admin or not any(i.restricted for i in items):
        return items
    mine = handles(who)
    homes = {d.id for d in await departments.of_person(session=ctx.session, handles=mine)}
    return [i for i in items if not i.restricted or i.department_id in homes or i.owner in mine
            or i.reporter in mine]


async def department(ctx: Context, key: str | None, *, field: str | None = None) -> Department:
    found = await departments.get(session=ctx.session, key=(key or "").strip()) if key and key.strip() else None
    if found is None:
        known = ", ".join(d.key for d in await departments.all(session=ctx.session)) or "none yet"
        shown = (key or "").strip()[:40]
        raise Refusal(f"There is no department {shown!r}. Departments: {known}.", field=field)
    return found


def check_workspace(ctx: Context, actor: Actor) -> None:
    """One deployment serves one organisation: other Slack workspaces (and people of other organisations in a
    shared Slack Connect channel: the door names the person's own team) and Teams tenants are refused. An
    Enterprise Grid organisation the org file names covers all its workspaces."""
    allowed = {"slack": ctx.org.slack_team_ids, "teams": ctx.org.teams_tenant_ids}.get(actor.platform)
    grid = ctx.org.slack_enterprise_ids if actor.platform == "slack" else []
    if grid and actor.enterprise in grid:
        return
    if (allowed or grid) and actor.workspace not in (allowed or []):
        raise Refusal("This workspace is not part of the organisation this bot serves, so I can't take "
                      "requests from it. Ask your CX admin to add it to the org file.")
