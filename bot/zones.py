"""The one way to find a reader's time zone: their own, as a platform told us, else the organisation's."""
from __future__ import annotations

from handlers.org import Org
from storage import people
from storage.db import Database


async def zone_of(db: Database, org: Org, who: str) -> str:
    async with db.transaction(read_only=True) as session:
        person = await people.get(session=session, who=who)
    return (person.timezone if person else None) or org.timezone
