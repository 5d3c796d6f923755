"""Render a reply or notice from its template for one surface, escaping user text for that surface.

Every `{{ value }}` passes through the surface's escaper (jinja2's `finalize`), so escaping is automatic:
- text: control characters removed;
- slack (Block Kit JSON templates): mrkdwn-escaped (& < >), then JSON-string-escaped; `|plain` skips the
  mrkdwn step for plain_text fields, `|raw` inserts JSON made by a macro, `|json` a value as JSON.
A surface without its own template for a name falls back to the text template, escaped for that surface.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from messages import blockkit

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
# what never reaches a reader: C0 and C1 controls (a bare carriage return among them: a terminal would rewrite the
# line) and lone surrogates (no character: they cannot even be encoded)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class Verbatim(str):
    """Already encoded for the surface: inserted as it is."""


class Plain(str):
    """Plain text for a JSON surface: JSON-escaped, but not marked-up-escaped (plain_text fields)."""


def mrkdwn(text: str) -> str:
    """Slack's escaping, exactly: & first, then < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(value: Any) -> str:
    return "" if value is None else CONTROL.sub("", str(value))


def for_text(value: Any) -> Any:
    return clean(value) if isinstance(value, str) or value is None else value


JOINER = "\u2060"  # an invisible word joiner: text stays as written, markup is not recognised


TEAMS_MARKDOWN = re.compile(r"([\\`*_\[\]()~])")


def teams_markdown(text: str) -> str:
    """Adaptive Card TextBlock markdown: emphasis and links are neutralised with backslashes (Teams' markdown
    reads those escapes); a line that would start a list ("1. ", "- "), where a backslash is no escape and
    shows, and anything that looks like an HTML tag ("<summary>", which Teams' renderer drops) get an invisible
    joiner instead, which breaks the syntax and shows nothing."""
    text = TEAMS_MARKDOWN.sub(r"\\\1", text).replace("<", "<" + JOINER)
    text = re.sub(r"(?m)^(\s*)(\d+)(\.\s)", r"\1\2" + JOINER + r"\3", text)
    return re.sub(r"(?m)^(\s*)([-+])(\s)", r"\1" + JOINER + r"\2\3", text)


SLACK_USER = re.compile(r"[UW][A-Z0-9]{5,20}")


def slack_markup(text: str) -> str:
    """mrkdwn, and a person Slack has not told us the name of (a value that is just their user id, "U0DANA")
    becomes a mention, which Slack shows as their current name: never a bare id."""
    return f"<@{text}>" if SLACK_USER.fullmatch(text) else mrkdwn(text)


def text_escaper(markup: Callable[[str], str]) -> Callable[[Any], Any]:
    """A text template's values, escaped for a surface's markup (for the fallback of JSON surfaces)."""
    def escape(value: Any) -> Any:
        if isinstance(value, Verbatim):
            return value
        return markup(clean(value)) if isinstance(value, str) or value is None else value
    return escape


def json_escaper(markup: Callable[[str], str]) -> Callable[[Any], str]:
    """A JSON template's values: marked-up-escaped (unless Plain), then JSON-string-escaped."""
    def escape(value: Any) -> str:
        if isinstance(value, Verbatim):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        text = clean(value)
        if not isinstance(value, Plain):
            text = markup(text)
        return json.dumps(text, ensure_ascii=False)[1:-1]
    return escape


for_slack_text, for_slack_json = text_escaper(slack_markup), json_escaper(slack_markup)
for_teams_text, for_teams_json = text_escaper(teams_markdown), json_escaper(teams_markdown)


def reader_zone(context: Context) -> ZoneInfo:
    """The reader's zone; one this server's tz data does not know (newer than it) is shown in UTC, and logged,
    rather than failing the message."""
    name = context.get("tz") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: times shown in UTC", str(name)[:64])
        return ZoneInfo("UTC")


@pass_context
def when(context: Context, iso: str | None) -> str:
    """An ISO time shown in the reader's own time zone: 'Tue 25 Nov 09:00'."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(reader_zone(context)).strftime("%a %d %b %H:%M")


@pass_context
def moment(context: Context, iso: str | None, soon: bool = False) -> str:
    """A due time in the reader's zone, after its countdown: "Tue 14:00" within the week, else "Tue 01 Dec"."""
    if not iso:
        return ""
    local = datetime.fromisoformat(iso).astimezone(reader_zone(context))
    return local.strftime("%a %H:%M" if soon else "%a %d %b")


def cut(value: Any, limit: int) -> Any:
    """Shorten long user text with an ellipsis rather than have a platform reject the message."""
    if not isinstance(value, str) or len(value) <= limit:
        return value
    shortened = value[: limit - 1].rstrip() + "…"
    return type(value)(shortened) if isinstance(value, Plain) else shortened


def jsonstr(value: Any) -> Verbatim:
    """`value` as JSON, itself as a JSON string literal (a button's value, a card's data)."""
    return Verbatim(json.dumps(json.dumps(value, ensure_ascii=False), ensure_ascii=False))


def fitted(value: dict[str, Any], limit: int = 2000) -> Verbatim:
    """What a button carries (Slack keeps at most 2,000 characters of it), as a JSON string literal: `value` as
    JSON, its longest texts shortened with an ellipsis until it fits."""
    data = json.loads(json.dumps(value, default=str))
    for _ in range(20):
        text = json.dumps(data, ensure_ascii=False)
        if len(text) <= limit:
            break
        holder = data["fields"] if isinstance(data.get("fields"), dict) else data
        longest = max((k for k, v in holder.items() if isinstance(v, str)), key=lambda k: len(holder[k]))
        raw = holder[longest]
        per_character = (len(json.dumps(raw, ensure_ascii=False)) - 2) / max(1, len(raw))  # escapes take two
        holder[longest] = cut(raw, max(1, len(raw) - int((len(text) - limit) / per_character) - 2))
    return jsonstr(data)


def slack_url(value: str | None) -> Verbatim:
    """A URL inside <url|label>: escaped, and with '|' encoded so the label cannot be forged."""
    return Verbatim(json.dumps(mrkdwn(clean(value)).replace("|", "%7C"))[1:-1])


def environment(folder: str, finalize: Any) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES / folder), finalize=finalize, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters.update(when=when, moment=moment, cut=cut, plain=Plain, raw=Verbatim, url=slack_url,
                       json=lambda v: Verbatim(json.dumps(v, ensure_ascii=False)), fitted=fitted, jsonstr=jsonstr)
    return env


def tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class Renderer:
    """Text for the console (and as the fallback of every surface)."""

    def __init__(self, surface: str = "text") -> None:
        self.surface = surface
        self.env = environment("text", for_text)

    def render(self, template: str, data: dict[str, Any], *, prefix: str = "", tz: str | None = None) -> str:
        """`prefix` is how the door's commands start ('/cx ' in Slack); `tz` is the reader's time zone."""
        return tidy(self.env.get_template(f"{template}.j2").render(**data, prefix=prefix, tz=tz))


class SlackRenderer:
    """Block Kit JSON: messages as {"text", "blocks"}, modals and the App Home as views."""

    def __init__(self) -> None:
        self.json = environment("slack", for_slack_json)
        self.text = environment("text", for_slack_text)
        self.own = {p.stem for p in (TEMPLATES / "slack").glob("*.j2")}

    def fallback(self, template: str, data: dict[str, Any], *, prefix: str = "/cx ", tz: str | None = None) -> str:
        """The notification text (and screen-reader text): the text template, escaped for mrkdwn."""
        return tidy(self.text.get_template(f"{template}.j2").render(**data, prefix=prefix, tz=tz))

    def message(self, template: str, data: dict[str, Any], *, tz: str | None = None) -> dict[str, Any]:
        text = blockkit.cut_mrkdwn(self.fallback(template, data, tz=tz), 3000)
        if template not in self.own:
            return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
        body = self.render(template, data, tz=tz)
        body.setdefault("text", text)
        return body

    def render(self, template: str, data: dict[str, Any], *, tz: str | None = None) -> dict[str, Any]:
        source = self.json.get_template(f"{template}.j2").render(**data, prefix="/cx ", tz=tz)
        try:
            body: dict[str, Any] = json.loads(source)
        except json.JSONDecodeError as error:  # a template bug, never user input: every value is escaped
            raise ValueError(f"slack template {template} rendered invalid JSON: {error}\n{source}") from error
        limit = blockkit.MAX_MESSAGE_BLOCKS if "type" not in body else blockkit.MAX_VIEW_BLOCKS
        body["blocks"] = blockkit.fit(body.get("blocks", []), limit)
        return body


class TeamsRenderer:
    """Adaptive Cards 1.5 for Teams: every reply and notice is a card, cut to fit Teams' message size."""

    LIMIT = 26000  # Teams refuses messages over about 28 KB; leave room for the envelope

    def __init__(self) -> None:
        self.json = environment("teams", for_teams_json)
        self.text = environment("text", for_teams_text)
        self.own = {p.stem for p in (TEMPLATES / "teams").glob("*.j2") if not p.stem.startswith("_")}

    def fallback(self, template: str, data: dict[str, Any], *, tz: str | None = None) -> str:
        return tidy(self.text.get_template(f"{template}.j2").render(**data, prefix="", tz=tz))

    def card(self, template: str, data: dict[str, Any], *, tz: str | None = None,
             shared: frozenset[str] | None = None, departments: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """`shared`: the card goes where many people read it (a channel, a group chat), and only these actions
        stay on it: the others are for an item's owners and the people who raised it, in their own chats.
        `departments` ({key, name}): what a reassign form offers beside Teams' people picker."""
        card = self._card(template, {"departments": departments or [], **data}, tz=tz)
        if shared is not None and _keep_actions(card, shared):
            card["body"].append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                                 "text": "Its owners and the people who raised it act on it in their own chat "
                                         "with the bot, so nobody here gets buttons that are not theirs."})
        return fit_card(card, self.LIMIT)

    def _card(self, template: str, data: dict[str, Any], *, tz: str | None = None) -> dict[str, Any]:
        if template in self.own:
            source = self.json.get_template(f"{template}.j2").render(**data, prefix="", tz=tz)
            try:
                card: dict[str, Any] = json.loads(source)
            except json.JSONDecodeError as error:  # a template bug: every value is escaped
                raise ValueError(f"teams template {template} rendered invalid JSON: {error}\n{source}") from error
        else:
            # one block per line: Teams collapses the single line breaks inside one TextBlock into a wall of text
            lines = [line for line in self.fallback(template, data, tz=tz).split("\n") if line.strip()]
            card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "version": "1.5", "body": [{"type": "TextBlock", "wrap": True, "text": line}
                                               for line in lines or [" "]]}
        return card

    def summary(self, template: str, data: dict[str, Any], *, tz: str | None = None) -> str:
        """The notification preview text: the plain text, cut short."""
        return cut(tidy(Renderer().render(template, data, tz=tz)).split("\n", 1)[0], 200)


def _acts(action: dict[str, Any]) -> str | None:
    """The bot action a card button submits (a ShowCard's form: its own submit button's)."""
    if action.get("type") == "Action.ShowCard":
        inner = (action.get("card") or {}).get("actions") or [{}]
        return _acts(inner[0])
    data = action.get("data")
    return str(data.get("cx")) if isinstance(data, dict) and data.get("cx") else None


def _keep_actions(node: Any, allowed: frozenset[str]) -> bool:
    """Drop every button that submits an action not in `allowed` (and ActionSets left empty); True if any went."""
    dropped = False
    if isinstance(node, dict):
        if isinstance(node.get("actions"), list):
            kept = [a for a in node["actions"] if _acts(a) is None or _acts(a) in allowed]
            dropped = len(kept) != len(node["actions"])
            node["actions"] = kept
        for key, value in list(node.items()):
            if key != "actions":
                dropped = _keep_actions(value, allowed) or dropped
        for key in ("items", "body"):  # a row whose buttons all went loses its empty ActionSet
            if isinstance(node.get(key), list):
                node[key] = [i for i in node[key] if not (isinstance(i, dict) and i.get("type") == "ActionSet"
                                                          and not i.get("actions"))]
    elif isinstance(node, list):
        for value in node:
            dropped = _keep_actions(value, allowed) or dropped
    return dropped


def _text_blocks(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found += _text_blocks(value)
    elif isinstance(node, list):
        for value in node:
            found += _text_blocks(value)
    return found


def fit_card(card: dict[str, Any], limit: int) -> dict[str, Any]:
    """Halve the longest text until the card fits: long text is cut, never rejected by Teams."""
    while len(json.dumps(card, ensure_ascii=False).encode()) > limit:
        longest = max(_text_blocks(card), key=lambda b: len(b["text"]), default=None)
        if longest is None or len(longest["text"]) < 20:
            break
        longest["text"] = longest["text"][: len(longest["text"]) // 2].rstrip("\\") + "…"
    return card
