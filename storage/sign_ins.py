"""Dashboard sign-in: the signing key replicas share, and one-use sign-in links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import people
from storage.claims import insert_ignore
from storage.models import Person, ServerSecret, SignIn


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


async def signed_in(*, session: AsyncSession, nonce: str, identity: str, since: datetime) -> Person | None:
    """The person of the session this link started, if it is on: used (after `since`) and not signed out. One
    statement."""
    person = (await session.scalars(select(Person).join(SignIn, SignIn.identity == Person.identity).where(
        SignIn.nonce == nonce, SignIn.identity == identity, SignIn.used_at > since,
        SignIn.ended_at.is_(None)))).first()
    return people.keep(session, person)


async def end(*, session: AsyncSession, nonce: str, at: datetime) -> None:
    await session.execute(update(SignIn).where(SignIn.nonce == nonce, SignIn.ended_at.is_(None)).values(ended_at=at))


async def prune(*, session: AsyncSession, before: datetime) -> None:
    """Forget links made before `before` (their sessions are over by then)."""
    await session.execute(delete(SignIn).where(SignIn.created_at < before))
