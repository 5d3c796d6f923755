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


async def find(*, session: AsyncSession, phrase: str, where: ColumnElement[bool], limit: int = 20) -> list[int]:
    """The ids of the items `where` selects that match `phrase`, best first."""
    words = words_of(phrase)
    if not words:
        return []
    p = PainPoint
    if session.get_bind().dialect.name == "postgresql":
        query = func.to_tsquery("english", " | ".join(f"{w}:*" for w in words))
        search: ColumnElement[Any] = literal_column("pain_points.search")
        found = select(p.id).where(search.op("@@")(query), where).order_by(
            func.ts_rank(search, query).desc(), p.id.desc()).limit(limit)
    else:  # each word quoted (no operator of FTS5's syntax can slip in), as a prefix, any of them
        match = " OR ".join(f'"{w}"*' for w in words)
        matched = (select(literal_column("rowid").label("id"), literal_column("bm25(pain_points_fts, 4.0, 1.0, 4.0, "
                                                                              "0.5)").label("rank"))
                   .select_from(text("pain_points_fts")).where(text("pain_points_fts MATCH :match"))
                   .subquery())
        found = (select(p.id).join(matched, matched.c.id == p.id).where(where)
                 .order_by(matched.c.rank, p.id.desc()).limit(limit)).params(match=match)
    return list(await session.scalars(found))


async def candidates(*, session: AsyncSession, phrase: str, where: ColumnElement[bool], limit: int = 20
                     ) -> list[Any]:
    """The items `find` ranks first for `phrase`, with what a similarity score reads of them: (id, summary,
    details, customer_ref, stage, department_id, status, created_at) rows, best first."""
    ids = await find(session=session, phrase=phrase, where=where, limit=limit)
    if not ids:
        return []
    p = PainPoint
    rows = {r.id: r for r in (await session.execute(select(
        p.id, p.summary, p.details, p.customer_ref, p.stage, p.department_id, p.status, p.created_at)
        .where(p.id.in_(ids)))).all()}
    return [rows[i] for i in ids if i in rows]
