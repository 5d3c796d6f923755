"""Departments, their owners and reps, and keyword routing."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Department, Member


def with_members() -> Select[Department]:
    """Departments read with their owners and reps in the same statement."""
    return select(Department).options(joinedload(Department.members))


async def get(*, session: AsyncSession, key: str) -> Department | None:
    return (await session.scalars(with_members().where(Department.key == key.lower(),
                                                       Department.retired_at.is_(None)))).unique().first()


async def retired(*, session: AsyncSession, key: str) -> Department | None:
    """A deleted department of that key (its items keep it in their history)."""
    return (await session.scalars(select(Department).where(Department.key == key.lower(),
                                                           Department.retired_at.is_not(None)))).first()


async def get_by_id(*, session: AsyncSession, department_id: int) -> Department:
    return await session.get_one(Department, department_id)


async def all(*, session: AsyncSession) -> list[Department]:
    return list((await session.scalars(with_members().where(Department.retired_at.is_(None))
                                       .order_by(Department.name))).unique())


async def triage(*, session: AsyncSession) -> Department | None:
    """The CX core team's department, where items with no home go."""
    return (await session.scalars(
        with_members().where(Department.triage.is_(True), Department.retired_at.is_(None))
        .order_by(Department.id).limit(1))).unique().first()


async def of_person(*, session: AsyncSession, handles: Iterable[str],
                    roles: tuple[str, ...] = ("owner", "rep")) -> list[Department]:
    memberships = select(Member.department_id).where(Member.person.in_(list(handles)), Member.role.in_(roles))
    query = (select(Department).where(Department.id.in_(memberships), Department.retired_at.is_(None))
             .order_by(Department.id))
    return list(await session.scalars(query))


async def upsert(*, session: AsyncSession, key: str, name: str, owners: list[str], reps: list[str],
                 lead: str | None, keywords: list[str], slack_channel: str | None,
                 teams_channel: str | None, triage: bool) -> Department:
    department = await get(session=session, key=key) or await retired(session=session, key=key)
    if department is None:
        department = Department(key=key, name=name, keywords=[])
        session.add(department)
    department.retired_at = None  # named again: back in service
    department.name, department.lead, department.keywords = name, lead, keywords
    department.slack_channel, department.teams_channel, department.triage = slack_channel, teams_channel, triage
    wanted = [(p, "owner") for p in owners] + [(p, "rep") for p in reps]
    current = {(m.person, m.role): m for m in department.members}
    for pair, member in current.items():
        if pair not in wanted:
            department.members.remove(member)
    for person, role in wanted:
        if (person, role) not in current:
            department.members.append(Member(person=person, role=role))
    await session.flush()
    return department


async def add_member(*, session: AsyncSession, department: Department, person: str, role: str) -> bool:
    if any(m.person == person and m.role == role for m in department.members):
        return False
    department.members.append(Member(person=person, role=role))
    await session.flush()
    return True


async def remove_member(*, session: AsyncSession, department: Department, person: str) -> bool:
    gone = [m for m in department.members if m.person == person]
    for member in gone:
        department.members.remove(member)
    await session.flush()
    return bool(gone)


async def listed(*, session: AsyncSession) -> list[tuple[int, str, str]]:
    """(id, key, name) of every department in use, by name: what a filter offers (no members read)."""
    rows = await session.execute(select(Department.id, Department.key, Department.name)
                                 .where(Department.retired_at.is_(None)).order_by(Department.name))
    return [(i, k, n) for i, k, n in rows.all()]


async def served_by(*, session: AsyncSession, handles: Iterable[str]) -> dict[int, str]:
    """The departments (id -> name) these handles own, serve (rep) or lead, in one statement."""
    wanted = list(handles)
    memberships = select(Member.department_id).where(Member.person.in_(wanted), Member.role.in_(("owner", "rep")))
    rows = await session.execute(select(Department.id, Department.name).where(
        or_(Department.id.in_(memberships), Department.lead.in_(wanted)), Department.retired_at.is_(None))
        .order_by(Department.id))
    return {i: n for i, n in rows.all()}
