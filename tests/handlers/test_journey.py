"""The dashboard's figures against a ledger worked out by hand (both databases), and the root-cause step."""
from __future__ import annotations

from datetime import timedelta

from bot.app import App
from handlers import dashboard, journey
from handlers.base import Actor, Command, Context
from handlers.clock import FixedClock
from storage import reports
from tests.ledger import message, say, snapshot


async def ledger(app: App, clock: FixedClock) -> None:
    """F: Billing, five weeks ago, never acknowledged. Then, this week: A (high, two "me too"s), B (low), D and
    E (medium) in Billing at the billing stage; C (critical) in Onboarding. A resolved after 2h, B, D, E and C
    after 6h; all but C filed as product defects."""
    await say(app, "local:sam", "log Invoice F never arrived stage=billing")
    clock.advance(timedelta(weeks=5))
    await say(app, "local:sam", "log Invoice A charged twice stage=billing severity=high")
    await say(app, "local:sam", "log Refund B is slow stage=billing severity=low")
    await say(app, "local:lee", "log Setup wizard C crashes stage=onboarding severity=critical")
    await say(app, "local:sam", "log Invoice D total wrong stage=billing")
    await say(app, "local:sam", "log Invoice E tax wrong stage=billing anyway=yes")
    await say(app, "local:ana", "metoo CX-2")
    await say(app, "local:lee", "metoo CX-2")
    clock.advance(timedelta(hours=2))
    await say(app, "local:dana", "resolve CX-2 Refunded category=product")
    clock.advance(timedelta(hours=4))
    for ref in ("CX-3", "CX-5", "CX-6"):
        assert (await say(app, "local:dana", f"resolve {ref} Fixed the template cause=\"product defect: tax rounding\""
                          )).ok
    await say(app, "local:lee", "resolve CX-4 Restarted the wizard service")
    clock.advance(timedelta(minutes=1))


async def test_the_journey_map_trend_and_causes_are_right(app: App, clock: FixedClock) -> None:
    await ledger(app, clock)
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:leo")
        assert seen is not None and seen.everything
        four = await journey.overview(ctx, seen, 4)
        twelve = await journey.overview(ctx, seen, 12)
    billing = four["grid"]["billing|1"]
    # weights: A high 3 x (1 + 2 "me too"s) = 9, B low 1, D and E medium 2 each; resolved in 2h, 6h, 6h, 6h
    assert (billing["count"], billing["weight"], billing["median_resolve"]) == (4, 14, "6h")
    onboarding = four["grid"]["onboarding|2"]
    assert (onboarding["count"], onboarding["weight"], onboarding["median_resolve"]) == (1, 5, "6h")
    assert four["total"] == 5 and len(four["grid"]) == 2  # F is older than four weeks
    assert twelve["total"] == 6 and twelve["grid"]["billing|1"]["count"] == 5
    assert twelve["trend"][four["stages"].index("billing")]["weeks"][-6:] == [1, 0, 0, 0, 0, 4]
    assert four["stages"][:3] == ["marketing", "sales", "onboarding"]  # the org's journey order
    causes = four["causes"]
    assert causes["top"] == [{"cause": "product defect", "count": 4, "where": [{"place": "billing / Billing",
                                                                                 "count": 4}]}]
    assert causes["systemic"] == [{"stage": "billing", "cause": "product defect", "count": 4, "weeks": 4}]
    assert causes["uncategorised"] == 1  # C
    wins = four["wins"]
    assert wins["resolved_total"] == 5 and [w["ref"] for w in wins["resolved"]][-1] == "CX-2"


async def test_scorecards_are_the_digest_s_own_figures(app: App, clock: FixedClock) -> None:
    await ledger(app, clock)
    async with app.db.transaction(read_only=True) as session:
        ctx = Context(session=session, clock=clock, org=app.org)
        seen = await dashboard.viewer(ctx, "local:dana")
        assert seen is not None and list(seen.departments.values()) == ["Billing"]
        cards = await journey.scorecards(ctx, seen)
        now = clock.now()
        [digest_row] = [r for r in await reports.week(session=session, start=now - timedelta(weeks=12), end=now,
                                                      overdue=journey.overdue_now(now)) if r.department == "Billing"]
    [billing] = cards["rows"]
    assert billing["department"] == "Billing"
    assert (billing["in"], billing["resolved"], billing["overdue"]) == (digest_row.new, digest_row.resolved,
                                                                        digest_row.overdue) == (5, 4, 1)
    assert billing["median_resolve"] == "6h" and billing["trend"]["in"][-6:] == [1, 0, 0, 0, 0, 4]
    assert [i["ref"] for i in cards["overdue"]] == ["CX-1"]


async def test_a_root_cause_is_one_of_the_org_s(app: App) -> None:
    await say(app, "local:sam", "log Invoice charged twice")
    before = await snapshot(app)
    refused = await say(app, "local:dana", "resolve CX-1 Refunded category=weather")
    assert not refused.ok and "'weather' is not one of the root causes here: process, product defect" in \
        message(refused)
    assert await snapshot(app) == before  # nothing changed
    assert not (await say(app, "local:dana", "resolve CX-1 Refunded category=p")).ok  # process? policy? product?
    done = await say(app, "local:dana", "resolve CX-1 Refunded category=\"Third  Party\" cause=\"the bank\"")
    assert done.ok
    shown = await say(app, "local:sam", "show CX-1")
    assert "(root cause: third party: the bank)" in app.renderer.render("item", shown.replies[0].data)


async def test_the_check_before_a_form_offers_the_org_s_causes(app: App) -> None:
    await say(app, "local:sam", "log Invoice charged twice")
    outcome = await app.run(Command(actor=Actor(identity="local:dana"), action="check", ref="CX-1",
                                    fields={"verb": "resolve"}))
    [category] = [f for f in outcome.replies[0].data["action"]["form"] if f["name"] == "category"]
    assert [c["value"] for c in category["choices"]] == app.org.root_causes


async def test_the_weekly_trend_is_the_digest_s_week_by_week(app: App, clock: FixedClock) -> None:
    """The scorecards' twelve weeks come from one pass (reports.weekly); each equals the digest's own figures
    for that week (reports.week), acknowledgements and their SLA included."""
    await ledger(app, clock)
    for ref in ("CX-1",):
        clock.advance(timedelta(days=3))
        await say(app, "local:dana", f"ack {ref}")  # late
    await say(app, "local:sam", "log Invoice G late stage=billing")
    await say(app, "local:dana", "ack CX-7")  # in time
    clock.advance(timedelta(days=9))
    now = clock.now()
    start = now - timedelta(weeks=12)
    async with app.db.transaction(read_only=True) as session:
        weekly = await reports.weekly(session=session, start=start, weeks=12, overdue_now=journey.overdue_now(now))
        for n in range(12):
            end = start + timedelta(weeks=n + 1)
            rule = journey.overdue_now(now) if n == 11 else reports.overdue_at(end)
            for row in await reports.week(session=session, start=start + timedelta(weeks=n), end=end, overdue=rule):
                got = weekly.get((row.department_id, n), reports.Weekly())
                assert (got.new, got.acknowledged, got.acknowledged_in_sla, got.resolved, got.overdue, got.median_ack,
                        got.median_resolve) == (row.new, row.acknowledged, row.acknowledged_in_sla, row.resolved,
                                                row.overdue, row.median_ack, row.median_resolve), (n, row.department)
    assert sum(w.overdue for w in weekly.values()) > 0 and any(w.median_resolve for w in weekly.values())
    assert sum(w.acknowledged for w in weekly.values()) == 2
    assert sum(w.acknowledged_in_sla for w in weekly.values()) == 1
