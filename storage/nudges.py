"""Overdue items due a reminder, and the claims that make each reminder go out once across replicas."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from storage import departments
from storage.models import Department, Nudge, PainPoint


@dataclass(frozen=True, slots=True)
class Late:
    """What a reminder shows of an overdue item: the few columns read, not the whole row."""

    id: int
    summary: str
    severity: str
    status: str
    owner: str | None
    department: Department
    created_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime

    @property
    def ref(self) -> str:
        return f"CX-{self.id}"


@dataclass(frozen=True, slots=True)
class Candidate:
    item: Late
    kind: str  # 'ack' or 'resolve'
    due_at: datetime
    sent: int  # reminders already sent in this cycle
    last_at: datetime | None


async def candidates(*, session: AsyncSession, now: datetime, overdue: ColumnElement[bool],
                     late: tuple[ColumnElement[str], ColumnElement[datetime]]) -> list[Candidate]:
    """Every overdue item (by the caller's rule) with the clock that is late (`late`: its kind and due time)
    and its reminder count: two queries (the departments, with their people, and the items), whatever the
    number of items. Only the columns a reminder shows are read."""
    kind, due = late
    p = PainPoint
    sent = (select(Nudge.pain_point_id, Nudge.kind, Nudge.due_at, func.count().label("n"),
                   func.max(Nudge.at).label("last_at"))
            .where(Nudge.slot > 0)  # slot 0: the warning before the breach, no reminder
            .group_by(Nudge.pain_point_id, Nudge.kind, Nudge.due_at).subquery())
    query = (select(p.id, p.summary, p.severity, p.status, p.owner, p.department_id, p.created_at, p.ack_due_at,
                    p.resolve_due_at, kind.label("kind"), due.label("due_at"), sent.c.n, sent.c.last_at)
             .outerjoin(sent, and_(sent.c.pain_point_id == p.id, sent.c.kind == kind, sent.c.due_at == due))
             .where(overdue)
             .order_by(due, p.id))
    homes = {d.id: d for d in (await session.scalars(departments.with_members())).unique()}
    found = []
    for row in (await session.execute(query)).all():
        item = Late(row.id, row.summary, row.severity, row.status, row.owner, homes[row.department_id],
                    row.created_at, row.ack_due_at, row.resolve_due_at)
        found.append(Candidate(item, row.kind, aware(row.due_at, now), row.n or 0,
                               aware(row.last_at, now) if row.last_at else None))
    return found


def aware(value: Any, now: datetime) -> datetime:
    """A datetime read from a CASE or an aggregate, in `now`'s zone where it came back without one."""
    if isinstance(value, str):  # SQLite hands back max() and CASE of a datetime column as its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


CLAIMED = ("pain_point_id", "kind", "due_at", "slot", "level", "owner", "at")


async def claim(*, session: AsyncSession, rows: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """Insert reminder claims; returns (item id, slot) of those this call won. Others are someone else's."""
    if not rows:
        return set()
    insert: postgresql.Insert | sqlite.Insert
    parameters: list[dict[str, Any]] | dict[str, list[Any]]
    if session.get_bind().dialect.name == "postgresql":
        # one statement whatever the number of claims: each column one array parameter, unnested into rows (a
        # sweep claims thousands; as VALUES rows they were 7 parameters each, a statement per thousand)
        table = Nudge.__table__
        columns = (bindparam(c, type_=ARRAY(table.c[c].type)) for c in CLAIMED)
        source = func.unnest(*columns).table_valued(*CLAIMED).render_derived()
        insert = postgresql.insert(Nudge).from_select(list(CLAIMED), select(*(source.c[c] for c in CLAIMED)))
        parameters = {c: [row[c] for row in rows] for c in CLAIMED}
    else:  # SQLAlchemy's batches of many VALUES rows ("insertmanyvalues")
        insert, parameters = sqlite.insert(Nudge), rows
    statement = (insert.on_conflict_do_nothing(index_elements=["pain_point_id", "kind", "due_at", "slot"])
                 .returning(Nudge.pain_point_id, Nudge.slot))
    # on the session's connection: the ORM's bulk insert would keep books on every row for objects nobody asked for
    connection = await session.connection()
    return {(pid, slot) for pid, slot in (await connection.execute(statement, parameters)).all()}
