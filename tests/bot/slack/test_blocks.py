"""Every Slack message and view the bot renders is valid Block Kit, for short, long and hostile input.

slack_sdk's block models validate on to_dict(); what they do not count (a message's 50 blocks, a modal's
100, empty text) is checked here.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.app import App
from handlers import actions as catalogue
from handlers.base import Actor, Command
from messages.render import SlackRenderer
from tests.ledger import TEXTS, everything, say


def check_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    assert 0 < len(blocks) <= limit
    for parsed in Block.parse_all(blocks):
        parsed.to_dict()  # raises SlackObjectFormationError on a broken limit
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                assert block[key]["text"].strip(), block
                assert len(block[key]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000


@pytest.mark.parametrize("kind", sorted(TEXTS))
async def test_every_message_is_valid_block_kit(app: App, kind: str) -> None:
    renderer = SlackRenderer()
    rendered = await everything(app, *TEXTS[kind])
    templates = {name for name, _ in rendered}
    assert {"logged", "assignment", "updated", "current_state", "resolved", "declined", "reopened", "item",
            "merged", "affected", "commented", "acknowledged", "moved", "confirmed", "problem", "nudge",
            "escalation", "nudge_report", "digest", "digest_report", "dashboard_sent", "dashboard_link",
            "follow_up", "customer", "rated", "breach_warning", "found", "similar"} <= templates
    assert any(data["item"].get("similar") for name, data in rendered if name == "assignment")
    assert any(data.get("waiting") for name, data in rendered if name == "mine")
    assert any(data["item"].get("follow_ups") for name, data in rendered if name == "item")
    digest = next(data for name, data in rendered if name == "digest")
    assert digest["causes"] == [{"cause": "policy", "count": 1}] and digest["dashboard"]
    for name, data in rendered:
        if name in ("home", "log_form", "check"):
            continue
        body = renderer.message(name, data, tz="Europe/Paris")
        assert body["text"].strip()
        check_blocks(body["blocks"], 50)
        if kind == "hostile":  # a button's value is data Slack never shows: only what people read is checked
            raw = re.sub(r"'value': '[^']*'", "", str(body))
            assert "<!channel>" not in raw and "<@U1>" not in raw and "<!here>" not in raw


@pytest.mark.parametrize("kind", sorted(TEXTS))
async def test_views_are_valid(app: App, kind: str) -> None:
    renderer = SlackRenderer()
    rendered = dict(await everything(app, *TEXTS[kind]))
    summary, details, customer = TEXTS[kind]
    meta = {"ref": "CX-1", "channel": "C1", "ts": "1.2", "source": "https://x/y"}
    prefill = {"summary": summary, "details": details, "customer": customer, "source": "https://x|<!here>"}
    similar = rendered["similar"]["suggestions"]  # the form again, the similar items on top
    assert similar
    views = [renderer.render("log_form", {**rendered["log_form"], "prefill": prefill, "meta": meta}),
             renderer.render("log_form", {**rendered["log_form"], "prefill": prefill, "meta": meta,
                                          "suggestions": similar}),
             renderer.render("home", rendered["home"])]
    check = rendered["check"]
    departments = rendered["log_form"]["departments"]
    for action in catalogue.CATALOGUE:  # every action's form
        if action.on_item and action.fields:
            views.append(renderer.render("action_form", {**check, "action": action.view(check["item"]["ref"]),
                                                         "meta": meta, "departments": departments}))
    for view in views:
        View(**view).to_dict()  # validates title, blocks, private_metadata and the rest
        check_blocks(view["blocks"], 100)
        if view["type"] == "modal":
            assert len(view["title"]["text"]) <= 24


async def test_many_items_still_fit_app_home(app: App) -> None:
    for n in range(60):
        await say(app, "local:sam", f"log Invoice {n} is wrong {'x' * 150}")
    outcome = await app.run(Command(actor=Actor(identity="local:dana"), action="home"))
    view = SlackRenderer().render("home", outcome.replies[0].data)
    View(**view).to_dict()
    check_blocks(view["blocks"], 100)
