"""The ledger tells the truth: the loop closes once with the right words, routing matches words, and every time
and event a person reads is in their zone and in words (issue: no role, word, message or figure silently wrong)."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.console import Console
from handlers.actions import find
from handlers.base import Actor, Command, Refusal
from handlers.clock import FixedClock
from handlers.org import PersonSpec, WorkingHours
from handlers.parse import parse
from messages.render import SlackRenderer, TeamsRenderer
from storage.models import Department, Event, OutboxMessage, PainPoint, Person
from tests.ledger import message, outbox_for, say


async def count(app: App, table: type) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def text_of(app: App, recipient: str, template: str) -> list[str]:
    return [app.renderer.render(m.template, m.payload, tz="Europe/London") for m in await outbox_for(app, recipient)
            if m.template == template]


async def test_yes_fixed_acts_once_per_resolution(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")
    await say(app, "local:dana", "resolve CX-1 Corrected the total")
    first = await say(app, "local:sam", "fixed CX-1")
    assert first.ok and first.replies[0].template == "updated"
    events, messages = await count(app, Event), await count(app, OutboxMessage)
    second = await say(app, "local:sam", "fixed CX-1")
    assert second.ok and second.replies[0].template == "current_state"
    assert (await count(app, Event), await count(app, OutboxMessage)) == (events, messages)
    assert len(await text_of(app, "local:dana", "confirmed")) == 1  # one "a win worth sharing"
    # a new resolution may be confirmed again
    await say(app, "local:sam", "reopen CX-1 The total is wrong again")
    await say(app, "local:dana", "resolve CX-1 Fixed the rounding too")
    assert (await say(app, "local:sam", "fixed CX-1")).replies[0].template == "updated"


async def test_reopen_needs_a_reason_on_every_surface(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")
    await say(app, "local:dana", "resolve CX-1 Corrected the total")
    bare = await say(app, "local:sam", "reopen CX-1")
    assert not bare.ok and "Why reopen CX-1?" in message(bare)
    assert (await say(app, "local:sam", "reopen CX-1    ")).ok is False
    reopen = find("reopen")
    assert reopen is not None and [f.required for f in reopen.fields] == [True]
    item = (await say(app, "local:sam", "show CX-1")).replies[0].data["item"]
    modal = SlackRenderer().render("action_form", {"item": item, "action": reopen.view("CX-1"), "departments": [],
                                                   "meta": {}})
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["block_id"] == "reason" and not field.get("optional")
    card = TeamsRenderer().card("resolved", {"item": item, "by": "Dana", "department": "Billing", "role": "reporter",
                                             "own": None})
    [show] = [a for a in card["actions"] if a["type"] == "Action.ShowCard" and a["title"] == "No, reopen"]
    assert show["card"]["body"][0]["isRequired"] is True


async def test_free_text_keeps_its_words(app: App) -> None:
    await say(app, "local:sam", "log Customer double charge on invoice 8812")
    outcome = await say(app, "local:dana", "resolve CX-1 Fixed the customer=ACME double charge cause=billing")
    assert outcome.ok
    async with app.db.transaction() as session:
        item = await session.get_one(PainPoint, 1)
    assert (item.resolution_note, item.root_cause) == ("Fixed the customer=ACME double charge", "billing")
    [told] = await text_of(app, "local:sam", "resolved")
    assert '"Fixed the customer=ACME double charge"' in told
    comment = await say(app, "local:lee", "comment CX-1 seen at stage=billing severity=high too")
    assert comment.ok and "seen at stage=billing severity=high too" in app.renderer.render(
        "updated", comment.replies[0].data)


async def test_duplicates_point_to_the_root_and_can_be_undone(app: App) -> None:
    for n in range(3):
        await say(app, "local:sam", f"log Invoice {n} is wrong anyway=yes")
    assert (await say(app, "local:dana", "duplicate CX-2 of CX-1")).ok
    assert (await say(app, "local:dana", "duplicate CX-3 of CX-2")).ok  # CX-2 is a duplicate: CX-3 goes to CX-1
    async with app.db.transaction() as session:
        assert (await session.get_one(PainPoint, 3)).duplicate_of_id == 1
    refused = await say(app, "local:sam", "reopen CX-2 It is not the same")  # its reporter may not undo it
    assert not refused.ok and "Only Billing's owners" in message(refused)
    undone = await say(app, "local:dana", "reopen CX-2 Not the same invoice after all")
    assert undone.ok
    async with app.db.transaction() as session:
        item = await session.get_one(PainPoint, 2)
    assert (item.status, item.duplicate_of_id) == ("open", None)


async def test_me_too_people_are_not_told_another_persons_words_as_theirs(app: App) -> None:
    await say(app, "local:sam", "log Invoice PDF is blank")
    await say(app, "local:raj", "metoo CX-1")
    await say(app, "local:lee", "log Invoices print empty")
    await say(app, "local:dana", "duplicate CX-2 of CX-1")
    await say(app, "local:dana", "resolve CX-1 Fixed the PDF renderer")
    [sam] = await text_of(app, "local:sam", "resolved")
    [raj] = await text_of(app, "local:raj", "resolved")
    [lee] = await text_of(app, "local:lee", "resolved")
    assert 'You said: "Invoice PDF is blank"' in sam
    assert "You said:" not in raj and 'You said "me too" to: "Invoice PDF is blank"' in raj
    assert "You said:" not in lee and 'You reported CX-2: "Invoices print empty", the same pain' in lee


async def test_a_reporter_is_offered_what_they_may_do(app: App) -> None:
    logged = await say(app, "local:sam", "log Invoice total wrong")
    text = app.renderer.render("logged", logged.replies[0].data)
    assert "assign CX-1 to" not in text and "comment CX-1 <the right team>" in text
    refused = await say(app, "local:sam", "assign CX-1 to onboarding")
    assert not refused.ok  # what was offered before
    owner = await say(app, "local:dana", "log Refund stuck")
    assert "assign CX-2 to <department>" in app.renderer.render("logged", owner.replies[0].data)


async def test_routing_matches_whole_words_and_says_which(app: App) -> None:
    await say(app, "local:cora", "dept add marketing Marketing")
    await say(app, "local:cora", "dept keywords marketing ad, campaign")
    address = await say(app, "local:sam", "log Customer cannot update their address")
    assert address.replies[0].data["item"]["department"] == "CX core team"  # triage, not Marketing
    ads = await say(app, "local:sam", "log Our ads promise a discount we do not give")
    assert ads.replies[0].data["item"]["department"] == "Marketing"
    assert 'because it mentions "ad"' in app.renderer.render("logged", ads.replies[0].data)
    charged = await say(app, "local:sam", "log Customer charged twice")
    assert charged.replies[0].data["item"]["department"] == "Billing"


def test_an_unknown_sentence_is_offered_as_a_pain_point() -> None:
    with pytest.raises(Refusal) as sentence:
        parse("the invoice is wrong")
    assert "To log it, type: log the invoice is wrong" in sentence.value.message
    assert "I don't know" not in sentence.value.message
    with pytest.raises(Refusal) as word:
        parse("frobnicate")
    assert "I don't know 'frobnicate'" in word.value.message


async def test_a_customer_of_several_words_is_not_split_into_the_summary(app: App) -> None:
    """main: "customer=ACME Corp" named the customer ACME and logged "Refund missing Corp"."""
    assert parse("log Refund missing customer=ACME Corp").fields == {"summary": "Refund missing",
                                                                     "customer": "ACME Corp"}
    assert parse("log Refund missing cust=Globex Ltd sev=high").fields == {
        "summary": "Refund missing", "customer": "Globex Ltd", "severity": "high"}
    assert parse("log customer=ACME Refund missing").fields == {"summary": "Refund missing", "customer": "ACME"}
    assert parse("metoo CX-1 customer=ACME Corp").fields == {"customer": "ACME Corp"}
    assert parse("resolve CX-1 Refunded cause=billing system was down").fields == {
        "note": "Refunded", "cause": "billing system was down"}
    logged = await say(app, "local:sam", "log Refund missing customer=ACME Corp")
    assert logged.replies[0].data["item"]["customer_ref"] == "ACME Corp"
    assert logged.replies[0].data["item"]["summary"] == "Refund missing"


async def test_personal_working_hours_still_apply_once_the_platform_identity_is_known(app: App,
                                                                                       clock: FixedClock) -> None:
    evening = WorkingHours(start=datetime(2026, 1, 1, 18).time(), end=datetime(2026, 1, 1, 23).time())
    app.org = app.org.model_copy(update={"people": [*app.org.people, PersonSpec(
        id="rita@example.com", working_hours=evening)]})
    # Rita opens the bot in Slack: her identity is learnt from her email; then an item is given to her
    learnt = await app.run(Command(actor=Actor(identity="slack:U0RITA", email="rita@example.com",
                                               display_name="Rita", workspace="T0ACME"), action="profile"))
    assert learnt.ok
    await say(app, "local:sam", "log Invoice total wrong")
    await say(app, "local:dana", "assign CX-1 to rita@example.com")
    clock.set(datetime(2026, 11, 24, 19, 0, tzinfo=UTC))  # Tuesday 19:00 London: her working hours
    swept = await app.run(Command(actor=Actor(identity="system:scheduler"), action="nudge"))
    assert swept.replies[0].data["sent"][0]["recipient"] == "slack:U0RITA"
    assert [m.template for m in await outbox_for(app, "slack:U0RITA")] == ["assignment", "nudge"]


async def test_times_are_shown_in_the_readers_zone_and_in_words(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=high")  # Monday 09:00 London
    async with app.db.transaction() as session:
        dana = (await session.scalars(select(Person).where(Person.identity == "local:dana"))).one()
        dana.timezone = "Asia/Tokyo"
    snoozed = await say(app, "local:dana", "snooze CX-1 tomorrow")
    async with app.db.transaction() as session:
        item = await session.get_one(PainPoint, 1)
    # the start of Dana's next working day in Tokyo: Tuesday 09:00 JST is Tuesday 00:00 UTC
    assert item.snoozed_until == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    card = SlackRenderer().message("updated", snoozed.replies[0].data, tz="Asia/Tokyo")
    assert "snoozed until Tue 24 Nov 09:00" in str(card["blocks"])
    shown = await say(app, "local:sam", "show CX-1")
    history = app.renderer.render("item", shown.replies[0].data, tz="Europe/London")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", history), history  # no ISO time anywhere
    assert "logged by Sam" in history and "snoozed by Dana until Tue 24 Nov 00:00" in history
    assert "create by" not in history and "snooze by" not in history
    header = app.renderer.render("item", shown.replies[0].data, tz="Europe/London").splitlines()[0]
    assert "ack due in 4h (Mon 13:00)" in header, header
    clock.advance(timedelta(hours=3, minutes=59, seconds=59))
    later = app.renderer.render("item", (await say(app, "local:sam", "show CX-1")).replies[0].data)
    assert ".0h" not in later and ".0d" not in later


async def test_a_duplicate_reads_as_one(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")
    await say(app, "local:sam", "log Invoice total is wrong anyway=yes")
    await say(app, "local:dana", "duplicate CX-2 of CX-1")
    again = await say(app, "local:dana", "ack CX-2")
    text = app.renderer.render(again.replies[0].template, again.replies[0].data)
    assert "CX-2 is a duplicate of CX-1" in text and "is duplicate" not in text
    assert "marked a duplicate by Dana" in text


async def test_the_console_shows_the_loop_in_words(app: App) -> None:
    out = io.StringIO()
    await Console(app, identity="local:sam", out=out).loop(io.StringIO(
        "log Invoice total wrong\n/as local:dana\nack CX-1\nshow CX-1\n/quit\n"))
    text = out.getvalue()
    assert "logged by Sam" in text and "acknowledged by Dana" in text
    assert "CX-1 acknowledged by Dana. Now resolve due in 8.3d (Tue 01 Dec).\nCX-1 · Billing" in text
    assert "create by" not in text and "acknowledge by" not in text


async def test_department_admin_keeps_every_open_item_owned(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")  # CX-1, Billing
    await say(app, "local:sam", "log Setup wizard crashes dept=onboarding")  # CX-2, Onboarding (Lee only)
    last = await say(app, "local:cora", "dept remove onboarding local:lee")
    assert not last.ok and "Onboarding's last owner" in message(last) and "CX-2 is still open" in message(last)
    assert (await say(app, "local:cora", "dept remove billing local:ana")).ok  # a rep: Dana still owns Billing
    assert not (await say(app, "local:cora", "dept delete onboarding")).ok
    await say(app, "local:lee", "resolve CX-2 Fixed the wizard")
    assert (await say(app, "local:cora", "dept remove onboarding local:lee")).ok  # nothing open any more
    deleted = await say(app, "local:cora", "dept delete onboarding")
    assert deleted.ok and "deleted" in app.renderer.render("department_changed", deleted.replies[0].data)
    listed = app.renderer.render("departments", (await say(app, "local:sam", "departments")).replies[0].data)
    assert "Onboarding" not in listed
    shown = app.renderer.render("item", (await say(app, "local:sam", "show CX-2")).replies[0].data)
    assert "CX-2 · Onboarding" in shown  # the history keeps it
    assert not (await say(app, "local:sam", "log Setup again dept=onboarding")).ok
    assert "added again as Onboarding" in app.renderer.render("department_changed", (await say(
        app, "local:cora", "dept add onboarding Onboarding")).replies[0].data)


async def test_a_lead_can_be_cleared_and_only_real_people_get_roles(app: App) -> None:
    cleared = await say(app, "local:cora", "dept lead billing none")
    assert cleared.ok and "has no lead now" in app.renderer.render("department_changed", cleared.replies[0].data)
    async with app.db.transaction() as session:
        assert (await session.scalars(select(Department.lead).where(Department.key == "billing"))).one() is None
    nobody = await say(app, "local:cora", "dept owner billing local:nobody")
    assert not nobody.ok and "I don't know 'local:nobody'" in message(nobody)
    assert (await say(app, "local:cora", "dept owner billing newhire@example.com")).ok
    assert (await say(app, "local:cora", "dept rep billing slack:U0NEW")).ok


async def test_without_a_triage_team_nobody_is_called_one(app: App) -> None:
    await say(app, "local:cora", "dept delete cx")
    logged = await say(app, "local:sam", "log Something odd happened to a customer")
    text = app.renderer.render("logged", logged.replies[0].data)
    assert "triage team," not in text and "no triage team is set up" in text


async def test_a_snooze_beyond_the_calendar_is_a_refusal(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")
    events = await count(app, Event)
    outcome = await say(app, "local:dana", "snooze CX-1 9999999999w")
    assert not outcome.ok and "further away than any snooze can be" in message(outcome)
    assert await count(app, Event) == events
