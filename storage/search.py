"""Full-text search over pain points, with the database's own index (migration 0016): SQLite's FTS5, ranked by
bm25; PostgreSQL's tsvector, ranked by ts_rank. Any of the words may match; more of them, and in the summary
rather than the details, rank higher."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PainPoint

WORD = re.compile(r"\w+", re.UNICODE)  # nothing of either engine's query syntax survives this


def words_of(phrase: str, limit: int = 12) -> list[str]:
    return [w.lower() for w in WORD.findall(phrase)][:limit]


def ranked(session: AsyncSession, phrase: str, where: ColumnElement[bool], limit: int, *columns: Any) -> Any:
    """The statement reading `columns` of the items `where` selects that match `phrase`, best first (None: the
    phrase has no words)."""
    words = words_of(phrase)
    if not words:
        return None
    p = PainPoint
    if session.get_bind().dialect.name == "postgresql":
        query = func.to_tsquery("english", " | ".join(f"{w}:*" for w in words))
        search: ColumnElement[Any] = literal_column("pain_points.search")
        return select(*columns).where(search.op("@@")(query), where).order_by(
            func.ts_rank(search, query).desc(), p.id.desc()).limit(limit)
    # each word quoted (no operator of FTS5's syntax can slip in), as a prefix, any of them
    match = " OR ".join(f'"{w}"*' for w in words)
    matched = (select(literal_column("rowid").label("id"), literal_column("bm25(pain_points_fts, 4.0, 1.0, 4.0, "
                                                                          "0.5)").label("rank"))
               .select_from(text("pain_points_fts")).where(text("pain_points_fts MATCH :match"))
               .subquery())
    return (select(*columns).join(matched, matched.c.id == p.id).where(where)
            .order_by(matched.c.rank, p.id.desc()).limit(limit)).params(match=match)


async def find(*, session: AsyncSession, phrase: str, where: ColumnElement[bool], limit: int = 20) -> list[int]:
    """The ids of the items `where` selects that match `phrase`, best first."""
    statement = ranked(session, phrase, where, limit, PainPoint.id)
    return [] if statement is None else list(await session.scalars(statement))


async def candidates(*, session: AsyncSession, phrase: str, where: ColumnElement[bool], limit: int = 20
                     ) -> list[Any]:
    """The items `find` ranks first for `phrase`, with what a similarity score reads of them: (id, summary,
    details, customer_ref, stage, department_id, status, created_at) rows, best first, in the same statement."""
    p = PainPoint
    statement = ranked(session, phrase, where, limit, p.id, p.summary, p.details, p.customer_ref, p.stage,
                       p.department_id, p.status, p.created_at)
    return [] if statement is None else list((await session.execute(statement)).all())
