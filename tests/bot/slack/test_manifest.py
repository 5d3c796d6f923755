"""The app manifest installs and agrees with the door: valid against Slack's published manifest schema, the
command, shortcuts and events the door listens for, and exactly the scopes the Web API methods it calls need
(each method's scope from Slack's own Web API spec)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.bot.slack.harness import Slack, reaction, said

ROOT = Path(__file__).parents[3]
MANIFEST = json.loads((ROOT / "slack" / "manifest.json").read_text())
DATA = ROOT / "tests" / "data"
SCHEMA = json.loads((DATA / "slack-app-manifest-1.0.0.schema.json").read_text())  # slackapi/manifest-schema
SPEC = json.loads((DATA / "slack-web-api.openapi.json").read_text())  # slackapi/slack-api-specs
# scopes a feature needs rather than a Web API method
FEATURES = {
    "commands": "the /cx slash command and the shortcuts",
    "reactions:read": "the reaction_added event (the org's slack_log_reaction)",
    "im:history": "the message.im event: what people write in the bot's DM",
    "chat:write.public": "posting digests in the public channels the org file names without being invited",
    "app_mentions:read": "the app_mention event: @cxbot in a channel",
}


def test_manifest_is_valid_for_slack() -> None:
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(MANIFEST))
    assert not errors, jsonschema.exceptions.best_match(errors)
    for shortcut in MANIFEST["features"]["shortcuts"]:
        assert len(shortcut["name"]) <= 24, shortcut  # what "Create from manifest" refused


def test_manifest_matches_the_door() -> None:
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/cx"]
    assert features["slash_commands"][0]["should_escape"] is True  # "@raj" arrives as <@U0RAJ|raj>
    assert {(s["type"], s["callback_id"]) for s in features["shortcuts"]} == {("global", "cx_log"),
                                                                             ("message", "cx_log_message")}
    assert features["app_home"]["home_tab_enabled"] is True
    settings = MANIFEST["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "reaction_added", "message.im",
                                                             "app_mention"]
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            features["slash_commands"][0]["url"]}
    assert urls == {"https://YOUR-HOST/slack/events"}


def scopes_of(method: str) -> set[str]:
    """The scopes Slack's spec says a method needs (any one of them), in today's names: chat:write:bot is the
    classic name of the bot's chat:write; "none" means no scope."""
    path = SPEC["paths"][f"/{method}"]
    needed: set[str] = set()
    for operation in path.values():
        for rule in operation.get("security", []):
            needed.update(rule.get("slackAuth", []))
    return {"chat:write" if s.startswith("chat:write:") else s for s in needed} - {"none"}


async def test_the_manifest_asks_for_exactly_the_scopes_the_bot_uses(slack: Slack) -> None:
    """Every Web API method called across the flows has its scope in the manifest; no scope is asked for that
    neither a called method nor a feature needs."""
    fake = slack.fake
    await slack.command("U0SAM", "log Customer charged twice on invoice 8812")  # users.info, response_url
    await slack.app.outbox.run_once()  # the owner's DM: chat.postMessage
    await slack.click("U0DANA", "cx_acknowledge", "CX-1")  # chat.update
    await slack.click("U0DANA", "cx_resolve", "CX-1")  # views.open
    await slack.command("U0SAM", "log Refund missing for order 5521")
    await slack.app.outbox.run_once()
    await slack.command("U0DANA", "assign CX-2 to ana@example.com")
    await slack.app.outbox.run_once()  # Ana is known by email only: users.lookupByEmail
    await slack.interactive({
        "type": "message_action", "callback_id": "cx_log_message", "trigger_id": "trig-ms",
        "user": {"id": "U0SAM", "username": "sam"}, "team": {"id": "T0ACME"}, "channel": {"id": "C0SUPPORT"},
        "message": {"ts": "1700.000555", "text": "Invoice PDF is blank"}, "response_url": fake.response_url("ms")})
    said(slack, "Setup wizard crashes on step 3")
    await slack.event(reaction("U0LEE"))  # conversations.history, chat.getPermalink, chat.postEphemeral
    await slack.event({"type": "app_home_opened", "user": "U0DANA", "tab": "home"})  # views.publish
    methods = {m for m, _ in fake.calls if m != "response_url"}
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish", "users.info", "users.lookupByEmail",
            "conversations.history", "chat.getPermalink", "chat.postEphemeral"} <= methods, methods
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    missing = {m: scopes_of(m) for m in methods if scopes_of(m) and not scopes_of(m) & granted}
    assert not missing, f"methods called without their scope: {missing}"
    used = {s for m in methods for s in scopes_of(m) & granted} | set(FEATURES)
    assert granted <= used, f"scopes asked for but unused: {granted - used}"
