"""The authorisation matrix: every action, every role, against the rules in the README."""
from __future__ import annotations

import pytest

from bot.app import App
from handlers.base import Actor, Command
from tests.ledger import snapshot

# who is who in tests/org.toml: Billing's owner dana and rep ana; Onboarding's owner lee; admin cora; leader leo
ROLES = {
    "reporter": ("local:sam", None),
    "other employee": ("local:raj", None),
    "owner": ("local:dana", None),
    "rep": ("local:ana", None),
    "other department's owner": ("local:lee", None),
    "admin": ("local:cora", None),
    "leader": ("local:leo", None),
    "another workspace's user": ("slack:U0STRANGER", "T0OTHER"),
}
ACTIONS = {  # action -> (fields, the roles allowed, the state the item must be in first)
    "ack": ({}, {"owner", "rep", "admin"}, "open"),
    "assign": ({"to": "onboarding"}, {"owner", "rep", "admin"}, "open"),
    "snooze": ({"until": "1d"}, {"owner", "rep", "admin"}, "open"),
    "resolve": ({"note": "Refunded"}, {"owner", "rep", "admin"}, "open"),
    "decline": ({"reason": "Not ours"}, {"owner", "rep", "admin"}, "open"),
    "duplicate": ({"of": "CX-2"}, {"owner", "rep", "admin"}, "open"),
    "reopen": ({"reason": "Still broken"}, {"owner", "rep", "admin", "reporter"}, "resolved"),
    "fixed": ({}, {"reporter"}, "resolved"),
    "comment": ({"text": "Seen it too"}, set(ROLES) - {"another workspace's user"}, "open"),
    "metoo": ({}, set(ROLES) - {"another workspace's user"}, "open"),
    "show": ({}, set(ROLES) - {"another workspace's user"}, "open"),
    "digest": ({}, {"admin", "leader"}, "open"),
    "dept": ({"sub": "add", "key": "legal", "value": "Legal"}, {"admin"}, "open"),
}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_rules_hold(app: App, action: str, role: str) -> None:
    sam = Actor(identity="local:sam")
    await app.run(Command(actor=sam, action="log", fields={"summary": "Invoice total wrong", "department": "billing"}))
    await app.run(Command(actor=sam, action="log", fields={"summary": "Invoice late", "department": "billing"}))
    fields, allowed, state = ACTIONS[action]
    if state == "resolved":
        await app.run(Command(actor=Actor(identity="local:dana"), action="resolve", ref="CX-1",
                              fields={"note": "Done"}))
    identity, workspace = ROLES[role]
    before = await snapshot(app)
    outcome = await app.run(Command(actor=Actor(identity=identity, workspace=workspace), action=action,
                                    ref="CX-1", fields=fields))
    if role in allowed:
        assert outcome.ok, (action, role, outcome.replies)
    else:
        assert not outcome.ok, (action, role)
        assert outcome.replies[0].template == "problem" and outcome.replies[0].data["message"]
        assert await snapshot(app) == before
