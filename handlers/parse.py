"""The typed command language shared by every text door (console, /cx in Slack, a message in Teams).

The words, their fields and their order come from the catalogue of actions (handlers/actions.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers import actions
from handlers.base import Refusal

ME_TOO = re.compile(r"^me\s+too\b\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    action: str
    ref: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> Parsed:
    """Text -> Parsed; unknown input is answered with help, never silence."""
    text = ME_TOO.sub("metoo ", (text or "").strip())
    word, _, rest = text.partition(" ")
    if not word:
        return Parsed("help")
    action = actions.spoken(word.lower())
    if action is None and len(text.split()) >= 3:  # a sentence, not a mistyped command: offer to log it
        raise Refusal(f"Is that a customer pain point? To log it, type: log {text[:200]}\n"
                      "(Type 'help' to see everything I can do.)")
    if action is None:
        raise Refusal(f"I don't know {word[:30]!r}. Type 'help' to see what I can do.")
    rest = rest.strip()
    if not action.on_item:
        return Parsed(action.id, fields=action.read(rest))
    ref, _, tail = rest.partition(" ")
    return Parsed(action.id, ref, action.read(tail.strip()))


def help_lines() -> list[tuple[str, str]]:
    """(usage, what it does) for every command help lists."""
    return [(a.typed("CX-12"), a.what) for a in actions.listed()]
