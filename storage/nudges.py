"""Overdue items due a reminder, and the claims that make each reminder go out once across replicas."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
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


async def candidates(*, session: AsyncSession, now: datetime) -> list[Candidate]:
    """Every live, unsnoozed, overdue item with its reminder count: one query, whatever the number of items."""
    ack_overdue = and_(PainPoint.status == "open", PainPoint.ack_due_at < now)
    kind = case((ack_overdue, "ack"), else_="resolve")
    due = case((ack_overdue, PainPoint.ack_due_at), else_=PainPoint.resolve_due_at)
    sent = (select(Nudge.pain_point_id, Nudge.kind, Nudge.due_at, func.count().label("n"),
                   func.max(Nudge.at).label("last_at"))
            .group_by(Nudge.pain_point_id, Nudge.kind, Nudge.due_at).subquery())
    query = (select(PainPoint, kind.label("kind"), due.label("due_at"), sent.c.n, sent.c.last_at)
             .outerjoin(sent, and_(sent.c.pain_point_id == PainPoint.id, sent.c.kind == kind, sent.c.due_at == due))
             .where(PainPoint.status.in_(("open", "acknowledged")),
                    or_(PainPoint.snoozed_until.is_(None), PainPoint.snoozed_until <= now),
                    or_(ack_overdue, PainPoint.resolve_due_at < now))
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
