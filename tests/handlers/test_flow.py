"""The accountability loop through the handlers: log -> owner told -> acknowledge -> resolve -> reporter told."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import App
from handlers.base import Actor, Command
from handlers.clock import FixedClock
from storage.models import Affected, Event, PainPoint
from tests.ledger import outbox_for, say


async def item(app: App, number: int) -> PainPoint:
    async with app.db.transaction() as session:
        return await session.get_one(PainPoint, number)


async def history(app: App, number: int) -> list[tuple[str, str, str | None]]:
    async with app.db.transaction() as session:
        events = await session.scalars(select(Event).where(Event.pain_point_id == number).order_by(Event.id))
        return [(e.action, e.actor, e.note) for e in events]


async def test_log_routes_by_keyword_and_tells_the_owner(app: App) -> None:
    outcome = await say(app, "local:sam", "log Customer charged twice on invoice 8812 severity=high customer=ACME")
    assert outcome.ok
    reply = outcome.replies[0]
    assert reply.template == "logged"
    assert reply.data["item"]["ref"] == "CX-1"
    assert reply.data["item"]["department"] == "Billing"
    assert reply.data["routed_by"] == "routed"
    stored = await item(app, 1)
    assert (stored.status, stored.owner, stored.severity, stored.customer_ref) == ("open", "local:dana", "high", "ACME")
    assert stored.stage == "billing"  # the department is named like a journey stage
    # high: 4 working hours to acknowledge, 3 working days to resolve, from Monday 09:00
    assert stored.ack_due_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert stored.resolve_due_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # end of the third working day
    notices = await outbox_for(app, "local:dana")
    assert [n.template for n in notices] == ["assignment"]
    assert notices[0].payload["item"]["summary"] == "Customer charged twice on invoice 8812"
    assert [a["id"] for a in notices[0].payload["item"]["actions"]] == [
        "acknowledge", "reassign", "snooze", "resolve", "decline", "wait"]


async def test_no_keyword_match_goes_to_triage(app: App) -> None:
    outcome = await say(app, "local:sam", "log The mobile app logs people out every hour")
    assert outcome.replies[0].data["routed_by"] == "triage"
    assert (await item(app, 1)).owner == "local:cora"
    assert [n.template for n in await outbox_for(app, "local:cora")] == ["assignment"]


async def test_reporter_choice_beats_routing(app: App) -> None:
    outcome = await say(app, "local:sam", "log Refund form confusing dept=onboarding stage=support")
    assert outcome.replies[0].data["routed_by"] == "chosen"
    stored = await item(app, 1)
    assert (stored.owner, stored.stage) == ("local:lee", "support")


async def test_whole_loop_closes_with_history(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Customer charged twice on invoice 8812 severity=high")
    clock.advance(timedelta(hours=1))
    ack = await say(app, "local:ana", "ack CX-1")  # a rep acknowledges and takes it
    assert ack.ok and ack.replies[0].template == "updated"
    assert (await item(app, 1)).owner == "local:ana"
    assert [n.template for n in await outbox_for(app, "local:sam")] == ["acknowledged"]
    clock.advance(timedelta(hours=2))
    done = await say(app, "local:ana", 'resolve CX-1 Refunded the duplicate charge cause="nightly job retried"')
    assert done.ok
    stored = await item(app, 1)
    assert stored.status == "resolved"
    assert stored.resolution_note == "Refunded the duplicate charge"
    assert stored.root_cause == "nightly job retried"
    assert stored.resolved_at == clock.now()
    told = await outbox_for(app, "local:sam")
    assert [n.template for n in told] == ["acknowledged", "resolved"]
    assert told[1].payload["item"]["resolution_note"] == "Refunded the duplicate charge"
    assert [a[0] for a in await history(app, 1)] == ["create", "acknowledge", "resolve"]
    # "did this fix it?" - yes
    confirm = await say(app, "local:sam", "fixed CX-1")
    assert confirm.ok
    assert [n.template for n in await outbox_for(app, "local:ana")] == ["confirmed"]


async def test_repeated_click_answers_with_current_state_and_changes_nothing(app: App) -> None:
    await say(app, "local:sam", "log Invoice shows the wrong VAT")
    await say(app, "local:dana", "ack CX-1")
    again = await say(app, "local:dana", "ack CX-1")
    assert again.ok and again.replies[0].template == "current_state"
    assert again.replies[0].data["last_action"] == "acknowledge"
    assert [a[0] for a in await history(app, 1)] == ["create", "acknowledge"]
    await say(app, "local:dana", "resolve CX-1 Fixed the VAT rate")
    stale = await say(app, "local:dana", "resolve CX-1 Fixed it again")
    assert stale.replies[0].template == "current_state"
    assert (await item(app, 1)).resolution_note == "Fixed the VAT rate"


async def test_reassign_to_department_resets_acknowledgement(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Refund link broken in the setup wizard")  # refund -> billing
    await say(app, "local:dana", "ack CX-1")
    clock.advance(timedelta(hours=2))
    moved = await say(app, "local:dana", "assign CX-1 to onboarding it is the wizard")
    assert moved.ok
    stored = await item(app, 1)
    assert (stored.status, stored.owner, stored.department.key) == ("open", "local:lee", "onboarding")
    assert stored.acknowledged_at is None
    assert stored.ack_due_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # medium: 1 working day from 11:00
    assert [n.template for n in await outbox_for(app, "local:lee")] == ["assignment"]
    same = await say(app, "local:lee", "assign CX-1 to onboarding")
    assert not same.ok and "already with Onboarding" in same.replies[0].data["message"]


async def test_reassign_to_person_moves_to_their_department(app: App) -> None:
    await say(app, "local:sam", "log Strange charge on the invoice")
    outcome = await say(app, "local:dana", "assign CX-1 to local:lee")
    assert outcome.ok
    stored = await item(app, 1)
    assert (stored.owner, stored.department.key) == ("local:lee", "onboarding")


async def test_snooze_is_bounded_and_reported(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice PDF is blank")
    ok = await say(app, "local:dana", "snooze CX-1 2d")
    assert ok.ok
    assert (await item(app, 1)).snoozed_until == clock.now() + timedelta(days=2)
    too_long = await say(app, "local:dana", "snooze CX-1 30d")
    assert not too_long.ok and "at most 14d" in too_long.replies[0].data["message"]
    past = await say(app, "local:dana", "snooze CX-1 2026-11-01")
    assert not past.ok and "already passed" in past.replies[0].data["message"]
    monday = await say(app, "local:dana", "snooze CX-1 until monday")
    assert monday.ok
    assert (await item(app, 1)).snoozed_until == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_decline_and_reopen_by_reporter(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Customer wants an invoice in Klingon")
    declined = await say(app, "local:dana", "decline CX-1 We only invoice in English and French")
    assert declined.ok
    assert [n.template for n in await outbox_for(app, "local:sam")] == ["declined"]
    clock.advance(timedelta(days=1))
    reopened = await say(app, "local:sam", "reopen CX-1 It is a legal requirement in their country")
    assert reopened.ok
    stored = await item(app, 1)
    assert (stored.status, stored.closed_at) == ("open", None)
    assert stored.ack_due_at > clock.now()
    assert [n.template for n in await outbox_for(app, "local:dana")] == ["assignment", "reopened"]


async def test_me_too_and_duplicates_hear_back_on_resolution(app: App) -> None:
    await say(app, "local:sam", "log Refund takes three weeks")
    await say(app, "local:lee", "log Refunds are slow, customers angry")
    me_too = await say(app, "local:cora", "me too CX-1 customer=Globex")
    assert me_too.ok and me_too.replies[0].data["item"]["affected"] == 1
    again = await say(app, "local:cora", "metoo CX-1")
    assert again.replies[0].data["already"] == "affected"
    own = await say(app, "local:sam", "metoo CX-1")
    assert own.replies[0].data["already"] == "reporter"
    dup = await say(app, "local:dana", "duplicate CX-2 of CX-1")
    assert dup.ok
    assert (await item(app, 2)).status == "duplicate"
    assert [n.template for n in await outbox_for(app, "local:lee")] == ["merged"]
    # "me too" on the duplicate lands on the original
    redirected = await say(app, "local:ana", "metoo CX-2")
    assert redirected.replies[0].data["redirected"] == "CX-2"
    assert redirected.replies[0].data["item"]["ref"] == "CX-1"
    await say(app, "local:dana", "resolve CX-1 Refunds now go out within 2 days")
    for who in ("local:sam", "local:lee", "local:ana"):
        assert (await outbox_for(app, who))[-1].template == "resolved", who
    # Cora said "me too" for a customer: she hears what was done, then is asked to tell Globex
    assert [n.template for n in await outbox_for(app, "local:cora")][-2:] == ["resolved", "follow_up"]


async def test_comment_reaches_owner_and_reporter_not_the_author(app: App) -> None:
    await say(app, "local:sam", "log Invoice emails land in spam")
    outcome = await say(app, "local:lee", "comment CX-1 Seen this with three customers this week")
    assert outcome.ok
    assert [n.template for n in await outbox_for(app, "local:dana")] == ["assignment", "commented"]
    assert [n.template for n in await outbox_for(app, "local:sam")] == ["commented"]
    assert await outbox_for(app, "local:lee") == []


async def test_lists_show_mine_queue_and_overdue(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")
    await say(app, "local:sam", "log Refund missing severity=low")
    clock.advance(timedelta(hours=3))
    mine = await say(app, "local:dana", "mine")
    owned = mine.replies[0].data["owned"]
    assert [i["ref"] for i in owned] == ["CX-1", "CX-2"]
    assert owned[0]["overdue"] is True and owned[1]["overdue"] is False
    reported = (await say(app, "local:sam", "mine")).replies[0].data["reported"]
    assert [i["ref"] for i in reported] == ["CX-2", "CX-1"]
    queue = await say(app, "local:ana", "queue")
    assert queue.replies[0].data["department"] == "Billing"
    assert queue.replies[0].data["overdue"] == 1
    overdue = await say(app, "local:leo", "overdue")
    assert [i["ref"] for i in overdue.replies[0].data["items"]] == ["CX-1"]
    await say(app, "local:dana", "snooze CX-1 1d")
    overdue = await say(app, "local:leo", "overdue")
    assert overdue.replies[0].data["items"] == []


async def test_a_chat_message_is_logged_once_whoever_asks_and_however_close_together(app: App) -> None:
    def from_message(who: str) -> Command:
        return Command(actor=Actor(identity=who), action="log_message", fields={
            "summary": "Invoice PDF is blank", "source": "https://acme.slack.com/archives/C1/p1700000000000100"})

    outcomes = await asyncio.gather(*(app.run(from_message(who)) for who in ("local:sam", "local:ana",
                                                                               "local:lee")))
    assert [o.ok for o in outcomes] == [True, True, True]
    assert sorted(o.replies[0].template for o in outcomes) == ["logged", "me_too", "me_too"]
    async with app.db.transaction() as session:
        reporter = (await session.scalars(select(PainPoint.reporter))).one()
    assert reporter in ("local:sam", "local:ana", "local:lee")  # whichever came first
    again = await app.run(from_message(str(reporter)))  # the reporter again: already counted
    assert again.replies[0].template == "me_too" and again.replies[0].data["already"] == "reporter"
    other = next(who for who in ("local:sam", "local:ana") if who != reporter)
    again = await app.run(from_message(other))  # one of the others again: already affected
    assert again.replies[0].template == "me_too" and again.replies[0].data["already"] == "affected"
    async with app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(PainPoint)) == 1
        assert await session.scalar(select(func.count()).select_from(Affected)) == 2
