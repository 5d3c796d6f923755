"""Nudges: overdue items remind their owners inside working hours, repeat daily, escalate, and go out once."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, insert, select

from bot.app import App
from handlers.base import Actor, Command, Outcome
from handlers.clock import FixedClock
from storage import nudges
from storage.models import Nudge, OutboxMessage, PainPoint
from tests.ledger import say

SCHEDULER = Actor(identity="system:scheduler")


async def sweep(app: App, **fields: str) -> Outcome:
    return await app.run(Command(actor=SCHEDULER, action="nudge", fields=fields))


async def sent(app: App, template: str | None = None) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.template.in_(["nudge", "escalation"]))
        if template:
            query = query.where(OutboxMessage.template == template)
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def test_overdue_item_nudges_its_owner_once_per_working_day(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=high")  # ack due Mon 13:00
    await sweep(app)
    assert await sent(app) == []  # not overdue yet
    clock.set(datetime(2026, 11, 23, 13, 5, tzinfo=UTC))
    report = await sweep(app)
    assert [s["refs"] for s in report.replies[0].data["sent"]] == [["CX-1"]]
    [nudge] = await sent(app)
    assert nudge.recipient == "local:dana"
    assert nudge.payload["items"][0]["overdue_by"] == "5m"
    assert [a["id"] for a in nudge.payload["items"][0]["actions"]][:1] == ["acknowledge"]
    clock.advance(timedelta(hours=2))
    await sweep(app)
    assert len(await sent(app)) == 1  # once per working day
    clock.set(datetime(2026, 11, 24, 13, 5, tzinfo=UTC))
    await sweep(app)
    assert len(await sent(app)) == 2


async def test_a_reminder_s_resolve_form_offers_the_org_s_own_root_causes(app: App, clock: FixedClock) -> None:
    """The nudge card's resolve form (Teams shows it on the card) offers the organisation's root causes (main: the
    defaults, whatever the org file says, so a cause picked there could be one the org does not have)."""
    app.org = app.org.model_copy(update={"root_causes": ["vendor outage", "pricing"]})
    await say(app, "local:sam", "log Invoice total wrong severity=high")
    clock.set(datetime(2026, 11, 23, 13, 5, tzinfo=UTC))
    await sweep(app)
    [nudge] = await sent(app)
    assert "resolve" in [a["id"] for a in nudge.payload["items"][0]["actions"]]
    [category] = [f for f in nudge.payload["forms"]["resolve"] if f["name"] == "category"]
    assert [c["value"] for c in category["choices"]] == ["vendor outage", "pricing"]


async def test_a_reminder_carries_each_form_once_and_its_lead_no_buttons(app: App, clock: FixedClock) -> None:
    """Twenty overdue items in one reminder carry their buttons' forms once for the whole message (main: each
    item carried every form, ~3.3 KB of buttons an item, 66 KB a reminder), and Teams still shows each button's
    form on the card; the lead's escalation lists the same items without the owner's buttons."""
    for n in range(25):
        await say(app, "local:sam", f"log Invoice {n} total wrong severity=high anyway=yes")
    for day in range(3):  # the third reminder climbs to the lead too (lead_after: 2)
        clock.set(datetime(2026, 11, 23 + day, 13, 5, tzinfo=UTC))
        await sweep(app)
    nudge = (await sent(app, "nudge"))[-1]
    assert len(nudge.payload["items"]) == 20 and nudge.payload["count"] == 25
    assert all("form" not in a for i in nudge.payload["items"] for a in i["actions"])
    assert set(nudge.payload["forms"]) == {a["id"] for a in nudge.payload["items"][0]["actions"]}
    assert len(json.dumps(nudge.payload)) < 30_000
    from messages.render import TeamsRenderer

    card = TeamsRenderer().card("nudge", nudge.payload)
    snooze = [a for a in json.loads(json.dumps(card))["body"][1]["items"][-1]["actions"] if a["title"] == "Snooze"]
    assert [c["value"] for c in snooze[0]["card"]["body"][0]["choices"]][:2] == ["4h", "tomorrow"]
    [escalation] = await sent(app, "escalation")
    assert escalation.payload["items"] and all("actions" not in i for i in escalation.payload["items"])


async def test_a_reminder_offers_waiting_not_stop_waiting(app: App, clock: FixedClock) -> None:
    """An overdue item is never waiting (a wait pauses its clock): its reminder offers "Waiting on…", not "Stop
    waiting" (main: every row of every reminder carried a "Stop waiting" button that could only answer "it is not
    waiting"); a reminder card shown again after its item began to wait offers "Stop waiting" instead."""
    await say(app, "local:sam", "log Invoice total wrong severity=high")
    clock.set(datetime(2026, 11, 23, 13, 5, tzinfo=UTC))
    await sweep(app)
    [nudge] = await sent(app)
    offered = [a["id"] for a in nudge.payload["items"][0]["actions"]]
    assert "wait" in offered and "resume" not in offered
    assert (await say(app, "local:dana", "wait CX-1 customer asked for the invoice number")).ok
    again = await app.run(Command(actor=Actor(identity="local:dana"), action="nudge_rows",
                                  fields={"refs": json.dumps(["CX-1"])}))
    offered = [a["id"] for a in again.replies[0].data["items"][0]["actions"]]
    assert "resume" in offered and "wait" not in offered


async def test_no_nudges_outside_working_hours_in_the_owners_zone(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")  # ack due Mon 10:00
    async with app.db.transaction() as session:
        from storage import people

        dana = await people.get(session=session, who="local:dana")
        assert dana is not None
        dana.timezone = "America/New_York"  # 09:00-17:00 there is 14:00-22:00 in London
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 07:00 in New York
    await sweep(app)
    assert await sent(app) == []
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in New York
    await sweep(app)
    assert [n.recipient for n in await sent(app)] == ["local:dana"]


async def test_weekend_is_quiet(app: App, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # Friday 16:00
    await say(app, "local:sam", "log Invoice total wrong severity=critical")  # ack due Mon 09:00
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # Saturday
    await sweep(app)
    assert await sent(app) == []


async def test_snoozed_items_are_quiet_until_the_snooze_ends(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical anyway=yes")
    await say(app, "local:dana", "snooze CX-1 1d")
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    await sweep(app)
    assert await sent(app) == []
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    await sweep(app)
    assert len(await sent(app)) == 1


async def test_one_combined_nudge_for_many_items(app: App, clock: FixedClock) -> None:
    for n in range(3):
        await say(app, "local:sam", f"log Invoice {n} wrong severity=critical anyway=yes")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    await sweep(app)
    [nudge] = await sent(app)
    assert nudge.payload["count"] == 3
    assert [i["ref"] for i in nudge.payload["items"]] == ["CX-1", "CX-2", "CX-3"]


async def test_escalation_ladder_reaches_the_lead_then_leaders(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")  # ack due Mon 10:00
    days = [datetime(2026, 11, 23 + d, 10, 30, tzinfo=UTC) for d in range(4)] + [
        datetime(2026, 11, 30, 10, 30, tzinfo=UTC)]  # Mon..Thu, then the next Monday (the weekend is quiet)
    for day in days:
        clock.set(day)
        await sweep(app)
    owner = [n for n in await sent(app, "nudge")]
    escalations = await sent(app, "escalation")
    assert len(owner) == 5
    assert [e.recipient for e in escalations] == ["local:bea", "local:bea", "local:bea", "local:leo"]
    first = escalations[0].payload["items"][0]
    assert (first["ref"], first["owner_name"], first["nudged"], first["kind"]) == ("CX-1", "Dana", 2, "ack")
    assert first["waited"] == "2.1d"  # logged Monday 09:00, third reminder Wednesday 10:30
    async with app.db.transaction() as session:
        levels = list(await session.scalars(select(Nudge.level).order_by(Nudge.slot)))
    assert levels == [0, 0, 1, 1, 2]


async def test_acting_stops_the_nudges(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    await sweep(app)
    await say(app, "local:dana", "ack CX-1")  # critical: resolve due one working day after logging, Mon 17:00
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    await sweep(app)
    assert len(await sent(app)) == 1  # acknowledged, and not yet past its resolve time
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))  # past its resolve time: a new cycle begins
    await sweep(app)
    items = [n.payload["items"][0] for n in await sent(app)]
    assert [i["kind"] for i in items] == ["ack", "resolve"]


async def test_dry_run_sends_and_records_nothing(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    report = await sweep(app, dry_run="yes")
    assert report.replies[0].data["dry_run"] is True
    assert [s["recipient"] for s in report.replies[0].data["sent"]] == ["local:dana"]
    assert await sent(app) == []
    async with app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Nudge)) == 0


async def test_a_sweep_repeated_at_the_same_moment_sends_nothing_more(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    await sweep(app)
    await sweep(app)
    assert len(await sent(app)) == 1


async def test_working_hours_follow_the_clock_change(app: App, clock: FixedClock) -> None:
    """Friday 23 Oct 2026 London is on BST (UTC+1); on Monday 26th it is back on GMT."""
    clock.set(datetime(2026, 10, 23, 14, 0, tzinfo=UTC))  # Friday 15:00 BST
    await say(app, "local:sam", "log Invoice total wrong severity=critical anyway=yes")  # ack due Friday 16:00 BST
    clock.set(datetime(2026, 10, 23, 16, 30, tzinfo=UTC))  # Friday 17:30 BST: after hours
    await sweep(app)
    assert await sent(app) == []
    clock.set(datetime(2026, 10, 26, 8, 30, tzinfo=UTC))  # Monday 08:30 GMT: not yet
    await sweep(app)
    assert await sent(app) == []
    clock.set(datetime(2026, 10, 26, 9, 0, tzinfo=UTC))  # Monday 09:00 GMT: working hours begin
    await sweep(app)
    assert [n.recipient for n in await sent(app)] == ["local:dana"]


async def test_a_reminder_carries_what_people_read_and_counts_the_rest(app: App, clock: FixedClock) -> None:
    """A sweep over thousands of overdue items built, and stored in one outbox row, an entry for every one of
    them, though a card shows 15 or 20: the reminder carries 20 and the count; the report names them all."""
    from messages.render import Renderer, TeamsRenderer

    for n in range(30):
        await say(app, "local:sam", f"log Invoice {n} total wrong severity=high anyway=yes")
    clock.set(datetime(2026, 11, 23, 13, 5, tzinfo=UTC))
    report = await sweep(app)
    [nudge] = await sent(app)
    assert len(nudge.payload["items"]) == 20 and nudge.payload["count"] == 30  # main: all 30 entries
    assert len(report.replies[0].data["sent"][0]["refs"]) == 30
    assert "and 10 more" in Renderer("text").render("nudge", nudge.payload)
    assert "and 15 more" in str(TeamsRenderer().card("nudge", nudge.payload))


async def test_thousands_of_claims_are_one_statement_and_each_is_won_once(app: App) -> None:
    """A sweep's claims go as one INSERT however many there are (PostgreSQL: unnested arrays; SQLite: one JSON
    array taken apart by json_each; before: SQLite's were a statement per thousand rows of seven parameters
    each), and a second sweep claiming the same reminders wins none."""
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    async with app.db.transaction() as session:
        ids = list(await session.scalars(insert(PainPoint).returning(PainPoint.id), [
            {"summary": f"Pain {n}", "stage": "billing", "severity": "medium", "reporter": "local:sam",
             "department_id": 1, "owner": "local:dana", "status": "open", "created_at": now, "updated_at": now,
             "ack_due_at": now, "resolve_due_at": now + timedelta(days=7)} for n in range(2500)]))
    rows = [{"pain_point_id": i, "kind": "ack", "due_at": now, "slot": 1, "level": 0, "owner": "local:dana"}
            for i in ids]
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with app.db.transaction() as session:
            won = await nudges.claim(session=session, at=now, rows=rows)
    finally:
        event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
    assert won == {(i, 1) for i in ids}
    assert len([s for s in sent if s.lstrip().upper().startswith("INSERT")]) == 1
    async with app.db.transaction() as session:
        assert await nudges.claim(session=session, at=now, rows=rows) == set()
        assert await session.scalar(select(func.count()).select_from(Nudge)) == 2500
