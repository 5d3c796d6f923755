"""find: the best matches by the database's own full-text search (SQLite FTS5, PostgreSQL tsvector), kept up to
date in the transaction of every change, with filters, and only what the asker may see."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from storage import db, search
from storage.models import PainPoint
from tests.ledger import Database, ledger_at, message, say, snapshot


async def found(app: App, who: str, line: str) -> list[str]:
    outcome = await say(app, who, line)
    assert outcome.ok, message(outcome)
    return [i["ref"] for i in outcome.replies[0].data["items"]]


async def ledger(app: App) -> None:
    await say(app, "local:sam", "log Refunds are missing for three orders customer=ACME stage=billing")  # CX-1
    await say(app, "local:sam", "log Checkout page is slow details=\"customers say the refund button hangs\"")  # 2
    await say(app, "local:lee", "log Onboarding emails land in spam customer=Globex")  # CX-3
    await say(app, "local:sam", "log Salary shown on refund letters")  # CX-4, restricted below
    await say(app, "local:sam", "restrict CX-4")


async def test_words_find_their_forms_best_first(app: App) -> None:
    await ledger(app)
    best = await found(app, "local:dana", "find refunded")
    assert set(best[:2]) == {"CX-1", "CX-4"} and best[2:] == ["CX-2"]  # in the summary before in the details
    assert await found(app, "local:dana", "search spam onboarding") == ["CX-3"]
    assert await found(app, "local:lee", "find refund") == ["CX-1", "CX-2"]  # CX-4 is restricted: not Lee's
    said = (await say(app, "local:lee", "find teleport")).replies[0]
    assert said.data["items"] == [] and 'Nothing matches "teleport"' in app.renderer.render(said.template, said.data)


async def test_filters_narrow_the_matches(app: App) -> None:
    await ledger(app)
    assert await found(app, "local:dana", "find refund customer=acme") == ["CX-1"]
    assert await found(app, "local:dana", "find refund dept=onboarding") == []
    assert "CX-3" not in await found(app, "local:dana", "find refund dept=billing")
    await say(app, "local:dana", "resolve CX-1 Paid out by hand")
    assert set(await found(app, "local:dana", "find refund status=live")) == {"CX-4", "CX-2"}
    assert await found(app, "local:dana", "find refund status=closed") == ["CX-1"]
    refused = await say(app, "local:dana", "find refund status=lost")
    assert not refused.ok and "status=lost is not one I know" in message(refused)


async def test_the_index_follows_every_change_in_its_transaction(app: App) -> None:
    await ledger(app)
    assert await found(app, "local:dana", "find payout") == []
    await say(app, "local:dana", "resolve CX-1 The payout job retries failed transfers now")
    assert await found(app, "local:dana", "find payout") == ["CX-1"]  # what was done is searchable too


async def test_query_syntax_in_the_words_is_only_words(app: App) -> None:
    await ledger(app)
    before = await snapshot(app)
    for line in ('find "refund* OR', "find refund:* & !spam", "find NEAR(refund, spam)", "find ) ( ' ;"):
        outcome = await say(app, "local:dana", line)
        assert outcome.ok or "Find what?" in message(outcome), line
    assert set(await found(app, "local:dana", 'find "refund"')) == {"CX-1", "CX-4", "CX-2"}
    assert not (await say(app, "local:dana", "find ?!")).ok
    assert await snapshot(app) == before


async def test_the_migration_indexes_the_items_there_are(database: Database, tmp_path: Path) -> None:
    """A ledger at the migration before search, with an item in it, finds it once migrated."""
    async with ledger_at(database, tmp_path, "0015") as engine:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO departments (key, name, keywords, triage) VALUES ('billing', 'Billing', '[]', true)"))
            await conn.execute(text(
                "INSERT INTO pain_points (summary, stage, severity, reporter, department_id, status, created_at, "
                "updated_at, ack_due_at, resolve_due_at, restricted) VALUES ('Invoices are doubled', 'billing', "
                "'medium', 'local:sam', (SELECT id FROM departments WHERE key = 'billing'), 'open', "
                "'2026-11-23 09:00:00+00:00', '2026-11-23 09:00:00+00:00', '2026-11-24 09:00:00+00:00', "
                "'2026-11-30 09:00:00+00:00', false)"))
        await db.migrate(engine)
        async with AsyncSession(engine) as session:
            assert len(await search.find(session=session, phrase="invoice doubling", where=PainPoint.id > 0)) == 1
