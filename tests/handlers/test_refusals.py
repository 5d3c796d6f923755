"""Bad input and forbidden actions get a clear message and change nothing."""
from __future__ import annotations

import pytest

from bot.app import App
from handlers.base import Actor, Command
from tests.ledger import message, say, snapshot

BAD_LOGS = [
    ("log", "summary is empty"),
    ("log      ", "summary is empty"),
    ("log " + "x" * 201, "limit is 200"),
    ("log Customer \x07 rings a bell", "control characters"),
    ("log Customer sees \x9b31m red text", "control characters"),  # C1: a terminal's escape introducer
    ("log Invoice \ud800 broken", "control characters"),  # a lone surrogate: no character at all
    ("log Fine summary stage=moon", "not a journey stage"),
    ("log Fine summary severity=apocalyptic", "not a severity"),
    ("log Fine summary dept=nowhere", "no department 'nowhere'"),
    ("log Fine summary source=javascript:alert(1)", "web address"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_LOGS)
async def test_bad_log_input_is_refused_and_changes_nothing(app: App, line: str, expected: str) -> None:
    before = await snapshot(app)
    outcome = await say(app, "local:sam", line)
    assert not outcome.ok
    assert expected in message(outcome)
    assert await snapshot(app) == before


async def test_oversized_details_are_refused(app: App) -> None:
    before = await snapshot(app)
    outcome = await app.run(Command(actor=Actor(identity="local:sam"), action="log",
                                    fields={"summary": "Long story", "details": "y" * 4001}))
    assert not outcome.ok and "limit is 4000" in message(outcome)
    assert await snapshot(app) == before


@pytest.mark.parametrize("line", ["ack CX-999", "show CX-999", "resolve CX-999 done", "ack", "show banana",
                                  "metoo CX-0", "comment CX-999 hello"])
async def test_unknown_references_are_refused(app: App, line: str) -> None:
    await say(app, "local:sam", "log Invoice is late")
    before = await snapshot(app)
    outcome = await say(app, "local:dana", line)
    assert not outcome.ok
    assert "CX-12" in message(outcome)  # the refusal shows what a reference looks like
    assert await snapshot(app) == before


@pytest.mark.parametrize(("line", "expected"), [
    ("resolve CX-1", "resolution note is empty"),
    ("decline CX-1", "reason for declining is empty"),
    ("comment CX-1   ", "comment is empty"),
    ("assign CX-1", "to whom"),
    ("assign CX-1 to mars", "neither a department"),
    ("snooze CX-1", "until when"),
    ("snooze CX-1 whenever", "can't read"),
    ("duplicate CX-1 of CX-1", "itself"),
    ("duplicate CX-1 of CX-77", "can't find"),
])
async def test_bad_action_input_is_refused(app: App, line: str, expected: str) -> None:
    await say(app, "local:sam", "log Invoice is late")
    before = await snapshot(app)
    outcome = await say(app, "local:dana", line)
    assert not outcome.ok
    assert expected in message(outcome)
    assert await snapshot(app) == before


@pytest.mark.parametrize("line", ["ack CX-1", "resolve CX-1 done", "decline CX-1 no", "assign CX-1 to cx",
                                  "snooze CX-1 1d", "duplicate CX-1 of CX-2"])
async def test_people_outside_the_department_may_not_act(app: App, line: str) -> None:
    await say(app, "local:sam", "log Invoice is late")
    await say(app, "local:sam", "log Invoice is wrong")
    before = await snapshot(app)
    outcome = await say(app, "local:lee", line)  # Onboarding's owner, not Billing's
    assert not outcome.ok
    assert "Only Billing's owners and reps (Dana, Ana, rita) or a CX admin" in message(outcome)
    assert await snapshot(app) == before


async def test_admins_may_act_anywhere_and_anyone_may_comment(app: App) -> None:
    await say(app, "local:sam", "log Invoice is late")
    assert (await say(app, "local:cora", "ack CX-1")).ok
    assert (await say(app, "local:lee", "comment CX-1 seen it too")).ok


async def test_only_raisers_and_owners_reopen_and_confirm(app: App) -> None:
    await say(app, "local:sam", "log Invoice is late")
    await say(app, "local:dana", "resolve CX-1 sent it")
    before = await snapshot(app)
    refused = await say(app, "local:lee", "reopen CX-1 not fixed")
    assert not refused.ok and "Only Billing's owners" in message(refused)
    not_theirs = await say(app, "local:lee", "fixed CX-1")
    assert not not_theirs.ok and "Only the people who raised CX-1" in message(not_theirs)
    assert await snapshot(app) == before


async def test_only_admins_manage_departments(app: App) -> None:
    before = await snapshot(app)
    outcome = await say(app, "local:dana", "dept add legal Legal")
    assert not outcome.ok and "Only CX admins" in message(outcome)
    assert await snapshot(app) == before
    assert (await say(app, "local:cora", "dept add legal Legal")).ok
    assert (await say(app, "local:cora", "dept owner legal local:lee")).ok
    assert (await say(app, "local:cora", "dept keywords legal contract, gdpr")).ok
    logged = await say(app, "local:sam", "log GDPR request ignored for a month")
    assert logged.replies[0].data["item"]["department"] == "Legal"
    assert logged.replies[0].data["item"]["owner"] == "local:lee"
    duplicate = await say(app, "local:cora", "dept add legal Legal again")
    assert not duplicate.ok and "already exists" in message(duplicate)


async def test_other_workspaces_are_refused(app: App) -> None:
    before = await snapshot(app)
    stranger = await say(app, "slack:U0STRANGER", "log Our invoice is wrong", workspace="T0OTHER")
    assert not stranger.ok and "not part of the organisation" in message(stranger)
    assert await snapshot(app) == before
    member = await say(app, "slack:U0MEMBER", "log Our invoice is wrong", workspace="T0ACME")
    assert member.ok


async def test_unknown_words_get_help(app: App) -> None:
    outcome = await say(app, "local:sam", "help")
    assert outcome.replies[0].template == "help"
    with pytest.raises(Exception, match="Type 'help'"):
        await say(app, "local:sam", "frobnicate CX-1")
