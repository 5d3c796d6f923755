"""Log a customer pain point: validate, route to a department, set due times, tell the owner."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from handlers import access, me_too, notify, similar, text
from handlers.base import Command, Context, Outcome, Refusal, Reply
from handlers.clock import add_working_time
from handlers.org import SEVERITIES
from handlers.views import item_view
from storage import claims, departments, pain_points, people
from storage.models import Department

URL = re.compile(r"^https?://\S+$")
SUMMARY = 200  # characters
NO_TEXT = "A message without text (see the link)"
ANYWAY = frozenset(("yes", "y", "true", "1", "anyway"))


def anyway(fields: dict[str, str]) -> bool:
    """The person has seen the similar items and logs theirs all the same."""
    return (fields.get("anyway") or "").strip().lower() in ANYWAY


def keyword_pattern(keyword: str) -> str:
    forms = [re.escape(keyword) + "(?:s|es|ed|ing)?"]
    if keyword.endswith("e"):  # charge: charged, charging
        forms += [re.escape(keyword) + "d", re.escape(keyword[:-1]) + "ing"]
    return rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)"


def route(candidates: list[Department], text: str) -> tuple[Department | None, list[str]]:
    """The department whose keywords best match the text, with the keywords that matched (most matches wins,
    the earlier department on a tie). A keyword matches a whole word, its plural and its simple verb forms:
    "charge" matches "charges" and "charged", "ad" matches "ads", and neither matches inside another word
    ("address")."""
    words = text.lower()
    best: tuple[Department | None, list[str]] = (None, [])
    for department in candidates:
        found = [k for k in department.keywords if re.search(keyword_pattern(k), words)]
        if len(found) > len(best[1]):
            best = (department, found)
    return best


async def choose_department(ctx: Context, wanted: str | None, words: str) -> tuple[Department, str, list[str]]:
    """The reporter's choice, else the keyword rules' suggestion (with the words that matched), else the triage
    team, else (no triage team set up) the first department, said so."""
    if wanted and wanted.strip().lower() not in ("", "auto", "route", "unsure"):
        return await access.department(ctx, wanted, field="department"), "chosen", []
    known = await departments.all(session=ctx.session)
    routed, matched = route([d for d in known if not d.triage], words)
    if routed is not None:
        return routed, "routed", matched
    triage = await departments.triage(session=ctx.session)
    if triage is not None:
        return triage, "triage", []
    if known:
        return known[0], "no triage", []
    raise Refusal("No departments are set up yet, so I can't route this. A CX admin can add one with "
                  "'dept add <key> <name>' or in the org file.")


def choose(value: str | None, allowed: list[str] | tuple[str, ...], default: str, label: str, field: str) -> str:
    if value is None or not value.strip():
        return default
    choice = value.strip().lower()
    if choice not in allowed:
        raise Refusal(f"{choice[:40]!r} is not a {label}. Choose one of: {', '.join(allowed)}.", field=field)
    return choice


async def handle(cmd: Command, ctx: Context) -> Outcome:
    fields = cmd.fields
    summary = text.line(fields.get("summary"), label="summary", field="summary", limit=SUMMARY, required=True)
    details = text.block(fields.get("details"), label="details", field="details", limit=4000)
    customer = text.line(fields.get("customer"), label="customer reference", field="customer", limit=200)
    source = text.line(fields.get("source"), label="source link", field="source", limit=2000)
    if source and not URL.match(source):
        raise Refusal("The source link must be a web address starting with https://.", field="source")
    severity = choose(fields.get("severity"), SEVERITIES, "medium", "severity", "severity")
    stages = ctx.org.journey_stages
    stage = choose(fields.get("stage"), stages, "", "journey stage", "stage")
    department, routed_by, matched = await choose_department(ctx, fields.get("department"),
                                                             f"{summary} {details or ''}")
    if not stage:  # a department named like a stage (billing, onboarding) says where in the journey it hurts
        stage = department.key if department.key in stages else "other" if "other" in stages else stages[-1]
    owners = department.named("owner") or department.named("rep")
    await people.read(session=ctx.session, whos=[cmd.actor.identity, *owners[:1]])
    reporter = await access.register(ctx, cmd.actor)
    alike = await similar.offer(ctx, reporter, summary or "", stage=fields.get("stage") and stage, customer=customer,
                                department_id=department.id if routed_by == "chosen" else None)
    if alike and not anyway(fields):  # shown first: "me too" on one of them, or log it anyway
        again = {"summary": summary or "", "details": details or "", "stage": (fields.get("stage") or "").strip(),
                 "severity": severity, "department": (fields.get("department") or "").strip(),
                 "customer": customer or "", "source": source or "", "anyway": "yes"}
        again = {k: v for k, v in again.items() if v}
        return Outcome(replies=[Reply("similar", {"suggestions": alike, "summary": summary, "customer": customer,
                                                  "action": "log", "again": again})])
    now = ctx.clock.now()
    sla = ctx.org.sla_for(severity)
    zone, hours = ctx.org.zone, ctx.org.department_hours(department.key)
    item = await pain_points.create(
        session=ctx.session, summary=summary, details=details, stage=stage, severity=severity,
        customer_ref=customer, source_url=source, reporter=reporter.identity, department_id=department.id,
        owner=await notify.identity(ctx, owners[0]) if owners else None, status="open",
        created_at=now, updated_at=now,
        ack_due_at=add_working_time(now, sla.acknowledge, hours, zone),
        resolve_due_at=add_working_time(now, sla.resolve, hours, zone))
    await pain_points.record(session=ctx.session, item=item, action="create", actor=reporter.identity or "",
                             at=now, note=summary, routed_by=routed_by, department=department.key)
    view = await item_view(ctx, item, affected=0)
    if alike:  # logged all the same: its owner sees what it may repeat, and may mark it a duplicate in one click
        view["similar"] = alike
    notices = await notify.send(ctx, [item.owner] if item.owner else [], "assignment",
                                {"item": view, "by": reporter.display_name, "reason": "new"})
    if not item.owner:  # a department with nobody in it: the admins must find it a home
        admins = await people.identities(session=ctx.session, admins=True)
        notices += await notify.send(ctx, admins, "assignment", {"item": view, "by": reporter.display_name,
                                                                 "reason": "unowned"})
    return Outcome(replies=[Reply("logged", {"item": view, "routed_by": routed_by, "matched": matched,
                                             "may_reassign": access.may_act(reporter, item)})], notices=notices)


def from_text(text: str | None) -> dict[str, str]:
    """A chat message as a pain point's fields: its first line is the summary (cut to fit, with an
    ellipsis), the whole message the details when it says more."""
    words = (text or "").strip()
    first = words.splitlines()[0].strip() if words else ""
    summary = (first if len(first) <= SUMMARY else first[:SUMMARY - 1].rstrip() + "…") or NO_TEXT
    return {"summary": summary, "details": words if words != first else ""}


async def from_message(cmd: Command, ctx: Context) -> Outcome:
    """Log a chat message (`text` and its permalink, `source`) once: whoever asks to log a message already
    logged is counted as affected on its item instead ("me too"), even when two ask at the same moment."""
    message = {k: cmd.fields[k] for k in ("text", "source", "anyway") if cmd.fields.get(k)}
    cmd = replace(cmd, fields={**from_text(cmd.fields.get("text")), "source": cmd.fields.get("source", ""),
                               "anyway": cmd.fields.get("anyway", "")})
    source = (cmd.fields.get("source") or "").strip()
    existing = await pain_points.from_source(session=ctx.session, source=source) if source else None
    if source and existing is None:
        key = "source:" + hashlib.sha256(source.encode()).hexdigest()  # one claim per message, in the ledger
        if not await claims.first_time(session=ctx.session, key=key, at=ctx.clock.now()):
            # claimed by a request that committed while this one waited (or one that was shown similar items)
            existing = await pain_points.from_source(session=ctx.session, source=source)
    if existing is not None:
        return await me_too.handle(replace(cmd, action="metoo", ref=existing.ref, fields={}), ctx)
    outcome = await handle(cmd, ctx)
    if outcome.replies and outcome.replies[0].template == "similar":  # logged anyway, it is this message again
        outcome.replies[0].data.update(action="log_message", again={**message, "anyway": "yes"})
    return outcome
