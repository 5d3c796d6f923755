"""The typed command language shared by every text door (console, /cx in Slack, a message in Teams)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.base import Refusal

OPTION = re.compile(
    r"(?<!\S)(stage|severity|sev|dept|department|customer|cust|source|details|cause|until)="
    r"(?:\"([^\"]*)\"|(\S+))", re.IGNORECASE)
ALIASES = {"sev": "severity", "dept": "department", "cust": "customer"}
REF = r"(?:cx-?)?#?\d{1,9}"

HELP = [
    ("log <summary> [stage=billing] [severity=high] [dept=billing] [customer=ACME]", "log a customer pain point"),
    ("mine", "what you own and what you reported"),
    ("show CX-12", "one pain point and its history"),
    ("ack CX-12", "acknowledge it (owners and reps)"),
    ("assign CX-12 to <department or person>", "reassign it"),
    ("snooze CX-12 2d", "quiet it until later (4h, 2d, tomorrow, monday, 2026-12-01)"),
    ("resolve CX-12 <what was done> [cause=...]", "resolve it; the reporter hears what you did"),
    ("decline CX-12 <reason>", "decline it, with a reason"),
    ("reopen CX-12 <why>", "reopen a resolved or declined one"),
    ("fixed CX-12", "confirm that a fix worked"),
    ("comment CX-12 <text>", "add a note"),
    ("metoo CX-12 [customer=ACME]", "you see this pain too"),
    ("duplicate CX-13 of CX-12", "close a duplicate; its reporter hears back with the original"),
    ("queue [department]", "a department's open items"),
    ("overdue", "everything past its due time"),
    ("stats", "counts per department"),
    ("digest [2026-W48]", "the weekly accountability digest (leaders and admins)"),
    ("departments", "departments, owners and routing keywords"),
    ("dept add|owner|rep|remove|lead|keywords|triage|rename <key> ...", "manage departments (admins)"),
]


@dataclass(frozen=True)
class Parsed:
    action: str
    ref: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def options(text: str) -> tuple[str, dict[str, str]]:
    """Pull key=value options out of free text; what remains is the text itself."""
    found: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        key = match.group(1).lower()
        found[ALIASES.get(key, key)] = match.group(2) if match.group(2) is not None else match.group(3)
        return " "

    rest = OPTION.sub(take, text)
    return " ".join(rest.split(" ")).strip(), found


def parse(text: str) -> Parsed:
    """Text -> Parsed; unknown input is answered with help, never silence."""
    text = (text or "").strip()
    word, _, rest = text.partition(" ")
    verb = word.lower()
    rest = rest.strip()
    if re.match(r"me\s+too\b", text, re.IGNORECASE):
        verb, rest = "metoo", re.sub(r"^me\s+too\s*", "", text, flags=re.IGNORECASE)
    if verb in ("", "help", "?", "h"):
        return Parsed("help")
    if verb in ("log", "new", "report"):
        summary, opts = options(rest)
        return Parsed("log", fields={"summary": summary, **opts})
    if verb in ("mine", "my", "me"):
        return Parsed("mine")
    if verb in ("overdue", "stats", "departments", "depts"):
        return Parsed({"depts": "departments"}.get(verb, verb))
    if verb == "digest":
        return Parsed("digest", fields={"week": rest} if rest else {})
    if verb == "queue":
        return Parsed("queue", fields={"department": rest} if rest else {})
    if verb in ("dept", "department"):
        sub, _, tail = rest.partition(" ")
        key, _, value = tail.strip().partition(" ")
        return Parsed("dept", fields={"sub": sub, "key": key, "value": value.strip()})
    ref, _, tail = rest.partition(" ")
    tail = tail.strip()
    if verb in ("show", "ack", "acknowledge", "fixed", "confirm", "yes"):
        return Parsed({"acknowledge": "ack", "confirm": "fixed", "yes": "fixed"}.get(verb, verb), ref)
    if verb in ("assign", "reassign"):
        target, _, note = re.sub(r"^to\s+", "", tail, flags=re.IGNORECASE).partition(" ")
        return Parsed("assign", ref, {"to": target, "note": note.strip()})
    if verb == "snooze":
        return Parsed("snooze", ref, {"until": re.sub(r"^(until|for)\s+", "", tail, flags=re.IGNORECASE)})
    if verb == "comment":
        return Parsed("comment", ref, {"text": tail})
    if verb == "resolve":
        note, opts = options(tail)
        return Parsed("resolve", ref, {"note": note, **({"cause": opts["cause"]} if "cause" in opts else {})})
    if verb == "decline":
        return Parsed("decline", ref, {"reason": tail})
    if verb == "reopen":
        return Parsed("reopen", ref, {"reason": tail})
    if verb in ("duplicate", "dup"):
        return Parsed("duplicate", ref, {"of": re.sub(r"^of\s+", "", tail, flags=re.IGNORECASE)})
    if verb in ("me-too", "metoo"):
        _, opts = options(tail)
        return Parsed("metoo", ref, {"customer": opts.get("customer", "")})
    raise Refusal(f"I don't know {word[:30]!r}. Type 'help' to see what I can do.")
