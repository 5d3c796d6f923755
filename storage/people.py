"""People: platform identities, emails, names, time zones and org roles."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import insert_ignore
from storage.models import Person


def is_email(who: str) -> bool:
    return "@" in who and ":" not in who


def known(session: AsyncSession) -> dict[str, Person]:
    """The people this transaction has read, by identity: a handler asks about the same few people several
    times (the actor, the reporter, the owner), and each is read once. Rows only ever gain what they are told,
    and every change goes through these objects, so what is kept stays current for the transaction."""
    kept: dict[str, Person] = session.info.setdefault("people", {})
    return kept


def keep(session: AsyncSession, person: Person | None) -> Person | None:
    if person is not None and person.identity:
        known(session)[person.identity] = person
    return person


async def get(*, session: AsyncSession, who: str) -> Person | None:
    """A person by platform identity or by email."""
    if who in known(session):
        return known(session)[who]
    if is_email(who):
        query = select(Person).where(Person.email == who.lower()).order_by(Person.identity.is_(None), Person.id)
    else:
        query = select(Person).where(Person.identity == who)
    return keep(session, (await session.scalars(query.limit(1))).first())


async def ensure(*, session: AsyncSession, identity: str, display_name: str | None = None,
                 email: str | None = None, timezone: str | None = None) -> Person:
    """Find or create the person behind an identity, and learn what the door tells about them.

    A person first named by email in the org file is merged into the identity that shows that email.
    """
    email = email.lower() if email else None
    person = await get(session=session, who=identity)
    if person is None and email:
        person = (await session.scalars(
            select(Person).where(Person.email == email, Person.identity.is_(None)).limit(1))).first()
        if person is not None:
            person.identity = identity
            keep(session, person)
    if person is None:
        # another request (or replica) may be creating the same person right now: insert-if-absent, then read
        await insert_ignore(session=session, table=Person, conflict=["identity"], values={
            "identity": identity, "email": email, "display_name": display_name or identity.split(":", 1)[-1],
            "timezone": timezone, "is_admin": False, "is_leader": False})
        found = await get(session=session, who=identity)
        assert found is not None
        return found
    if display_name and person.display_name != display_name:
        person.display_name = display_name
    if email and person.email != email:
        person.email = email
    if timezone and person.timezone != timezone:
        person.timezone = timezone
    return person


async def zone(*, session: AsyncSession, who: str) -> str | None:
    """The time zone a platform told us for this identity, if any."""
    if who in known(session):
        return known(session)[who].timezone
    return await session.scalar(select(Person.timezone).where(Person.identity == who).limit(1))


async def unnamed(*, session: AsyncSession, prefix: str) -> list[str]:
    """The identities (of one platform) whose name we do not know: their display name is still their id."""
    query = select(Person.identity).where(Person.identity.startswith(prefix),
                                          Person.display_name == func.substr(Person.identity, len(prefix) + 1))
    return [i for i in await session.scalars(query.order_by(Person.id)) if i]


async def by_name(*, session: AsyncSession, name: str) -> list[Person]:
    """The people with this display name (any case)."""
    return list(await session.scalars(select(Person).where(func.lower(Person.display_name) == name.lower())
                                      .order_by(Person.id).limit(5)))


async def names(*, session: AsyncSession, whos: Iterable[str | None]) -> dict[str, str]:
    """Display names for identities and emails; someone unknown is shown by their handle."""
    ordered = list(dict.fromkeys(w for w in whos if w))
    if not ordered:
        return {}
    found: dict[str, str] = {}
    for person in await many(session=session, whos=ordered):
        for handle in (person.identity, person.email):
            if handle:
                found.setdefault(handle, person.display_name)
    return {w: found.get(w.lower() if is_email(w) else w, w.split(":", 1)[-1]) for w in ordered}


async def read(*, session: AsyncSession, whos: Iterable[str]) -> None:
    """Read these people in one statement: asking about any of them later in this transaction reads nothing."""
    await many(session=session, whos=whos)


async def many(*, session: AsyncSession, whos: Iterable[str]) -> list[Person]:
    """Everyone named, by identity or email, in one query (none for those this transaction has read)."""
    wanted = set(whos)
    emails = {w.lower() for w in wanted if is_email(w)}
    kept = known(session)
    found = [kept[w] for w in wanted if w in kept]
    identities = wanted - emails - set(kept)
    if identities or emails:
        for person in await session.scalars(select(Person).where(or_(
                Person.identity.in_(identities), Person.email.in_(emails)))):
            if person not in found:
                found.append(person)
                keep(session, person)
    return found


async def zones(*, session: AsyncSession, whos: Iterable[str]) -> dict[str, str | None]:
    """The time zone kept for each of these platform identities that is a person here (one statement)."""
    wanted = [w for w in set(whos) if not is_email(w)]
    if not wanted:
        return {}
    rows = await session.execute(select(Person.identity, Person.timezone).where(Person.identity.in_(wanted)))
    return {identity: timezone for identity, timezone in rows.all() if identity}


async def identities(*, session: AsyncSession, admins: bool = False, leaders: bool = False) -> list[str]:
    """The platform identities of the admins (or leaders): whom to tell, where a role must hear of something."""
    return [p.identity for p in await with_role(session=session, admins=admins, leaders=leaders) if p.identity]


async def with_role(*, session: AsyncSession, admins: bool = False, leaders: bool = False) -> list[Person]:
    query = select(Person)
    if admins:
        query = query.where(Person.is_admin.is_(True))
    if leaders:
        query = query.where(Person.is_leader.is_(True))
    return list(await session.scalars(query.order_by(Person.id)))
