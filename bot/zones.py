"""The one way to find a reader's time zone: their own, as a platform told us, else the organisation's."""
from __future__ import annotations

from handlers import clock
from handlers.org import Org
from storage import people
from storage.db import Database


async def zone_of(db: Database, org: Org, who: str) -> str:
    """The person's own zone when this server knows it, else the organisation's (the one rule: handlers.clock)."""
    async with db.transaction(read_only=True) as session:
        person = await people.get(session=session, who=who)
    return str(clock.zone_of(org, person))


def reader_zone(org: Org, own: str | None) -> str:
    """The zone to show a reader times in, from the zone kept for them (None: none known): the same rule."""
    return str(clock.own_zone(org, own))
