"""Reading Slack's payloads: message markup as the text a person reads, and a modal's inputs as a command's
fields (the form's blocks are the catalogue action's field names)."""
from __future__ import annotations

import re
from typing import Any

from handlers.actions import Action

MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
TARGET = ("department", "person")  # the blocks of a department-or-person field; a chosen person wins


def plain(text: str) -> str:
    """A Slack message's text as a person reads it: <@U1> is @U1, <#C1|general> is #general, <!here> is
    @here, <https://x|label> is "label (https://x)", and &amp; &lt; &gt; are & < >."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    return MARKUP.sub(readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def values(view: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's inputs, by block id (text, selected option, or selected user)."""
    found: dict[str, str] = {}
    for block_id, elements in view.get("state", {}).get("values", {}).items():
        for element in elements.values():
            if not isinstance(element, dict):
                continue
            value = element.get("value")
            if value is None and isinstance(element.get("selected_option"), dict):
                value = element["selected_option"].get("value")
            if value is None and element.get("selected_user"):
                value = f"slack:{element['selected_user']}"
            if isinstance(value, str):
                found[block_id] = value
    return found


def form_fields(action: Action, submitted: dict[str, str]) -> dict[str, str]:
    """The command's fields from a modal of this action (block ids are field names)."""
    fields: dict[str, str] = {}
    for field in action.fields:
        blocks = TARGET if field.kind == "target" else (field.name,)
        for block in blocks:  # the later block wins where several fill one field
            if submitted.get(block):
                fields[field.name] = submitted[block]
    return fields


def block_of(action: Action, field: str | None) -> str:
    """Where a form shows a refusal about `field` (the first field's block when it names none)."""
    chosen = next((f for f in action.fields if f.name == field), action.fields[0])
    return TARGET[0] if chosen.kind == "target" else chosen.name


PLACEHOLDER = "This content can't be displayed."  # what Slack puts in `text` of block-only messages


def words_in(node: Any) -> list[str]:
    """The readable text in blocks or attachments: every "text" string (and a field's title and value)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("pretext", "title", "text", "value", "fallback"):
            value = node.get(key)
            if isinstance(value, str) and value.strip() and not (key == "fallback" and found):
                found.append(value.strip())
            elif isinstance(value, dict):
                found += words_in(value)
        for key in ("elements", "fields", "blocks"):
            found += words_in(node.get(key))
    elif isinstance(node, list):
        for item in node:
            found += words_in(item)
    return found


def readable(message: dict[str, Any]) -> str:
    """A message as a person reads it: its text, else (apps and bots often send none) what its blocks and
    attachments show."""
    text = str(message.get("text") or "").strip()
    if text and text != PLACEHOLDER:
        return plain(text)
    shown = words_in(message.get("blocks")) or words_in(message.get("attachments"))
    return plain("\n".join(dict.fromkeys(shown)))


def command_text(text: str) -> str:
    """A /cx command's text as typed. The manifest asks Slack to escape it (should_escape), so that "@raj"
    arrives as the mention <@U0RAJ|raj> and names the person: mentions stay mentions for the command to read,
    the rest reads as typed (&lt; is <)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")


def readable_fields(fields: dict[str, str], keep: tuple[str, ...] = ("to",)) -> dict[str, str]:
    """A command's fields as people read them: &lt; is <, and a person's mention is "@raj", except in the
    fields that name someone (`keep`), where it stays a mention. Anything else that looks like Slack markup
    stays literal text (shown escaped: it pings and links nobody)."""
    return {k: command_text(v) if k in keep else USER_MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)),
                                                                  command_text(v)) for k, v in fields.items()}
