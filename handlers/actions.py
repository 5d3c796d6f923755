"""The one catalogue of actions: every command a person can give, spelled once.

Each entry says what it is called (its id, the words people type), how it reads (typed usage, help, button
label, past tense), where it applies (the statuses of an item), who may take it, which handler runs it and
which fields its form asks for. The parser, help, the view-model's buttons, the permission checks, the Slack
modals and the Teams card forms are all derived from here: adding an action is an entry here and its handler.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Literal

from handlers.org import DEFAULT_CAUSES

if TYPE_CHECKING:
    from handlers.base import Command, Context, Outcome

    Handler = Callable[[Command, Context], Awaitable[Outcome]]

# tellers: whoever raised the item for a customer, asked to tell that customer (handlers.follow_up checks it)
Who = Literal["department", "raisers", "department or raisers", "anyone", "tellers"]
OPTION = re.compile(
    r"(?<!\S)(stage|severity|sev|dept|department|customer|cust|source|details|cause|category|until|status|anyway)="
    r"(?:\"([^\"]*)\"|(\S+))", re.IGNORECASE)
CAUSES = tuple(DEFAULT_CAUSES)
ALIASES = {"sev": "severity", "dept": "department", "cust": "customer"}
RUNS_ON = ("customer", "cause")  # names of several words
WHEN = (("4h", "4 hours"), ("tomorrow", "Tomorrow morning"), ("2d", "2 days"), ("monday", "Next Monday"),
        ("1w", "1 week"))


@dataclass(frozen=True, kw_only=True)
class Input:
    """One field of an action's form; its name is the command's field name."""

    name: str
    label: str
    kind: Literal["line", "long", "choice", "target"] = "line"  # target: a department or a person
    required: bool = False
    limit: int = 2000
    choices: tuple[tuple[str, str], ...] = ()  # (value, title)
    default: str | None = None
    causes: bool = False  # its choices are the organisation's root causes, filled in when a card is made

    def view(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind, "required": self.required,
                "limit": self.limit, "default": self.default, "causes": self.causes,
                "choices": [{"value": v, "title": t} for v, t in self.choices]}


def key_of(match: re.Match[str]) -> str:
    return ALIASES.get(match.group(1).lower(), match.group(1).lower())


def running_on(text: str, keys: tuple[str, ...], free: bool = True) -> str:
    """A customer or a cause is often several words: unquoted after the text it belongs to, it runs to the next
    option or the end ("... customer=ACME Corp severity=high" names ACME Corp), as if it had been quoted. Before
    any text ("customer=ACME Refund missing") it stays one word, unless there is no text to take (`free`: the
    command has a field of free text besides its options)."""
    matches = [m for m in OPTION.finditer(text) if key_of(m) in keys]
    pieces, last = [], 0
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        rest = text[match.end():end].rstrip()
        if key_of(match) not in RUNS_ON or match.group(3) is None or not rest.strip() or '"' in rest + match.group(3):
            continue
        if free and not OPTION.sub(" ", text[:match.start()]).strip():  # nothing before: the words are the text
            continue
        pieces += [text[last:match.start()], f'{match.group(1)}="{match.group(3)}{rest}" ']
        last = end
    return "".join(pieces) + text[last:]


def options(text: str, keys: tuple[str, ...], free: bool = True) -> tuple[str, dict[str, str]]:
    """Pull the key=value options named in `keys` out of free text; what remains is the text itself."""
    found: dict[str, str] = {}
    text = running_on(text, keys, free)

    def take(match: re.Match[str]) -> str:
        key = key_of(match)
        if key not in keys:  # another command's key is just words here
            return match.group(0)
        found[key] = match.group(2) if match.group(2) is not None else match.group(3)
        return " "

    rest = OPTION.sub(take, text)
    return " ".join(rest.split(" ")).strip(), found


@dataclass(frozen=True, kw_only=True)
class Action:
    id: str
    words: tuple[str, ...] = ()  # what people type; the first is shown in help. Empty: not typed (internal)
    usage: str = ""  # typed usage, "{ref}" where the item goes: "resolve {ref} <what was done>"
    what: str = ""  # one line of help
    handler: str = ""  # "module:function" in handlers/ (default: "<id>:handle")
    label: str | None = None  # its button on an item's card; None: no button
    raiser_label: str | None = None  # its button when the people who raised the item are asked
    statuses: tuple[str, ...] = ()  # the item statuses it applies to
    who: Who = "anyone"  # department: its owners, reps and admins; raisers: the reporter and "me too"s
    verb: str = ""  # "Only Billing's owners ... can <verb> CX-1" (default: the id)
    past: str = ""  # "CX-1 <past> by Dana." (default: the id + "ed")
    done: str = ""  # the confirmation's first sentence, with {ref} and {by} (default: "{ref} <past> by {by}.")
    note_label: str | None = None  # the note this action carries is shown under this label
    fields: tuple[Input, ...] = ()  # what its form asks (empty: one click)
    keys: tuple[str, ...] = ()  # key=value options read from typed text, beside the free text
    lead: str = ""  # a word people may type before the first field: "assign CX-1 to billing"
    split: bool = False  # the first field is one word, the rest goes to the second
    primary: bool = False  # the button to press first
    overflow: bool = False  # a less used button: where a card is narrow (Teams), it goes into the "..." menu
    on_cards: bool = True  # offered on an item's cards (False: only where a reply offers it by name)

    def __post_init__(self) -> None:  # the defaults that derive from the id
        past = self.past or self.id + ("d" if self.id.endswith("e") else "ed")
        object.__setattr__(self, "verb", self.verb or self.id)
        object.__setattr__(self, "past", past)
        object.__setattr__(self, "done", self.done or "{ref} " + past + " by {by}.")

    @property
    def on_item(self) -> bool:
        return "{ref}" in self.usage

    @property
    def spoken(self) -> tuple[str, ...]:
        """The words that name it in typed text (none for what only doors and the scheduler ask)."""
        return self.words or ((self.id,) if self.usage else ())

    def complete(self, fields: dict[str, str]) -> bool:
        """These fields are all its form would ask: a button that carries them acts in one click."""
        return all(fields.get(f.name) for f in self.fields if f.required)

    def typed(self, ref: str) -> str:
        return self.usage.format(ref=ref)

    def read(self, text: str) -> dict[str, str]:
        """The fields of a typed command, from the text after the word (and the item's reference)."""
        free = [f.name for f in self.fields if f.name not in self.keys]
        text, fields = options(text, self.keys, bool(free))
        if self.lead:
            text = re.sub(rf"^(?:{self.lead})\s+", "", text, flags=re.IGNORECASE)
        for name in free[:-1] if self.split else []:  # one word each, the last field takes the rest
            word, _, text = text.strip().partition(" ")
            fields[name] = word
        if free:
            fields[free[-1] if self.split else free[0]] = text.strip()
        return {k: v for k, v in fields.items() if v}

    def offered(self, status: str, audience: Who = "department") -> bool:
        """Shown on a card about an item in `status` to this audience."""
        label = self.label if audience == "department" else self.raiser_label
        if not self.on_cards:
            return False
        if audience == "tellers" or self.who == "tellers":  # a follow-up's own buttons, and only there
            return status in self.statuses and label is not None and self.who == audience
        return status in self.statuses and label is not None and (
            self.who == audience or self.who == "department or raisers" or self.who == "anyone")

    @cached_property
    def form(self) -> list[dict[str, Any]]:
        return [f.view() for f in self.fields]

    def filled(self, causes: tuple[str, ...] = CAUSES) -> list[dict[str, Any]]:
        """Its form's fields, a root-cause field offering these `causes` (the organisation's)."""
        return [{**f, "choices": [{"value": c, "title": c[:1].upper() + c[1:]} for c in causes]} if f["causes"]
                else f for f in self.form]

    def view(self, ref: str, audience: Who = "department", causes: tuple[str, ...] = CAUSES,
             form: bool = True) -> dict[str, Any]:
        """What a card needs to offer this action on one item (`causes`: the organisation's root causes). Without
        `form`, its fields are left to the message's `forms` (`forms`: a list of many items holds each once)."""
        shown = {"id": self.id, "label": (self.label if audience == "department" else self.raiser_label),
                 "typed": self.typed(ref), "primary": self.primary, "overflow": self.overflow,
                 "title": f"{self.label or self.id} {ref}"}
        return {**shown, "form": self.filled(causes)} if form else shown

    def run(self) -> Handler:
        """Its handler: "module:function", a module of handlers/ unless the name is dotted."""
        module, _, function = (self.handler or f"{self.id}:handle").partition(":")
        found: Handler = getattr(importlib.import_module(module if "." in module else f"handlers.{module}"),
                                 function or "handle")
        return found


LIVE = ("open", "acknowledged")
CLOSED = ("resolved", "declined")
REASON = Input(name="reason", label="Why? The reporter reads this.", kind="long", required=True)

CATALOGUE: list[Action] = [
    Action(id="log", words=("log", "new", "report"),
           usage="log <summary> [stage=billing] [severity=high] [dept=billing] [customer=ACME]",
           what="log a customer pain point",
           keys=("stage", "severity", "department", "customer", "source", "details", "anyway"),
           fields=(Input(name="summary", label="Summary", required=True, limit=200),
                   Input(name="details", label="Details", kind="long", limit=4000),
                   Input(name="stage", label="Journey stage", kind="choice"),
                   Input(name="severity", label="Severity", kind="choice"),
                   Input(name="department", label="Department", kind="choice"),
                   Input(name="customer", label="Customer", limit=200))),
    Action(id="mine", words=("mine", "my", "me"), usage="mine", what="what you own and what you reported",
           handler="lists:mine"),
    Action(id="show", usage="show {ref}", what="one pain point and its history",
           label="Open"),  # a list's button; no statuses, so never on an item's own card
    # -- on an item: the buttons, in the order a card shows them --------------------------------------------
    Action(id="acknowledge", who="department", words=("ack", "acknowledge"), usage="ack {ref}",
           what="acknowledge it (owners and reps)", label="Acknowledge", statuses=("open",), primary=True),
    Action(id="reassign", who="department", words=("assign", "reassign"),
           usage="assign {ref} to <department or person>", what="reassign it", handler="assign:handle",
           label="Reassign", statuses=LIVE, lead="to", split=True,
           fields=(Input(name="to", label="To a department or a person", kind="target", required=True, limit=320),
                   Input(name="note", label="Note for the new owner (optional)"))),
    Action(id="snooze", who="department", usage="snooze {ref} 1d", overflow=True,
           what="quiet it until later (4h, 2d, tomorrow, monday, 2026-12-01)", label="Snooze", statuses=LIVE,
           lead="until|for",
           fields=(Input(name="until", label="Quiet until", kind="choice", required=True, choices=WHEN,
                         default="tomorrow"),)),
    Action(id="resolve", who="department", usage="resolve {ref} <what was done> [category=...] [cause=...]",
           what="resolve it, with the root cause; the reporter hears what you did", label="Resolve", statuses=LIVE,
           note_label="Resolution", keys=("category", "cause"),
           fields=(Input(name="note", label="What was done? The reporter reads this.", kind="long", required=True,
                         limit=4000),
                   Input(name="category", label="Root cause", kind="choice", causes=True),
                   Input(name="cause", label="The cause in your words (optional)"))),
    Action(id="decline", who="department", usage="decline {ref} <reason>", what="decline it, with a reason",
           label="Decline", statuses=LIVE, note_label="Reason", fields=(REASON,), overflow=True),
    Action(id="wait", who="department", usage="wait {ref} customer|<team> [until=2026-12-01] <note>", split=True,
           what="pause its clock while it waits on the customer or another team", label="Waiting on…",
           handler="waiting:wait",
           statuses=LIVE, overflow=True, keys=("until",), verb="mark as waiting", past="marked as waiting",
           note_label="Note",
           fields=(Input(name="on", label="Waiting on: customer, or which team?", required=True, limit=100,
                         default="customer"),
                   Input(name="note", label="Note (what you are waiting for)", kind="long"),
                   Input(name="until", label="Until (optional): 2026-12-01, monday, 2d", limit=40))),
    Action(id="resume", who="department", usage="resume {ref}", what="end its wait: the clock runs again",
           label="Stop waiting", statuses=LIVE, handler="waiting:resume", verb="end the wait on",
           past="no longer waiting"),
    Action(id="fixed", words=("fixed", "confirm", "yes"), usage="fixed {ref}", what="confirm that a fix worked",
           handler="reopen:confirm", raiser_label="Yes", statuses=("resolved",), who="raisers", primary=True,
           done="Thanks, {by}: {ref} is confirmed fixed.", past="confirmed the fix for"),
    Action(id="rate", usage="rate {ref} <1-5> [comment]", what="rate how well a fix worked, 1 to 5",
           handler="ratings:rate", raiser_label="Rate it", statuses=("resolved",), who="raisers", split=True,
           verb="rate", past="rated",
           fields=(Input(name="rating", label="How well did it fix it?", kind="choice", required=True,
                         choices=(("5", "5: fixed"), ("4", "4: mostly"), ("3", "3: partly"), ("2", "2: barely"),
                                  ("1", "1: not at all")), default="5"),
                   Input(name="comment", label="A comment (optional)", kind="long"))),
    Action(id="unfixed", usage="unfixed {ref}", what="reopen it with your low rating's comment as the reason",
           handler="ratings:unfixed", raiser_label="Reopen with my comment", statuses=("resolved",), who="raisers",
           verb="reopen", past="reopened", on_cards=False),
    Action(id="told", usage="told {ref}", who="tellers", statuses=CLOSED, primary=True,
           what="you told your customer what was done", handler="follow_up:told", raiser_label="Customer told",
           verb="record telling the customer about", past="marked customer told"),
    Action(id="notneeded", words=("notneeded", "not-needed"), usage="notneeded {ref} <why>", who="tellers",
           statuses=CLOSED, what="your customer needs no word (say why)", handler="follow_up:not_needed",
           raiser_label="Not needed", verb="mark no word needed for", past="marked no word needed",
           note_label="Why not",
           fields=(Input(name="reason", label="Why does the customer need no word?", kind="long", required=True),)),
    Action(id="remind", words=("remind", "later"), usage="remind {ref}", who="tellers", statuses=CLOSED,
           what="remind you tomorrow to tell your customer", handler="follow_up:later",
           raiser_label="Remind me tomorrow", verb="be reminded about", past="will be reminded about"),
    Action(id="reopen", usage="reopen {ref} <why>", what="reopen a resolved or declined one (or a wrong duplicate)",
           label="Reopen", raiser_label="No, reopen", statuses=(*CLOSED, "duplicate"), who="department or raisers",
           fields=(Input(name="reason", label="What is still wrong?", kind="long", required=True),)),
    Action(id="comment", usage="comment {ref} <text>", what="add a note", verb="comment on",
           past="commented on", done="Comment added to {ref}.", note_label="Comment",
           fields=(Input(name="text", label="Comment", kind="long", required=True, limit=4000),)),
    Action(id="metoo", words=("metoo", "me-too"), usage="metoo {ref} [customer=ACME]", what="you see this pain too",
           handler="me_too:handle", verb="say me too", keys=("customer",),
           fields=(Input(name="customer", label="Customer (optional)", limit=200),)),
    Action(id="restrict", usage="restrict {ref}",
           what="only the people who raised it, its department and admins see it",
           handler="restrict:restrict", who="department or raisers", past="restricted",
           done="{ref} is restricted now ({by}): only the people who raised it, its department and admins see it."),
    Action(id="unrestrict", usage="unrestrict {ref}", what="make a restricted one visible to everyone again",
           handler="restrict:unrestrict", who="department or raisers", past="made visible to everyone",
           done="{ref} is visible to everyone again ({by})."),
    Action(id="duplicate", who="department", words=("duplicate", "dup"), usage="duplicate {ref} of <original>",
           what="close a duplicate; its reporter hears back with the original", verb="mark as a duplicate",
           past="marked as a duplicate", done="{ref} is marked as a duplicate by {by}.", lead="of", statuses=LIVE,
           fields=(Input(name="of", label="The original (e.g. CX-12)", required=True, limit=20),)),
    # -- not on one item ------------------------------------------------------------------------------------
    Action(id="queue", usage="queue [department]", what="a department's open items", handler="lists:queue",
           fields=(Input(name="department", label="Department"),)),
    Action(id="find", words=("find", "search"), usage="find <words> [customer=ACME] [dept=billing] [status=live]",
           what="the pain points that match, best first: see whether yours is logged already",
           handler="find:handle", keys=("customer", "department", "status"),
           fields=(Input(name="words", label="Words", required=True, limit=300),
                   Input(name="customer", label="Customer", limit=200),
                   Input(name="department", label="Department", limit=64),
                   Input(name="status", label="Status (live, open, resolved, closed...)", limit=20))),
    Action(id="customer", words=("customer", "account"), usage="customer <name>",
           what="every pain point one customer hit, with what was done", handler="customers:handle",
           fields=(Input(name="name", label="Customer", required=True, limit=200),)),
    Action(id="overdue", usage="overdue", what="everything past its due time", handler="lists:late"),
    Action(id="stats", usage="stats", what="counts per department"),
    Action(id="digest", usage="digest [2026-W48]", what="the weekly accountability digest (leaders and admins)",
           handler="digest:preview", fields=(Input(name="week", label="Week"),)),
    Action(id="dashboard", words=("dashboard", "board"), usage="dashboard",
           what="a sign-in link to the dashboard: the journey map, scorecards, root causes and wins",
           handler="dashboard:sign_in"),
    Action(id="departments", words=("departments", "depts"), usage="departments",
           what="departments, owners and routing keywords", handler="departments:listing"),
    Action(id="dept", words=("dept", "department"),
           usage="dept add|owner|rep|remove|lead|keywords|triage|rename|delete <key> ...",
           what="manage departments (admins)", handler="departments:handle", split=True,
           fields=(Input(name="sub", label="What"), Input(name="key", label="Department"),
                   Input(name="value", label="Value"))),
    Action(id="help", words=("help", "?", "h"), usage="help", what="what I can do", handler="dispatch:help_"),
    # -- asked by doors and the scheduler, never typed --------------------------------------------------------
    Action(id="log_message", handler="log:from_message"),
    Action(id="home", handler="lists:home"),
    Action(id="form", handler="lists:form"),
    Action(id="departments_known", handler="lists:departments_known"),
    Action(id="check", handler="act:check"),
    Action(id="profile", handler="dispatch:profile"),
    Action(id="remember", handler="conversations:remember"),
    Action(id="unreachable", handler="conversations:unreachable"),
    Action(id="roster", handler="conversations:roster"),
    Action(id="forget", handler="conversations:forget"),
    Action(id="deliver", handler="conversations:deliver"),
    Action(id="nudge", handler="nudge:handle"),
    Action(id="nudge_rows", handler="nudge:rows"),
    Action(id="digest_send", handler="digest:send"),
]


def find(name: str | None) -> Action | None:
    """An action by its id or any word people type for it ("ack", "acknowledge")."""
    wanted = (name or "").strip().lower()
    return next((a for a in CATALOGUE if a.id == wanted), None) or spoken(wanted)


def spoken(word: str) -> Action | None:
    """The action a typed word names; None for a word nobody can type (internal actions among them)."""
    return next((a for a in CATALOGUE if word in a.spoken), None)


def listed() -> list[Action]:
    """What help lists, in the catalogue's order."""
    return [a for a in CATALOGUE if a.usage and a.what and a.id != "help"]


def buttons(ref: str, status: str, audience: Who = "department", causes: tuple[str, ...] = CAUSES,
            form: bool = True, waiting: bool = False) -> list[dict[str, Any]]:
    """The actions a card about an item in `status` offers this audience, as the templates need them: "Stop
    waiting" while it waits, "Waiting on…" while it does not; without `form`, their fields are the message's
    `forms` (a list of twenty items carried each form twenty times)."""
    return [a.view(ref, audience, causes, form) for a in _offered(id(CATALOGUE), status, audience, waiting)]


def forms(ids: Iterable[str], causes: tuple[str, ...] = CAUSES) -> dict[str, list[dict[str, Any]]]:
    """The fields of these actions' forms, by action, for a message whose buttons carry none (`buttons`)."""
    wanted = set(ids)
    return {a.id: a.filled(causes) for a in CATALOGUE if a.id in wanted}


@cache
def _offered(catalogue: int, status: str, audience: Who, waiting: bool) -> tuple[Action, ...]:
    """Which actions are offered, worked out once per catalogue (a test may extend it), status, audience and
    whether the item waits."""
    del catalogue  # only the cache's key
    return tuple(a for a in CATALOGUE if a.offered(status, audience) and a.id != ("wait" if waiting else "resume"))

