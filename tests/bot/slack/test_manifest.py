"""The app manifest and the door agree: the command, the shortcuts, the events, and no more scopes than used."""
from __future__ import annotations

import json
from pathlib import Path

MANIFEST = json.loads((Path(__file__).parents[3] / "slack" / "manifest.json").read_text())


def test_manifest_matches_the_door() -> None:
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/cx"]
    assert {(s["type"], s["callback_id"]) for s in features["shortcuts"]} == {("global", "cx_log"),
                                                                             ("message", "cx_log_message")}
    assert features["app_home"]["home_tab_enabled"] is True
    settings = MANIFEST["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "reaction_added"]
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            features["slash_commands"][0]["url"]}
    assert urls == {"https://YOUR-HOST/slack/events"}
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(
        ["commands", "chat:write", "im:write", "users:read", "users:read.email",
         # the org's slack_log_reaction: the reaction event, and the message it was added to
         "reactions:read", "channels:history", "groups:history"])
