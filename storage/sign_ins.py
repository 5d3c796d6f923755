"""Dashboard sign-in: the signing key replicas share, and one-use sign-in links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import people
from storage.claims import insert_ignore
from storage.models import Department, Member, Person, ServerSecret, SignIn


async def shared_secret(*, session: AsyncSession, name: str, generated: str) -> str:
    """The secret kept under `name`; `generated` is kept when there is none yet (the first replica's wins)."""
    await insert_ignore(session=session, table=ServerSecret, values={"name": name, "value": generated},
                        conflict=["name"])
    return str(await session.scalar(select(ServerSecret.value).where(ServerSecret.name == name)))


async def create(*, session: AsyncSession, nonce: str, identity: str, at: datetime, until: datetime) -> None:
    session.add(SignIn(nonce=nonce, identity=identity, created_at=at, expires_at=until))
    await session.flush()


async def use(*, session: AsyncSession, nonce: str, now: datetime) -> str | None:
    """Spend a sign-in link: the identity it was for, or None when it was used already, expired or never made.
    Two clicks at once: one UPDATE wins."""
    spent = await session.execute(update(SignIn).where(
        SignIn.nonce == nonce, SignIn.used_at.is_(None), SignIn.expires_at > now).values(used_at=now))
    if not spent.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.scalar(select(SignIn.identity).where(SignIn.nonce == nonce))


async def signed_in(*, session: AsyncSession, nonce: str, identity: str, since: datetime
                    ) -> tuple[Person, dict[int, str]] | None:
    """The person of the session this link started, if it is on (used after `since`, not signed out), with the
    departments (id -> name) they own, serve or lead (`departments.served_by`): one statement."""
    handles = (Person.identity, Person.email)
    memberships = select(Member.department_id).where(Member.person.in_(handles), Member.role.in_(("owner", "rep")))
    serves = and_(Department.retired_at.is_(None), or_(Department.id.in_(memberships), Department.lead.in_(handles)))
    found = (await session.execute(
        select(Person, Department.id, Department.name).join(SignIn, SignIn.identity == Person.identity)
        .outerjoin(Department, serves)
        .where(SignIn.nonce == nonce, SignIn.identity == identity, SignIn.used_at > since, SignIn.ended_at.is_(None))
        .order_by(Department.id))).all()
    if not found:
        return None
    person: Person = found[0][0]
    people.keep(session, person)
    return person, {d: name for _, d, name in found if d is not None}


async def end(*, session: AsyncSession, nonce: str, at: datetime) -> None:
    await session.execute(update(SignIn).where(SignIn.nonce == nonce, SignIn.ended_at.is_(None)).values(ended_at=at))


async def prune(*, session: AsyncSession, before: datetime) -> None:
    """Forget links made before `before` (their sessions are over by then)."""
    await session.execute(delete(SignIn).where(SignIn.created_at < before))
