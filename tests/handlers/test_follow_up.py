"""The loop closes with the customer: whoever raised an item for a customer is asked to tell them what was done,
answers with a click, is reminded once in their next working day, and the item shows how it stands."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select

from bot.app import App
from handlers import dashboard, journey
from handlers.base import Context
from handlers.clock import FixedClock
from storage.models import FollowUp, OutboxMessage
from tests.handlers.test_digest import digest
from tests.handlers.test_nudges import sweep
from tests.ledger import message, outbox_for, say, snapshot


async def tasks(app: App, who: str) -> list[OutboxMessage]:
    return [m for m in await outbox_for(app, who) if m.template == "follow_up"]


async def loop(app: App) -> list[tuple[str, str, str]]:
    async with app.db.transaction() as session:
        rows = await session.scalars(select(FollowUp).order_by(FollowUp.id))
        return [(r.person, r.customer, r.status) for r in rows]


async def resolved_for_customers(app: App) -> None:
    """CX-1 raised by Sam for ACME, Lee said "me too" for Globex, Ana "me too" for nobody; Dana resolves it."""
    assert (await say(app, "local:sam", "log Invoice charged twice stage=billing customer=ACME")).ok
    assert (await say(app, "local:lee", "metoo CX-1 customer=Globex")).ok
    assert (await say(app, "local:ana", "metoo CX-1")).ok
    assert (await say(app, "local:dana", "resolve CX-1 Refunded the second charge; the retry bug is fixed")).ok


async def test_each_person_who_raised_it_for_a_customer_is_asked_to_tell_them(app: App) -> None:
    await resolved_for_customers(app)
    assert await loop(app) == [("local:sam", "ACME", "pending"), ("local:lee", "Globex", "pending")]
    assert await tasks(app, "local:ana") == []  # she named no customer
    (task,) = await tasks(app, "local:sam")
    said = app.renderer.render("follow_up", task.payload)
    assert "CX-1 is resolved: please tell ACME what was done." in said
    assert "Hello ACME, thank you for telling us about this: \"Invoice charged twice\". It is sorted now: " \
           "Refunded the second charge; the retry bug is fixed." in said
    assert "[Customer told: told CX-1]" in said and "[Not needed: notneeded CX-1 <why>]" in said
    assert "[Remind me tomorrow: remind CX-1]" in said
    assert "[Yes" not in said  # the fix check is the resolved message's, not this one's


async def test_customer_told_is_recorded_once_and_shows_on_the_item(app: App) -> None:
    await resolved_for_customers(app)
    told = await say(app, "local:sam", "told CX-1")
    assert told.ok and told.replies[0].data["headline"] == "Thanks, Sam: ACME heard what was done about CX-1."
    again = await say(app, "local:sam", "told CX-1")
    assert again.ok and again.replies[0].template == "current_state"  # a second click changes nothing
    assert (await say(app, "local:lee", "notneeded CX-1 Globex called us this morning and already knows")).ok
    assert await loop(app) == [("local:sam", "ACME", "told"), ("local:lee", "Globex", "not_needed")]
    shown = await say(app, "local:dana", "show CX-1")
    states = shown.replies[0].data["item"]["follow_ups"]
    assert [(s["customer"], s["person_name"], s["status_text"]) for s in states] == [
        ("ACME", "Sam", "told"), ("Globex", "Lee", "not needed")]
    text = app.renderer.render("item", shown.replies[0].data)
    assert "Customers: ACME told by Sam" in text and "Globex: not needed (Lee: Globex called us" in text
    assert "History:" in text.splitlines()  # on a line of its own, after the customers' line


async def test_not_needed_needs_a_reason_and_strangers_have_nothing_to_answer(app: App) -> None:
    await resolved_for_customers(app)
    before = await snapshot(app)
    refused = await say(app, "local:lee", "notneeded CX-1")
    assert not refused.ok and "reason" in message(refused)
    stranger = await say(app, "local:ana", "told CX-1")
    assert not stranger.ok and "no customer for you to tell about CX-1" in message(stranger)
    live = await say(app, "local:sam", "log Refund form loses the amount customer=Initech")
    assert live.ok
    early = await say(app, "local:sam", "told CX-2")
    assert early.ok and early.replies[0].template == "current_state"  # not resolved yet: nothing to tell
    assert (await snapshot(app))[1] == before[1] + 1  # only the new item's own "log" event


async def test_one_reminder_in_the_next_working_day_then_it_waits_on_the_owners_list(app: App,
                                                                                     clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 27, 15, tzinfo=UTC))  # a Friday afternoon
    await resolved_for_customers(app)
    assert (await say(app, "local:lee", "told CX-1")).ok
    await sweep(app)
    assert len(await tasks(app, "local:sam")) == 1  # not before his next working day
    clock.set(datetime(2026, 11, 30, 9, 5, tzinfo=UTC))  # Monday morning
    await sweep(app)
    await sweep(app)
    _, reminder = await tasks(app, "local:sam")
    assert reminder.payload["reminder"] and "A reminder: ACME has not heard yet about CX-1." in \
        app.renderer.render("follow_up", reminder.payload)
    assert len(await tasks(app, "local:lee")) == 1  # he had answered: no reminder
    clock.set(datetime(2026, 12, 1, 9, 5, tzinfo=UTC))
    await sweep(app)
    assert len(await tasks(app, "local:sam")) == 2  # one reminder, never more
    mine = await say(app, "local:dana", "mine")
    waiting = mine.replies[0].data["waiting"]
    assert [(w["ref"], w["customer"], w["person_name"]) for w in waiting] == [("CX-1", "ACME", "Sam")]
    assert "Customers still waiting to hear: CX-1 ACME (Sam" in app.renderer.render("mine", mine.replies[0].data)


async def test_remind_me_tomorrow_reminds_once_more(app: App, clock: FixedClock) -> None:
    await resolved_for_customers(app)  # Monday 09:00
    later = await say(app, "local:sam", "remind CX-1")
    assert later.ok and later.replies[0].data["headline"] == "I'll remind you to tell ACME about CX-1 Tuesday at 09:00."
    clock.set(datetime(2026, 11, 24, 9, 1, tzinfo=UTC))
    await sweep(app)
    assert [m.payload["reminder"] for m in await tasks(app, "local:sam")] == [False, True]


async def test_reopening_withdraws_what_was_owed_and_the_next_resolution_asks_again(app: App) -> None:
    await resolved_for_customers(app)
    assert (await say(app, "local:sam", "reopen CX-1 Still charged twice on the new invoice")).ok
    assert [s for _, _, s in await loop(app)] == ["withdrawn", "withdrawn"]
    assert (await say(app, "local:dana", "decline CX-1 Billing rules require the second charge")).ok
    assert [s for _, _, s in await loop(app)] == ["pending", "pending"]
    (_, again) = await tasks(app, "local:sam")
    said = app.renderer.render("follow_up", again.payload)
    assert "CX-1 is declined: please tell ACME what was done." in said
    assert "we won't be changing it for now: Billing rules require the second charge." in said


async def test_a_customer_named_on_a_duplicate_is_owed_word_too(app: App) -> None:
    assert (await say(app, "local:sam", "log Invoice charged twice stage=billing")).ok
    assert (await say(app, "local:lee", "log Customer charged two times on invoice customer=Umbrella anyway=yes")).ok
    assert (await say(app, "local:dana", "duplicate CX-2 of CX-1")).ok
    assert (await say(app, "local:dana", "resolve CX-1 Refunded")).ok
    assert await loop(app) == [("local:lee", "Umbrella", "pending")]


async def test_the_digest_and_the_scorecards_count_customers_told(app: App, clock: FixedClock) -> None:
    """Customers told of those who were to hear ("not needed" aside), for the week and per department, as the
    week stood at its end; the scorecards over 12 weeks, with the dashboard's item page and list."""
    await resolved_for_customers(app)  # Monday 23 Nov: Sam owes ACME, Lee owes Globex
    assert (await say(app, "local:sam", "log Setup wizard loops stage=onboarding customer=Initech")).ok
    assert (await say(app, "local:lee", "resolve CX-2 The wizard remembers each step now")).ok
    assert (await say(app, "local:sam", "told CX-1")).ok
    assert (await say(app, "local:lee", "notneeded CX-1 Globex saw the fix themselves")).ok
    clock.set(datetime(2026, 11, 30, 8, tzinfo=UTC))  # the next Monday, before anyone tells Initech
    data = (await digest(app, week="2026-W48")).replies[0].data
    assert data["told"] == {"told": 1, "owed": 2, "percent": 50, "not_needed": 1}
    assert [(t["department"], t["told"], t["owed"]) for t in data["told_by_department"]] == [
        ("Billing", 1, 1), ("Onboarding", 0, 1)]
    assert "Customers told: 1 of 2 (50%) · Billing 1 of 1 · Onboarding 0 of 1" in app.renderer.render("digest", data)
    assert (await say(app, "local:sam", "told CX-2")).ok
    again = (await digest(app, week="2026-W48")).replies[0].data
    assert again["told"]["told"] == 1  # told after the week ended: the week's figure stands as at its end
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:leo")
        assert seen is not None
        cards = {r["department"]: r for r in (await journey.scorecards(ctx, seen))["rows"]}
        assert cards["Billing"]["told"] == {"told": 1, "owed": 1, "percent": 100, "not_needed": 1}
        assert cards["Onboarding"]["told"]["percent"] == 100  # as it stands now
        page = await dashboard.page(ctx, seen, "CX-1")
        assert page is not None
        assert [(f["customer"], f["status"]) for f in page["follow_ups"]] == [("ACME", "told"),
                                                                             ("Globex", "not_needed")]
        untold = await dashboard.listing(ctx, seen, dashboard.Filters(status="untold", weeks=0))
        assert untold["total"] == 0


async def test_customer_lists_every_pain_point_that_customer_hit(app: App) -> None:
    """The account view: as the item's customer or a "me too"'s, open first, with what was done and whether they
    were told; restricted items only for those who may see them; nothing for a customer nobody named."""
    await resolved_for_customers(app)  # CX-1 for ACME (Sam) and Globex (Lee), resolved
    assert (await say(app, "local:sam", "told CX-1")).ok
    assert (await say(app, "local:lee", "log Export to CSV drops accents stage=use customer=Globex")).ok  # CX-2
    assert (await say(app, "local:sam", "log Salary data visible in invoice notes customer=acme corp")).ok  # CX-3
    assert (await say(app, "local:sam", "restrict CX-3")).ok
    outcome = await say(app, "local:lee", "customer acme")
    data = outcome.replies[0].data
    assert outcome.ok and [i["ref"] for i in data["items"]] == ["CX-1"]  # CX-3 is restricted: not Lee's
    assert data["items"][0]["done"] == "Refunded the second charge; the retry bug is fixed"
    assert data["items"][0]["told"] == "told" and data["items"][0]["customers"] == ["ACME"]
    sam = (await say(app, "local:sam", "customer ACME")).replies[0].data
    assert [i["ref"] for i in sam["items"]] == ["CX-3", "CX-1"] and sam["open"] == 1  # open first
    globex = (await say(app, "local:cora", "account globex")).replies[0].data
    assert [(i["ref"], i["told"]) for i in globex["items"]] == [("CX-2", None), ("CX-1", "not told yet")]
    said = app.renderer.render("customer", globex)
    assert said.startswith("Globex: 2 pain points, 1 open.")
    assert "Done: Refunded the second charge; the retry bug is fixed · customer not told yet" in said
    nobody = await say(app, "local:sam", "customer Initech")
    assert nobody.ok and 'No pain point names a customer like "Initech"' in app.renderer.render(
        "customer", nobody.replies[0].data)
    assert not (await say(app, "local:sam", "customer")).ok


async def test_the_account_view_reads_a_fixed_number_of_statements(app: App) -> None:
    """However many pain points a customer hit, `customer` reads them (and their "me too"s) in the same few
    statements: a rep opens it before every call."""
    counted: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        counted.append(statement)

    async def statements(items: int) -> int:
        for n in range(items):
            assert (await say(app, "local:sam", f"log Case {n} for the account customer=Umbrella anyway=yes")).ok
            assert (await say(app, "local:lee", f"metoo CX-{n + 1} customer=Umbrella")).ok
        counted.clear()
        event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
        try:
            assert (await say(app, "local:dana", "customer umbrella")).ok
        finally:
            event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
        return len(counted)

    few = await statements(2)
    assert await statements(10) == few
