"""One catalogue of actions: a new action added there (and its handler) is offered everywhere, with no other
file changed: the parser, help, the console's card, the Slack card and modal, the Teams card and form."""
from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.app import App
from bot.console import Console
from handlers import act, actions, notify
from handlers.actions import Action, Input
from handlers.base import Actor, Command, Context, Outcome
from handlers.parse import Parsed, help_lines, parse
from messages.render import SlackRenderer, TeamsRenderer
from storage import pain_points

ESCALATE = Action(id="escalate", usage="escalate {ref} <why>", what="ask the department lead to step in now",
                  handler=f"{__name__}:escalate", label="Escalate now", statuses=("open", "acknowledged"),
                  who="department", past="escalated",
                  fields=(Input(name="why", label="Why now?", kind="long", required=True),))


async def escalate(cmd: Command, ctx: Context) -> Outcome:
    """The throw-away action's handler: records it and tells the department's lead."""
    who, item, taken = await act.prepare(cmd, ctx, "escalate")
    now = ctx.clock.now()
    await pain_points.record(session=ctx.session, item=item, action="escalate", actor=who.identity or "", at=now,
                             note=cmd.fields.get("why"))
    return await act.done(ctx, item, who, taken, await notify.send(ctx, [item.department.lead], "commented", {
        "item": {"ref": item.ref, "summary": item.summary}, "by": who.display_name, "note": cmd.fields["why"]}))


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> list[Action]:
    extended = [*actions.CATALOGUE, ESCALATE]
    monkeypatch.setattr(actions, "CATALOGUE", extended)
    return extended


def offered(card: Any) -> list[Any]:
    """Every action object anywhere in a rendered card or message."""
    found: list[Any] = []
    if isinstance(card, dict):
        if card.get("type") in ("button", "Action.Submit", "Action.ShowCard"):
            found.append(card)
        for value in card.values():
            found += offered(value)
    elif isinstance(card, list):
        for value in card:
            found += offered(value)
    return found


async def test_a_new_action_is_offered_on_every_surface(app: App, catalogue: list[Action]) -> None:
    assert parse("escalate CX-1 the customer is leaving") == Parsed("escalate", "CX-1",
                                                                   {"why": "the customer is leaving"})
    assert ("escalate CX-12 <why>", "ask the department lead to step in now") in help_lines()
    sam = Actor(identity="local:sam")
    await app.run(Command(actor=sam, action="log", fields={"summary": "Invoice wrong", "department": "billing"}))
    helped = await app.run(Command(actor=sam, action="help"))
    assert app.renderer.render("help", helped.replies[0].data).count("escalate CX-12 <why>") == 1

    out = io.StringIO()
    await Console(app, identity="local:dana", out=out).loop(io.StringIO("show CX-1\n/quit\n"))
    assert "[Escalate now: escalate CX-1 <why>]" in out.getvalue()

    shown = (await app.run(Command(actor=sam, action="show", ref="CX-1"))).replies[0].data
    slack = SlackRenderer().message("item", shown)
    assert {"action_id": "cx_escalate", "value": "CX-1"}.items() <= next(
        b for b in offered(slack) if b["text"]["text"] == "Escalate now").items()
    check = (await app.run(Command(actor=Actor(identity="local:dana"), action="check", ref="CX-1",
                                   fields={"verb": "escalate"}))).replies[0].data
    modal = SlackRenderer().render("action_form", {**check, "departments": [], "meta": {"ref": "CX-1"}})
    assert modal["callback_id"] == "cx_escalate_form"
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == ["why"]

    teams = TeamsRenderer().card("item", shown)
    [form] = [a for a in offered(teams) if a.get("title") == "Escalate now" and a["type"] == "Action.ShowCard"]
    assert [i["id"] for i in form["card"]["body"]] == ["escalate_why"]
    assert form["card"]["actions"][0]["data"] == {"cx": "escalate", "ref": "CX-1"}

    done = await app.run(Command(actor=Actor(identity="local:dana"), action="escalate", ref="CX-1",
                                 fields={"why": "the customer is leaving"}))
    assert done.ok and "CX-1 escalated by Dana." in app.renderer.render("updated", done.replies[0].data)
    refused = await app.run(Command(actor=sam, action="escalate", ref="CX-1", fields={"why": "please"}))
    assert not refused.ok and "can escalate CX-1" in refused.replies[0].data["message"]
    assert json.dumps(teams)  # the card stays JSON
