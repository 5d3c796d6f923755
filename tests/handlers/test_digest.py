"""The weekly accountability digest, checked against a hand-computed week."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from handlers.base import Actor, Command, Outcome
from handlers.clock import FixedClock
from storage import outbox
from tests.ledger import message, say

SYSTEM = Actor(identity="system:scheduler")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)  # London is on UTC in November


async def week_48(app: App, clock: FixedClock) -> None:
    clock.set(at(16, 9))
    await say(app, "local:sam", "log Invoice address wrong")  # CX-1, week 47, never touched
    clock.set(at(23, 9))
    await say(app, "local:sam", "log Customer charged twice severity=high")  # CX-2
    clock.set(at(23, 10))
    await say(app, "local:dana", "ack CX-2")  # 1h, inside the 4h SLA
    await say(app, "local:sam", "log Refund not received")  # CX-3, medium
    clock.set(at(24, 9))
    await say(app, "local:dana", "resolve CX-2 Refunded the duplicate charge")  # 24h after logging
    await say(app, "local:sam", "log Setup wizard crashes severity=critical dept=onboarding")  # CX-4
    clock.set(at(25, 9))
    await say(app, "local:sam", "log Export button missing severity=low dept=onboarding stage=use")  # CX-5
    clock.set(at(25, 10))
    await say(app, "local:dana", "ack CX-3")  # 48h, past its 1-day SLA
    clock.set(at(26, 9))
    await say(app, "local:lee", "decline CX-5 Exports are on the roadmap for Q1")
    clock.set(at(30, 9))  # Monday morning: the digest covers the week just ended


async def digest(app: App, **fields: str) -> Outcome:
    return await app.run(Command(actor=SYSTEM, action="digest", fields=fields))


async def test_figures_match_the_hand_computed_week(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    outcome = await digest(app)
    data = outcome.replies[0].data
    assert (data["week"], data["new"], data["resolved"], data["overdue"], data["change"]) == (
        "2026-W48", 4, 1, 2, 300)
    rows = {r["department"]: r for r in data["rows"]}
    assert rows["Billing"] == {"department": "Billing", "new": 2, "acknowledged": 2, "resolved": 1, "declined": 0,
                               "open": 2, "overdue": 1, "in_sla": 50, "median_ack": "24h", "median_resolve": "24h"}
    assert rows["Onboarding"] == {"department": "Onboarding", "new": 2, "acknowledged": 0, "resolved": 0,
                                  "declined": 1, "open": 1, "overdue": 1, "in_sla": None, "median_ack": None,
                                  "median_resolve": None}
    assert "CX core team" not in rows  # nothing happened there
    assert data["stages"] == [{"stage": "billing", "count": 2}, {"stage": "onboarding", "count": 1},
                              {"stage": "use", "count": 1}]
    assert [(i["ref"], i["owner_name"]) for i in data["overdue_items"]] == [("CX-1", "Dana"), ("CX-4", "Lee")]
    assert data["wins"] == [{"ref": "CX-2", "summary": "Customer charged twice", "department": "Billing",
                             "note": "Refunded the duplicate charge"}]
    assert data["best"] is None  # two acknowledgements are too few to call anyone's SLA record the best
    text = app.renderer.render("digest", data)
    assert text.startswith("Customer pain, week 48, 23-29 Nov 2026 · 4 in (+300%) · 1 resolved · 2 overdue")
    assert "Where customers hurt: billing 2 · onboarding 1 · use 1" in text
    assert "Overdue, with owners: CX-1 Billing (Dana, 13d) · CX-4 Onboarding (Lee, 5.6d)" in text


async def test_a_named_week_and_an_empty_one(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    older = (await digest(app, week="2026-W40")).replies[0].data
    assert (older["new"], older["rows"], older["wins"], older["change"]) == (0, [], [], None)
    previous = (await digest(app, week="2026-W47")).replies[0].data
    assert previous["new"] == 1


@pytest.mark.parametrize("week", ["2026-48", "last week", "2026-W54"])
async def test_bad_week_is_refused(app: App, week: str) -> None:
    outcome = await digest(app, week=week)
    assert not outcome.ok and "week" in message(outcome)


async def test_only_leaders_and_admins_see_it_in_chat(app: App) -> None:
    refused = await say(app, "local:sam", "digest")
    assert not refused.ok and "Only CX leaders and admins" in message(refused)
    assert (await say(app, "local:leo", "digest")).ok
    assert (await say(app, "local:cora", "digest 2026-W47")).ok


async def test_send_goes_to_each_destination_once(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    first = await app.run(Command(actor=SYSTEM, action="digest_send"))
    assert sorted(first.replies[0].data["sent"]) == ["local:cora", "local:dana", "local:lee", "local:leo"]
    again = await app.run(Command(actor=SYSTEM, action="digest_send"))
    assert again.replies[0].data["sent"] == [] and again.replies[0].data["skipped"] == 4
    async with app.db.transaction() as session:
        rows = [m for m in await outbox.listing(session=session) if m.template == "digest"]
    assert len(rows) == 4
    billing = next(m for m in rows if m.recipient == "local:dana").payload
    assert billing["department"] == "Billing" and [r["department"] for r in billing["rows"]] == ["Billing"]
    leadership = next(m for m in rows if m.recipient == "local:leo").payload
    assert leadership["department"] is None and leadership["new"] == 4


async def test_a_week_in_progress_is_so_far_and_agrees_with_overdue(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    clock.set(at(26, 15))  # Thursday afternoon of week 48
    await say(app, "local:dana", "snooze CX-1 2d")  # snoozed: not overdue now, as `overdue` says
    data = (await digest(app, week="2026-W48")).replies[0].data
    listed = (await say(app, "local:leo", "overdue")).replies[0].data["items"]
    assert data["in_progress"] and data["overdue"] == len(listed) > 0
    assert [i["ref"] for i in data["overdue_items"]] == [i["ref"] for i in listed]
    text = app.renderer.render("digest", data, tz="Europe/London")
    assert text.startswith("Customer pain, week 48, 23-29 Nov 2026 so far (as of Thu 26 Nov 15:00)")
    future = await digest(app, week="2026-W49")
    assert not future.ok and "has not begun" in message(future)
    for week in ("9999-W52", "0001-W01"):
        assert not (await digest(app, week=week)).ok


async def test_only_complete_weeks_are_sent(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    clock.set(at(27, 12))  # Friday of week 48
    early = await app.run(Command(actor=SYSTEM, action="digest_send", fields={"week": "2026-W48"}))
    assert not early.ok and "not over yet" in message(early)
    async with app.db.transaction() as session:
        assert [m for m in await outbox.listing(session=session) if m.template == "digest"] == []
    clock.set(at(30, 9))  # Monday: the real digest still goes out
    assert sorted((await app.run(Command(actor=SYSTEM, action="digest_send"))).replies[0].data["sent"]) == [
        "local:cora", "local:dana", "local:lee", "local:leo"]


async def test_an_owner_of_two_departments_gets_both_digests(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    await say(app, "local:cora", "dept owner onboarding local:dana")  # Dana owns Billing and Onboarding
    sent = await app.run(Command(actor=SYSTEM, action="digest_send"))
    assert sorted(sent.replies[0].data["sent"]).count("local:dana") == 2
    async with app.db.transaction() as session:
        digests = [m.payload["department"] for m in await outbox.listing(session=session)
                   if m.template == "digest" and m.recipient == "local:dana"]
    assert sorted(digests) == ["Billing", "Onboarding"]
    again = await app.run(Command(actor=SYSTEM, action="digest_send"))
    assert again.replies[0].data["sent"] == []


async def test_an_acknowledgement_counts_in_its_week_even_after_a_reopen(app: App, clock: FixedClock) -> None:
    await week_48(app, clock)
    clock.set(at(30, 10))  # week 49: CX-2 is reopened, then acknowledged again
    await say(app, "local:sam", "reopen CX-2 Charged twice again")
    clock.set(at(30, 11))
    await say(app, "local:dana", "ack CX-2")
    clock.set(at(30, 12))
    await say(app, "local:dana", "reopen CX-3 Wrongly acknowledged")  # CX-3 was acknowledged in week 48
    rows = {r["department"]: r for r in (await digest(app, week="2026-W48")).replies[0].data["rows"]}
    assert (rows["Billing"]["acknowledged"], rows["Billing"]["in_sla"]) == (2, 50)
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))  # Monday 7 Dec: week 49 is complete
    week_49 = {r["department"]: r for r in (await digest(app, week="2026-W49")).replies[0].data["rows"]}
    assert week_49["Billing"]["acknowledged"] == 1


async def test_wins_celebrate_only_what_was_done_and_quiet_departments_get_one_line(app: App,
                                                                                   clock: FixedClock) -> None:
    await week_48(app, clock)
    for n in range(3):  # three more for Billing, each acknowledged inside its SLA and one resolved
        clock.set(at(26, 10 + n))
        await say(app, "local:sam", f"log Invoice {n} wrong severity=high anyway=yes")
        await say(app, "local:dana", f"ack CX-{6 + n}")
    await say(app, "local:dana", "resolve CX-6 Corrected it")
    clock.set(at(30, 9))
    data = (await digest(app)).replies[0].data
    assert data["best"] == {"department": "Billing", "in_sla": 80, "resolved": 2}
    sent = await app.run(Command(actor=SYSTEM, action="digest_send"))
    assert "local:cora" in sent.replies[0].data["sent"]
    async with app.db.transaction() as session:
        [quiet] = [m for m in await outbox.listing(session=session) if m.recipient == "local:cora"]
    text = app.renderer.render("digest", quiet.payload)
    assert text == ("Customer pain, CX core team, week 48, 23-29 Nov 2026: a quiet week. Nothing came in, "
                    "nothing is open.")


async def test_medians_agree_to_the_second_on_both_databases(app: App, clock: FixedClock) -> None:
    from datetime import timedelta

    from storage import reports
    from storage.models import PainPoint

    clock.set(at(23, 9))
    for n, after in enumerate((timedelta(seconds=10.4), timedelta(seconds=20.6), timedelta(seconds=31.2))):
        await say(app, "local:sam", f"log Invoice {n} wrong anyway=yes")
        clock.set(at(23, 9) + after)
        await say(app, "local:dana", f"ack CX-{n + 1}")
        clock.set(at(23, 9))
    async with app.db.transaction(read_only=True) as session:
        found = await reports.medians(session=session, moment=PainPoint.acknowledged_at,
                                      since=PainPoint.created_at, start=at(23, 0), end=at(30, 0), department_id=None)
    assert list(found.values()) == [21.0]  # 20.6 s to the second; main: 20.59999... on SQLite, 20.6 on PostgreSQL
