"""Is this pain already logged? The items most like a new text: retrieved by the database's full-text search
(storage.search), then scored on their summaries word by word, forgiving typos and word endings, with a little
weight for the same journey stage, customer and department. Only scores over THRESHOLD are suggested: an unrelated
text gets no suggestion at all, so the common path stays one step."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_

from handlers import access
from handlers.base import Context
from handlers.clock import humanise
from handlers.views import STATUS
from storage import pain_points, search
from storage.models import LIVE, PainPoint, Person

THRESHOLD = 0.5
RECENT = timedelta(days=30)  # resolved this recently, an item is still suggested (the fix may not have worked)
STOP = frozenset((  # words that say nothing about which pain it is
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "cannot", "could", "did", "do", "does",
    "for", "from", "get", "gets", "got", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "just",
    "me", "my", "no", "not", "of", "on", "or", "our", "out", "so", "still", "than", "that", "the", "their", "them",
    "they", "this", "to", "too", "up", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "won't", "would", "you", "your", "customer", "customers", "client", "clients"))
SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    for suffix in SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    return list(tokens_of(text))


@lru_cache(maxsize=4096)
def tokens_of(text: str) -> tuple[str, ...]:
    """`tokens`, kept for the texts met most: the same live items' summaries are scored for one new text after
    another."""
    return tuple(stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP)


def alike(a: str, b: str) -> bool:
    """The same word, or one typed with a slip ("invoce", "recieved"): a similarity ratio of 0.8 or more, its
    cheap upper bounds tried first (as difflib's get_close_matches does), since most pairs are far apart."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    matcher = SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def overlap(words: Sequence[str], other: Sequence[str]) -> float:
    """How much two texts share, 0 to 1: matched words on both sides over all words (Dice). One word in common
    is not enough where both say more than one ("Invoice is late", "Refund is late")."""
    if not words or not other:
        return 0.0
    matched = sum(1 for w in words if any(alike(w, o) for o in other))
    if matched < 2 and min(len(words), len(other)) > 1:
        return 0.0
    return 2 * matched / (len(words) + len(other))


@dataclass(frozen=True)
class Similar:
    id: int
    score: float


def score(text: str, stage: str | None, customer: str | None, row: Any, department_id: int | None = None
          ) -> float:
    found = overlap(tokens_of(text), tokens_of(row.summary))
    if stage and stage != "other" and row.stage == stage:
        found += 0.1
    if department_id is not None and row.department_id == department_id:
        found += 0.1
    if customer and row.customer_ref and customer.lower() == row.customer_ref.lower():
        found += 0.1
    return found


async def suggest(session: Any, now: datetime, text: str, *, stage: str | None = None, customer: str | None = None,
                  department_id: int | None = None, limit: int = 3) -> list[Similar]:
    """Up to `limit` open (or recently resolved) items like this text, best first; none when none is close. The
    same stage, customer and department (each when the person named it) weigh a little beside the words."""
    p = PainPoint
    alive = or_(p.status.in_(LIVE), and_(p.status == "resolved", p.resolved_at >= now - RECENT))
    found = [Similar(r.id, score(text, stage, customer, r, department_id)) for r in await search.candidates(
        session=session, phrase=" ".join(tokens(text)), where=alive)]
    return sorted((s for s in found if s.score >= THRESHOLD), key=lambda s: -s.score)[:limit]


async def offer(ctx: Context, who: Person, text: str, *, stage: str | None = None, customer: str | None = None,
                department_id: int | None = None, leave_out: int | None = None) -> list[dict[str, Any]]:
    """What a person is shown of the items like `text`: up to three they may see (a restricted item only to who
    may), each with its department, status, age and how many people it hurts; `leave_out`: the item itself."""
    found = [s.id for s in await suggest(ctx.session, ctx.clock.now(), text, stage=stage, customer=customer,
                                         department_id=department_id, limit=4) if s.id != leave_out][:3]
    if not found:
        return []
    rows = {i.id: i for i in await pain_points.matching(session=ctx.session, where=PainPoint.id.in_(found))}
    items = await access.visible(ctx, who, [rows[i] for i in found if i in rows])
    return [{"ref": i.ref, "summary": i.summary, "department": i.department.name, "status": i.status,
             "status_text": STATUS[i.status], "age": humanise(ctx.clock.now() - i.created_at),
             "people": 1 + len(i.affected_rows), "customer_ref": i.customer_ref,
             "yours": i.reporter == who.identity,
             # logged before the item it is like (the new one): that one is its duplicate, not the other way
             "older": leave_out is None or i.id < leave_out} for i in items]


async def repeats(ctx: Context, who: Person, item: PainPoint) -> list[dict[str, Any]] | None:
    """What a live item may repeat, for those who may act on it (its owners, reps and admins: they may mark it a
    duplicate); None for anyone else, or an item no longer live."""
    if item.status not in LIVE or not access.may_act(who, item):
        return None
    return await offer(ctx, who, item.summary, stage=item.stage, customer=item.customer_ref,
                       department_id=item.department_id, leave_out=item.id)
