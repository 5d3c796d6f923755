"""Random sequences of actions by random people never reach an invalid state, never lose history,
and refuse exactly what the rules refuse."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from bot.app import App, create_app
from bot.settings import Settings
from handlers.base import Actor, Command, Outcome
from handlers.clock import FixedClock
from storage.models import Affected, Event, PainPoint
from tests.ledger import ORG

PEOPLE = ["local:sam", "local:dana", "local:ana", "local:lee", "local:cora", "local:leo"]
BILLING = {"local:dana", "local:ana"}
ADMINS = {"local:cora"}
ALLOWED = {  # status before -> statuses an action may lead to
    "open": {"open", "acknowledged", "resolved", "declined", "duplicate"},
    "acknowledged": {"acknowledged", "open", "resolved", "declined", "duplicate"},
    "resolved": {"resolved", "open"},
    "declined": {"declined", "open"},
    "duplicate": {"duplicate", "open"},  # a wrong duplicate is undone by reopening it (its department only)
}
ACTIONS = {
    "ack": {}, "resolve": {"note": "Fixed it"}, "decline": {"reason": "Not ours"}, "reopen": {"reason": "Back"},
    "snooze": {"until": "1d"}, "assign": {"to": "onboarding"}, "comment": {"text": "Noted"},
    "metoo": {}, "fixed": {}, "duplicate": {"of": "CX-1"}, "show": {},
}
MEMBER_ONLY = {"ack", "resolve", "decline", "snooze", "assign", "duplicate"}


class Ledger(RuleBasedStateMachine):
    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.mkdtemp()
        path = Path(self.dir) / "ledger.db"
        shutil.copy(self.template, path)
        self.clock = FixedClock()
        self.app: App = create_app(Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}", CX_ORG_FILE=str(ORG)),
                                   clock=self.clock)
        self.loop.run_until_complete(self.app.prepare())
        self.items = 0
        self.history_lengths: dict[int, int] = {}

    def teardown(self) -> None:
        self.loop.run_until_complete(self.app.close())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, who: str, action: str, ref: str | None, fields: dict[str, str]) -> Outcome:
        cmd = Command(actor=Actor(identity=who), action=action, ref=ref, fields=fields)
        return self.loop.run_until_complete(self.app.run(cmd))

    def state(self) -> list[PainPoint]:
        async def read() -> list[PainPoint]:
            async with self.app.db.transaction() as session:
                return list(await session.scalars(select(PainPoint).order_by(PainPoint.id)))
        return self.loop.run_until_complete(read())

    def events(self) -> dict[int, int]:
        async def read() -> dict[int, int]:
            async with self.app.db.transaction() as session:
                rows = await session.execute(select(Event.pain_point_id, func.count()).group_by(Event.pain_point_id))
                return {pid: n for pid, n in rows.all()}
        return self.loop.run_until_complete(read())

    def raisers(self, number: int) -> set[str]:
        async def read() -> set[str]:
            async with self.app.db.transaction() as session:
                item = await session.get_one(PainPoint, number)
                others = await session.scalars(select(Affected.person).where(Affected.pain_point_id == number))
                return {item.reporter, *others}
        return self.loop.run_until_complete(read())

    @rule(who=st.sampled_from(PEOPLE), summary=st.sampled_from(["Invoice wrong", "Setup is confusing", "  "]),
          anyway=st.booleans())
    def log(self, who: str, summary: str, anyway: bool) -> None:
        outcome = self.run(who, "log", None, {"summary": summary, **({"anyway": "yes"} if anyway else {})})
        assert outcome.ok == bool(summary.strip())
        shown = outcome.ok and outcome.replies[0].template == "similar"  # an item like it is open: nothing logged
        assert not (shown and anyway)
        if outcome.ok and not shown:
            self.items += 1
        assert len(self.state()) == self.items

    @precondition(lambda self: self.items > 0)
    @rule(who=st.sampled_from(PEOPLE), action=st.sampled_from(sorted(ACTIONS)), data=st.data())
    def act(self, who: str, action: str, data: st.DataObject) -> None:
        number = data.draw(st.integers(1, self.items))
        before = {p.id: p for p in self.state()}[number]
        events_before = self.events()
        raisers = self.raisers(number)
        department = before.department.key
        member = who in ADMINS or who == before.owner or (department == "billing" and who in BILLING) or (
            department == "onboarding" and who == "local:lee") or (department == "cx" and who == "local:cora")
        outcome = self.run(who, action, f"CX-{number}", ACTIONS[action])
        after = {p.id: p for p in self.state()}[number]
        changed = (after.status, after.owner, after.department_id, after.snoozed_until) != (
            before.status, before.owner, before.department_id, before.snoozed_until)
        if action in MEMBER_ONLY and not member:
            assert not outcome.ok, f"{who} was allowed to {action} CX-{number}"
        if action == "reopen" and not (member or who in raisers):
            assert not outcome.ok
        if action == "fixed" and who not in raisers:
            assert not outcome.ok
        if not outcome.ok:
            assert not changed
            assert self.events() == events_before, "a refused request wrote history"
        assert after.status in ALLOWED[before.status], (before.status, action, after.status)
        if changed:
            assert self.events().get(number, 0) == events_before.get(number, 0) + 1

    @invariant()
    def consistent(self) -> None:
        for item in self.state():
            assert item.status in ALLOWED
            assert (item.status == "acknowledged") == (item.acknowledged_at is not None) or item.status in (
                "resolved", "declined", "duplicate")
            if item.status == "resolved":
                assert item.resolved_at is not None and item.resolution_note
            if item.status == "declined":
                assert item.decline_reason
            if item.status == "duplicate":
                assert item.duplicate_of_id not in (None, item.id)
            if item.status in ("open", "acknowledged"):
                assert item.closed_at is None and item.duplicate_of_id is None

    @invariant()
    def history_only_grows(self) -> None:
        events = self.events()
        for number, count in self.history_lengths.items():
            assert events.get(number, 0) >= count
        self.history_lengths = events
        assert all(events.get(p.id, 0) >= 1 for p in self.state()), "a pain point without its create event"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_random_action_sequences_keep_the_ledger_valid(sqlite_template: Path) -> None:
    Ledger.template = sqlite_template
    runner = Ledger.TestCase
    runner.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                               suppress_health_check=[HealthCheck.too_slow])
    runner().runTest()
