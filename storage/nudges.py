"""Overdue items due a reminder, and the claims that make each reminder go out once across replicas."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Nudge, PainPoint


@dataclass(frozen=True)
class Candidate:
    item: PainPoint
    kind: str  # 'ack' or 'resolve'
    due_at: datetime
    sent: int  # reminders already sent in this cycle
    last_at: datetime | None


async def candidates(*, session: AsyncSession, now: datetime, overdue: ColumnElement[bool],
                     late: tuple[ColumnElement[str], ColumnElement[datetime]]) -> list[Candidate]:
    """Every overdue item (by the caller's rule) with the clock that is late (`late`: its kind and due time)
    and its reminder count: one query, whatever the number of items."""
    kind, due = late
    sent = (select(Nudge.pain_point_id, Nudge.kind, Nudge.due_at, func.count().label("n"),
                   func.max(Nudge.at).label("last_at"))
            .group_by(Nudge.pain_point_id, Nudge.kind, Nudge.due_at).subquery())
    query = (select(PainPoint, kind.label("kind"), due.label("due_at"), sent.c.n, sent.c.last_at)
             .outerjoin(sent, and_(sent.c.pain_point_id == PainPoint.id, sent.c.kind == kind, sent.c.due_at == due))
             .where(overdue)
             .order_by(due, PainPoint.id))
    rows = (await session.execute(query)).all()
    return [Candidate(item, k, d if d.tzinfo else d.replace(tzinfo=now.tzinfo), n or 0,
                      _aware(last, now) if last else None) for item, k, d, n, last in rows]


def _aware(value: Any, now: datetime) -> datetime:
    if isinstance(value, str):  # SQLite hands back max() of a datetime column as its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


async def claim(*, session: AsyncSession, rows: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """Insert reminder claims; returns (item id, slot) of those this call won. Others are someone else's."""
    if not rows:
        return set()
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (module.insert(Nudge)
                 .on_conflict_do_nothing(index_elements=["pain_point_id", "kind", "due_at", "slot"])
                 .returning(Nudge.pain_point_id, Nudge.slot))
    # one statement, sent in SQLAlchemy's batches of many VALUES rows ("insertmanyvalues")
    return {(pid, slot) for pid, slot in (await session.execute(statement, rows)).all()}
