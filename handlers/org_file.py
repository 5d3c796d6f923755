"""Applying the org file to the ledger: an idempotent upsert of people, roles and departments.

Who is an admin or a leader is decided here, from the file; storage only keeps it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.org import Org
from storage import departments, people
from storage.models import Person


async def _person(session: AsyncSession, who: str) -> Person:
    if people.is_email(who):
        found = await people.get(session=session, who=who)
        if found is not None:
            return found
        person = Person(identity=None, email=who, display_name=who.split("@", 1)[0])
        session.add(person)
        await session.flush()
        return person
    return await people.ensure(session=session, identity=who)


async def apply(*, session: AsyncSession, org: Org, from_file: bool = True) -> None:
    """Make the ledger's departments and roles match the file; loading it twice changes nothing.

    Departments the file does not name (added from chat) are left as they are. With no file (`from_file`
    False) the ledger keeps the roles and departments it has: only the admins named by CX_ADMINS are added.
    """
    if not from_file:
        for who in org.admins:
            (await _person(session, who)).is_admin = True
        await session.flush()
        return
    for named_person in org.people:
        person = await _person(session, named_person.id)
        if named_person.name:
            person.display_name = named_person.name
        if named_person.email:
            person.email = named_person.email.lower()
        if named_person.timezone:
            person.timezone = named_person.timezone
    named = {*org.admins, *org.leaders}
    for spec in org.departments:
        named.update(spec.owners, spec.reps, [spec.lead] if spec.lead else [])
    for who in sorted(named):
        await _person(session, who)
    admins, leaders = set(org.admins), set(org.leaders)
    for person in await session.scalars(select(Person)):
        handles = {h for h in (person.identity, person.email) if h}
        person.is_admin, person.is_leader = bool(handles & admins), bool(handles & leaders)
    for spec in org.departments:
        await departments.upsert(
            session=session, key=spec.key, name=spec.name, owners=list(spec.owners), reps=list(spec.reps),
            lead=spec.lead, keywords=list(spec.keywords), slack_channel=spec.slack_channel,
            teams_channel=spec.teams_channel, triage=spec.triage)
    await session.flush()
