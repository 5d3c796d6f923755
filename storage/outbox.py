"""The durable outbox: notifications written in the transaction of the change that caused them, so none is lost
with a rolled-back change; claimed under a lease, so processes do not send one twice while it holds (a process
that dies between sending and recording may leave one to be sent again: at least once)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.models import OutboxMessage

OUTBOX = cast(Table, OutboxMessage.__table__)  # written as plain INSERTs: no object is kept for a message written
STUCK = ("failed", "waiting")  # what an operator may put back


async def enqueue(*, session: AsyncSession, recipient: str, template: str, payload: dict[str, Any],
                  at: datetime, deliver_at: datetime | None = None) -> None:
    """Write one notification (held until `deliver_at`, if given)."""
    await session.execute(insert(OUTBOX), {"created_at": at, "recipient": recipient, "template": template,
                                           "payload": payload, "status": "pending", "attempts": 0,
                                           "next_attempt_at": deliver_at or at})


async def enqueue_many(*, session: AsyncSession, messages: list[dict[str, Any]], at: datetime) -> None:
    """Write many notifications in one statement: {recipient, template, payload, deliver_at?} each."""
    if messages:
        await session.execute(insert(OutboxMessage), [
            {"created_at": at, "recipient": m["recipient"], "template": m["template"], "payload": m["payload"],
             "status": "pending", "attempts": 0, "next_attempt_at": m.get("deliver_at") or at} for m in messages])


async def claim(*, session: AsyncSession, now: datetime, prefixes: tuple[str, ...], lease: timedelta,
                limit: int = 50) -> list[OutboxMessage]:
    """Take due messages for these recipient prefixes under a lease, so no other process sends them too."""
    if not prefixes:
        return []
    rows = await leases.take(session=session, model=OutboxMessage, now=now, lease=lease, limit=limit, where=[
        OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
        or_(*(OutboxMessage.recipient.startswith(p) for p in prefixes))])
    for row in rows:
        row.attempts += 1
    await session.flush()
    return rows


async def renew(*, session: AsyncSession, ids: list[int], held: datetime, until: datetime) -> set[int]:
    """Hold these messages longer, those still held by the caller (their lease is still `held`: nobody took them
    over since); returns the ids the caller still holds."""
    if not ids:
        return set()
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.status == "pending",
        OutboxMessage.claimed_until == held).values(claimed_until=until))
    return set(await session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.claimed_until == until)))


async def delivered(*, session: AsyncSession, ids: list[int], at: datetime) -> None:
    """These messages were delivered (those that finished while the last were being recorded, together)."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
        status="delivered", delivered_at=at, claimed_until=None, last_error=None))


async def retry_later(*, session: AsyncSession, message_id: int, at: datetime, error: str,
                      refund: bool = False) -> None:
    """Try again at `at`; `refund`: this try does not count against the message's attempts."""
    values: dict[str, Any] = {"next_attempt_at": at, "claimed_until": None, "last_error": error[:2000]}
    if refund:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def put_back(*, session: AsyncSession, ids: list[int], at: datetime, why: str) -> None:
    """Claimed but not tried (they wait behind another message to their recipient): due again `at`, for the
    same reason, with the attempt their claim counted given back."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
        next_attempt_at=at, claimed_until=None, attempts=OutboxMessage.attempts - 1, last_error=why[:2000] or None))


async def wake(*, session: AsyncSession, prefixes: tuple[str, ...], waiting: str, at: datetime) -> int:
    """Pending messages to these recipients that waited for the platform are due now."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.last_error.startswith(waiting),
        or_(*(OutboxMessage.recipient.startswith(p) for p in prefixes))).values(next_attempt_at=at))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def wait(*, session: AsyncSession, message_id: int, error: str) -> int:
    """Hold a message until its recipient can be reached (`wake`/`readdress` send it then); returns how many
    messages now wait for that recipient, this one included."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return 0
    row.status, row.claimed_until, row.last_error = "waiting", None, error[:2000]
    await session.flush()
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "waiting", OutboxMessage.recipient == row.recipient)) or 0)


async def readdress(*, session: AsyncSession, recipients: list[str], to: str, at: datetime) -> int:
    """The messages to any of `recipients` (an email, or the identity itself) that are pending or waiting go to
    `to`, now: the person can be reached there. One being sent now (claimed) is left to its sender. Returns how
    many."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.recipient.in_(recipients), OutboxMessage.status.in_(("pending", "waiting")),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= at)).values(
        recipient=to, status="pending", next_attempt_at=at, claimed_until=None,
        attempts=case((OutboxMessage.status == "waiting", 0), else_=OutboxMessage.attempts)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def failed(*, session: AsyncSession, message_id: int, error: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status="failed", claimed_until=None, last_error=error[:2000]))


async def retry(*, session: AsyncSession, ids: list[int], failed: bool, at: datetime
                ) -> tuple[list[int], list[tuple[int, str]]]:
    """Put failed (or waiting) messages back to be sent at once: those named, or (`failed`) every failed one.
    Each is retried once per call and the retry is recorded in its last error; a message that has not failed is left
    as it is. Returns (the ids put back, [(id, why not)])."""
    query = select(OutboxMessage).where(OutboxMessage.status == "failed") if failed else select(
        OutboxMessage).where(OutboxMessage.id.in_(ids))
    rows = {row.id: row for row in await session.scalars(query.order_by(OutboxMessage.id))}
    refused = [(i, "no such message") for i in ids if i not in rows and not failed]
    done: list[int] = []
    for row in rows.values():
        if row.status not in STUCK:
            refused.append((row.id, f"is {row.status}, not failed or waiting: left as it is"))
            continue
        had = "failed" if row.status == "failed" else "waited"
        row.status, row.attempts, row.next_attempt_at, row.claimed_until = "pending", 0, at, None
        row.last_error = f"put back by an operator at {at:%Y-%m-%d %H:%M} UTC (it had {had}: {row.last_error})"[:2000]
        done.append(row.id)
    await session.flush()
    return done, refused


async def get(*, session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id)


async def listing(*, session: AsyncSession, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(await session.scalars(query))
