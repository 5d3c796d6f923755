"""Is this pain already logged? The items most like a new text: retrieved by the database's full-text search
(storage.search), then scored on their summaries word by word, forgiving typos and word endings, with a little
weight for the same journey stage and customer. Only scores over THRESHOLD are suggested: an unrelated text gets
no suggestion at all, so the common path stays one step."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import and_, or_

from storage import search
from storage.models import LIVE, PainPoint

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
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP]


def alike(a: str, b: str) -> bool:
    """The same word, or one typed with a slip ("invoce", "recieved")."""
    return a == b or (min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.8)


def overlap(words: list[str], other: list[str]) -> float:
    """How much two texts share, 0 to 1: matched words on both sides over all words (Dice)."""
    if not words or not other:
        return 0.0
    matched = sum(1 for w in words if any(alike(w, o) for o in other))
    return 2 * matched / (len(words) + len(other))


@dataclass(frozen=True)
class Similar:
    id: int
    score: float


def score(text: str, stage: str | None, customer: str | None, row: Any) -> float:
    found = overlap(tokens(text), tokens(row.summary))
    if stage and stage != "other" and row.stage == stage:
        found += 0.1
    if customer and row.customer_ref and customer.lower() == row.customer_ref.lower():
        found += 0.1
    return found


async def suggest(session: Any, now: datetime, text: str, *, stage: str | None = None, customer: str | None = None,
                  limit: int = 3) -> list[Similar]:
    """Up to `limit` open (or recently resolved) items like this text, best first; none when none is close."""
    p = PainPoint
    alive = or_(p.status.in_(LIVE), and_(p.status == "resolved", p.resolved_at >= now - RECENT))
    found = [Similar(r.id, score(text, stage, customer, r)) for r in await search.candidates(
        session=session, phrase=" ".join(tokens(text)), where=alive)]
    return sorted((s for s in found if s.score >= THRESHOLD), key=lambda s: -s.score)[:limit]
