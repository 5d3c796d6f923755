"""How good "is this already logged?" is, on the labelled set (bench/similar_set.py): for the texts that repeat an
item, how often that item is among the first three suggestions; for the texts that repeat nothing, how often
nothing at all is suggested. Next to a plain word-overlap baseline (Jaccard of the words, at its own best
threshold) in the same run. Then how fast suggestions and search answer over 100,000 items.

    python -m bench.similar [--postgres URL]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from bench.handlers import finished
from bench.schedule import NOW, fill, fresh, year_of_items
from bench.similar_set import LEDGER, QUERIES
from handlers import similar
from storage import search
from storage.models import PainPoint


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def baseline(text: str, ledger: dict[str, str], threshold: float) -> list[str]:
    """Plain word overlap: Jaccard of the words, the best three over the threshold."""
    q = words(text)
    scored = sorted(((len(q & words(s)) / len(q | words(s)), k) for k, s in ledger.items()), reverse=True)
    return [k for score, k in scored[:3] if score >= threshold]


def quality(suggested: dict[int, list[str]]) -> tuple[float, float]:
    """(share of repeats whose item is in the first three, share of the rest with no suggestion at all)."""
    repeats = [(n, q) for n, q in enumerate(QUERIES) if q.same_as]
    others = [n for n, q in enumerate(QUERIES) if not q.same_as]
    found = sum(1 for n, q in repeats if q.same_as in suggested[n])
    quiet = sum(1 for n in others if not suggested[n])
    return found / len(repeats), quiet / len(others)


async def labelled(app: Any) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Suggestions for every query, ours and the baseline's (at the baseline's best threshold)."""
    rows = [{"summary": e.summary, "stage": e.stage, "customer_ref": e.customer, "severity": "medium",
             "reporter": "local:r", "department_id": 1, "owner": "local:owner0", "status": "open",
             "created_at": NOW - timedelta(days=3), "updated_at": NOW - timedelta(days=3),
             "ack_due_at": NOW, "resolve_due_at": NOW} for e in LEDGER]
    async with app.db.transaction() as session:
        await session.execute(insert(PainPoint), rows)
    keys = {n + 1: e.key for n, e in enumerate(LEDGER)}  # ids in the order inserted, into an empty ledger
    ours: dict[int, list[str]] = {}
    async with app.db.transaction(read_only=True) as session:
        for n, q in enumerate(QUERIES):
            found = await similar.suggest(session, NOW, q.text, stage=q.stage, customer=q.customer)
            ours[n] = [keys.get(s.id, "?") for s in found]
    ledger = {e.key: e.summary for e in LEDGER}
    best: dict[int, list[str]] = {}
    best_score = -1.0
    for step in range(1, 20):
        threshold = step / 20
        theirs = {n: baseline(q.text, ledger, threshold) for n, q in enumerate(QUERIES)}
        recall, quiet = quality(theirs)
        if min(recall, quiet) > best_score:  # the threshold that balances the two best
            best, best_score = theirs, min(recall, quiet)
    return ours, best


async def speed(app: Any, runs: int = 20) -> tuple[float, float]:
    """p95 ms of a suggestion and of a search over the bench's 100,000 items (plus the labelled ledger)."""
    texts = [q.text for q in QUERIES[:runs]]
    suggest_times, find_times = [], []
    async with app.db.transaction(read_only=True) as session:
        for text in texts:
            started = time.perf_counter()
            await similar.suggest(session, NOW, text)
            suggest_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await search.find(session=session, phrase=text, where=PainPoint.id > 0)
            find_times.append(time.perf_counter() - started)
    return (sorted(suggest_times)[int(runs * 0.95) - 1] * 1000, sorted(find_times)[int(runs * 0.95) - 1] * 1000)


async def main(postgres: str | None, items: int = 100_000) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    targets = [("SQLite", None)] + ([("PostgreSQL", postgres)] if postgres else [])
    with tempfile.TemporaryDirectory() as folder:
        for label, url in targets:
            app = await fresh(url or f"sqlite+aiosqlite:///{folder}/similar.db",
                              f"cxbench_similar_{os.getpid()}" if url else None)
            try:
                ours, theirs = await labelled(app)
                (recall, quiet), (base_recall, base_quiet) = quality(ours), quality(theirs)
                rows.append((f"similar, {label}: repeats with their item in the top 3 (%, vs word overlap)",
                             100 * recall, 100 * base_recall))
                rows.append((f"similar, {label}: other texts with no suggestion (%, vs word overlap)",
                             100 * quiet, 100 * base_quiet))
                await fill(app, year_of_items(items))
                suggest_ms, find_ms = await speed(app)
                rows.append((f"similar, {label} {items // 1000}k: p95 ms of a suggestion (vs a search)", suggest_ms,
                             find_ms))
            finally:
                await finished(app)
    return rows


if __name__ == "__main__":
    from bench.handlers import table

    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    print(table(asyncio.run(main(parser.parse_args().postgres))))
