"""Notifications: written to the outbox in the handler's own transaction, so none is lost or doubled."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from handlers.base import Context, Notice
from storage import departments, outbox, people
from storage.models import PainPoint


async def identity(ctx: Context, who: str) -> str:
    """An email-named person's platform identity once we know it; else the email."""
    if people.is_email(who):
        person = await people.get(session=ctx.session, who=who)
        if person is not None and person.identity:
            return person.identity
    return who


async def address(ctx: Context, who: str) -> str:
    """Where the outbox sends: a platform identity, or 'email:<address>' for a door to look up."""
    found = await identity(ctx, who)
    return f"email:{found}" if people.is_email(found) else found


async def send(ctx: Context, whos: Iterable[str | None], template: str, data: dict[str, Any], *,
               skip: Iterable[str | None] = (), deliver_at: datetime | None = None) -> list[Notice]:
    """Queue one notice per distinct person, leaving out `skip` (usually the person acting); held until
    `deliver_at`, if given."""
    skipped = {await address(ctx, s) for s in skip if s}
    notices: list[Notice] = []
    seen: set[str] = set()
    for who in whos:
        if not who:
            continue
        recipient = await address(ctx, who)
        if recipient in skipped or recipient in seen:
            continue
        seen.add(recipient)
        await outbox.enqueue(session=ctx.session, recipient=recipient, template=template, payload=data,
                             at=ctx.clock.now(), deliver_at=deliver_at)
        notices.append(Notice(recipient, template, data))
    return notices


async def owners_of(ctx: Context, item: PainPoint) -> list[str]:
    """Who hears about an item: its named owner, else its department's owners."""
    if item.owner:
        return [item.owner]
    department = await departments.get_by_id(session=ctx.session, department_id=item.department_id)
    return department.named("owner")
