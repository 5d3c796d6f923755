"""Overdue items due a reminder, and the claims that make each reminder go out once across replicas."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from storage import departments
from storage.models import Department, Nudge, PainPoint, UTCDateTime


@dataclass(frozen=True, slots=True)
class Candidate:
    """An overdue item, with what a sweep decides on: whose it is, which clock is late, and its reminders so far
    (what a reminder shows of it is read for the few shown: `shown`)."""

    id: int
    owner: str | None
    department: Department
    kind: str  # 'ack' or 'resolve'
    due_at: datetime
    sent: int  # reminders already sent in this cycle
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class Late:
    """What a reminder shows of an overdue item: the few columns read, not the whole row."""

    id: int
    summary: str
    severity: str
    status: str
    created_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime

    @property
    def ref(self) -> str:
        return f"CX-{self.id}"


async def candidates(*, session: AsyncSession, now: datetime, overdue: ColumnElement[bool],
                     late: tuple[ColumnElement[str], ColumnElement[datetime]]) -> list[Candidate]:
    """Every overdue item (by the caller's rule) with the clock that is late (`late`: its kind and due time)
    and its reminder count: two queries (the departments, with their people, and the items), whatever the
    number of items. Only what a sweep decides on is read: thousands may be due, a few dozen are shown."""
    kind, due = late
    p = PainPoint
    sent = (select(Nudge.pain_point_id, Nudge.kind, Nudge.due_at, func.count().label("n"),
                   func.max(Nudge.at).label("last_at"))
            .where(Nudge.slot > 0)  # slot 0: the warning before the breach, no reminder
            .group_by(Nudge.pain_point_id, Nudge.kind, Nudge.due_at).subquery())
    query = (select(p.id, p.owner, p.department_id, kind.label("kind"), due.label("due_at"), sent.c.n,
                    sent.c.last_at)
             .outerjoin(sent, and_(sent.c.pain_point_id == p.id, sent.c.kind == kind, sent.c.due_at == due))
             .where(overdue)
             .order_by(due, p.id))
    homes = {d.id: d for d in (await session.scalars(departments.with_members())).unique()}
    return [Candidate(i, owner, homes[home], k, aware(due_at, now), n or 0, aware(last_at, now) if last_at else None)
            for i, owner, home, k, due_at, n, last_at in (await session.execute(query)).all()]


async def shown(*, session: AsyncSession, ids: list[int]) -> dict[int, Late]:
    """What reminders show of these items (one query)."""
    if not ids:
        return {}
    p = PainPoint
    rows = await session.execute(select(p.id, p.summary, p.severity, p.status, p.created_at, p.ack_due_at,
                                        p.resolve_due_at).where(p.id.in_(ids)))
    return {row[0]: Late(*row) for row in rows.all()}


def aware(value: Any, now: datetime) -> datetime:
    """A datetime read from a CASE or an aggregate, in `now`'s zone where it came back without one."""
    if isinstance(value, str):  # SQLite hands back max() and CASE of a datetime column as its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


CLAIMED = ("pain_point_id", "kind", "due_at", "slot", "level", "owner")


async def claim(*, session: AsyncSession, at: datetime, rows: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """Insert reminder claims made `at` ({pain_point_id, kind, due_at, slot, level, owner} each) in one
    statement, however many; returns (item id, slot) of those this call won. Others are someone else's."""
    if not rows:
        return set()
    table, dialect = Nudge.__table__, session.get_bind().dialect
    moment = bindparam("at", at, type_=UTCDateTime)
    insert: postgresql.Insert | sqlite.Insert
    parameters: dict[str, Any]
    if dialect.name == "postgresql":  # each column one array parameter, unnested into rows
        columns = (bindparam(c, type_=ARRAY(table.c[c].type)) for c in CLAIMED)
        source = func.unnest(*columns).table_valued(*CLAIMED).render_derived()
        insert = postgresql.insert(Nudge).from_select(
            [*CLAIMED, "at"], select(*(source.c[c] for c in CLAIMED), moment))
        parameters = {c: [row[c] for row in rows] for c in CLAIMED}
    else:  # the rows as one JSON array of arrays, taken apart by SQLite's json_each
        stored = table.c.due_at.type.dialect_impl(dialect).bind_processor(dialect)
        assert stored is not None
        source = func.json_each(bindparam("rows")).table_valued("value")
        picked = [func.json_extract(source.c.value, f"$[{n}]") for n in range(len(CLAIMED))]
        # "WHERE true": SQLite reads an ON CONFLICT after a bare SELECT's FROM as a join's
        insert = sqlite.insert(Nudge).from_select([*CLAIMED, "at"], select(*picked, moment).where(true()))
        parameters = {"rows": json.dumps([[stored(row[c]) if c == "due_at" else row[c] for c in CLAIMED]
                                          for row in rows])}
    statement = (insert.on_conflict_do_nothing(index_elements=["pain_point_id", "kind", "due_at", "slot"])
                 .returning(Nudge.pain_point_id, Nudge.slot))
    # on the session's connection: the ORM's bulk insert would keep books on every row for objects nobody asked for
    connection = await session.connection()
    return {(pid, slot) for pid, slot in (await connection.execute(statement, parameters)).all()}
