"""The nudge sweep: overdue items remind their owners inside working hours, and climb the escalation ladder.

One combined reminder per owner per sweep; after `lead_after` unanswered reminders the department lead hears
too, after `leaders_after` the CX leaders. Each reminder is claimed in the database before it is written to the
outbox (in the same transaction), so replicas sweeping at once never send one twice.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers import access, actions, follow_up, overdue, waiting, warn
from handlers.base import Command, Context, Notice, Outcome, Refusal, Reply
from handlers.clock import add_working_time, hours_of, humanise, is_working_time, zone_of
from handlers.org import WorkingHours
from handlers.overdue import is_overdue, running
from handlers.views import STATUS, due_text
from storage import nudges, outbox, pain_points, people
from storage.models import Person

SYSTEM = "system:scheduler"
ROWS = 15  # the rows a nudge card shows
SHOWN = 20  # the items a reminder carries (Slack shows 20, Teams 15); the rest are counted


def next_working_moment(ctx: Context, who: str, person: Person | None, now: datetime) -> datetime:
    """Now, if it is working time for them; else the start of their next working period."""
    hours, zone = hours_of(ctx.org, who, person), zone_of(ctx.org, person)
    return now if is_working_time(now, hours, zone) else add_working_time(now, timedelta(0), hours, zone)


def entry(ctx: Context, candidate: nudges.Candidate, item: nudges.Late, slot: int, names: dict[str, str],
          now: datetime, owner: str | None) -> dict[str, Any]:
    waited = now - (item.created_at if candidate.kind == "ack" else candidate.due_at)
    return {"ref": item.ref, "summary": item.summary, "department": candidate.department.name,
            "severity": item.severity, "kind": candidate.kind, "overdue_by": humanise(now - candidate.due_at),
            "waited": humanise(waited), "due": due_text(item, now), "owner_name": names.get(owner or "", owner),
            "nudged": slot - 1,
            # an overdue item never waits (a wait pauses its clock): "Waiting on…", never "Stop waiting"
            "actions": actions.buttons(item.ref, item.status, causes=tuple(ctx.org.root_causes), form=False)}


async def rows(cmd: Command, ctx: Context) -> Outcome:
    """A nudge card again, as its items stand now (a door updates the card after someone acted on one row):
    each row that is still overdue says so, the others say where they are; the buttons follow each status."""
    who = await access.register(ctx, cmd.actor)
    try:
        refs = [str(r) for r in json.loads(cmd.fields.get("refs") or "[]")][:ROWS]
    except (json.JSONDecodeError, TypeError):
        raise Refusal("Unreadable card.") from None
    now = ctx.clock.now()
    lines: list[dict[str, Any]] = []
    for ref in refs:
        item = await pain_points.get(session=ctx.session, ref=ref)
        if item is None or not await access.sees(ctx, who, item):
            continue
        clock = running(item) if is_overdue(item, now) else None
        lines.append({"ref": item.ref, "summary": item.summary, "department": item.department.name,
                      "severity": item.severity, "kind": clock[0] if clock else None,
                      "overdue_by": humanise(now - clock[1]) if clock else None, "status": STATUS[item.status],
                      "actions": actions.buttons(item.ref, item.status, causes=tuple(ctx.org.root_causes),
                                                 waiting=bool(item.waiting_on))})
    return Outcome.reply("nudge", items=lines, count=sum(1 for line in lines if line["kind"]))


async def handle(cmd: Command, ctx: Context) -> Outcome:
    now = ctx.clock.now()
    dry_run = cmd.fields.get("dry_run") == "yes"
    settings = ctx.org.nudges
    # waits whose date has passed end first: their clocks run again, with the time that was left
    early = [] if dry_run else await waiting.sweep(ctx, now)
    early += [] if dry_run else await warn.sweep(ctx, now)  # and owners hear of what is about to breach
    found = await nudges.candidates(session=ctx.session, now=now, overdue=overdue.clause(now),
                                   late=overdue.late_clock(now))
    leaders = await people.identities(session=ctx.session, leaders=True)
    admins = await people.identities(session=ctx.session, admins=True)
    # who answers for an item nobody owns, and who leads: once per department, not once per item
    homes = {d.id: (next(iter(d.named("owner") or d.named("rep") or admins), None), d.lead)
             for d in {c.department.id: c.department for c in found}.values()}
    whos: set[str] = set(leaders) | {w for fallback, lead in homes.values() for w in (fallback, lead) if w}
    owners: dict[int, str | None] = {}
    for c in found:
        owners[c.id] = c.owner or homes[c.department.id][0]
        if c.owner:
            whos.add(c.owner)
    known = {h: p for p in await people.many(session=ctx.session, whos=whos) for h in (p.identity, p.email) if h}
    names = {h: p.display_name for h, p in known.items()}
    claims, due = [], []
    at_work: dict[str, tuple[WorkingHours, ZoneInfo] | None] = {}  # each owner's hours and zone, if working now
    for c in found:
        owner = owners[c.id]
        if owner is None:
            continue
        if owner not in at_work:  # once per owner, not once per item: a sweep may hold thousands of theirs
            person = known.get(owner)
            hours, zone = hours_of(ctx.org, owner, person), zone_of(ctx.org, person)
            at_work[owner] = (hours, zone) if is_working_time(now, hours, zone) else None
        working = at_work[owner]
        if working is None:
            continue  # not at 3 am: the next sweep inside their hours will do it
        hours, zone = working
        if c.last_at and add_working_time(c.last_at, settings.cadence, hours, zone) > now:
            continue
        slot = c.sent + 1
        level = 2 if slot > settings.leaders_after else 1 if slot > settings.lead_after else 0
        claims.append({"pain_point_id": c.id, "kind": c.kind, "due_at": c.due_at, "slot": slot, "level": level,
                       "owner": owner})
        due.append((c, slot, level, owner))
    if dry_run:
        won = {(c.id, slot) for c, slot, _, _ in due}
    else:
        won = await nudges.claim(session=ctx.session, at=now, rows=claims)
    # each message shows its first SHOWN items and counts the rest: a sweep over thousands of overdue items
    # reads, builds and stores only what people read
    picked: dict[tuple[str, str], list[tuple[nudges.Candidate, int, str]]] = defaultdict(list)
    refs: dict[tuple[str, str], list[str]] = defaultdict(list)

    def add(key: tuple[str, str], c: nudges.Candidate, slot: int, owner: str) -> None:
        refs[key].append(f"CX-{c.id}")
        if len(picked[key]) < SHOWN:
            picked[key].append((c, slot, owner))

    for c, slot, level, owner in due:
        if (c.id, slot) not in won:
            continue
        add(("nudge", owner), c, slot, owner)
        if level >= 1 and (lead := homes[c.department.id][1]):
            add(("lead", lead), c, slot, owner)
        if level >= 2:
            add(("leaders", ""), c, slot, owner)
    details = await nudges.shown(session=ctx.session, ids=sorted({c.id for p in picked.values() for c, _, _ in p}))
    lines: dict[int, dict[str, Any]] = {}  # an item shown to its owner and their lead: built once

    def line(c: nudges.Candidate, slot: int, owner: str) -> dict[str, Any]:
        if c.id not in lines:
            lines[c.id] = entry(ctx, c, details[c.id], slot, names, now, owner)
        return lines[c.id]

    shown = {key: [line(c, slot, owner) for c, slot, owner in p if c.id in details] for key, p in picked.items()}
    messages: list[tuple[str, str, dict[str, Any], list[str]]] = []
    causes = tuple(ctx.org.root_causes)
    for (kind, who), items in shown.items():
        count = len(refs[(kind, who)])
        if kind == "nudge":  # the owner's buttons; each form they open once for the whole message
            used = {a["id"] for i in items for a in i["actions"]}
            messages.append((who, "nudge", {"items": items, "count": count, "forms": actions.forms(used, causes)},
                             refs[(kind, who)]))
            continue
        told = [{k: v for k, v in i.items() if k != "actions"} for i in items]  # leads hear; the owner acts
        if kind == "lead":
            messages.append((who, "escalation", {"items": told, "count": count, "level": "lead"},
                             refs[(kind, who)]))
        else:
            messages += [(leader, "escalation", {"items": told, "count": count, "level": "leaders"},
                          refs[(kind, who)]) for leader in leaders]
    report: list[dict[str, Any]] = []
    queued: list[dict[str, Any]] = []
    for who, template, data, all_refs in messages:
        person = known.get(who)
        recipient = person.identity if person and person.identity else f"email:{who}" if "@" in who else who
        report.append({"recipient": recipient, "name": names.get(who, who), "template": template,
                       "refs": all_refs})
        queued.append({"recipient": recipient, "template": template, "payload": data,
                       "deliver_at": next_working_moment(ctx, who, person, now)})
    if dry_run:
        queued = []
    await outbox.enqueue_many(session=ctx.session, messages=queued, at=now)
    notices = early + [Notice(q["recipient"], q["template"], q["payload"]) for q in queued]
    if not dry_run:  # the follow-ups whose reminder is due: each once, in the person's working hours
        async def moment(who: str) -> datetime:
            return next_working_moment(ctx, who, await people.get(session=ctx.session, who=who), now)

        reminders = await follow_up.remind(ctx, now, moment)
        notices += reminders
        report += [{"recipient": n.recipient, "name": n.recipient, "template": n.template,
                    "refs": [n.data["item"]["ref"]]} for n in reminders]
    return Outcome(replies=[Reply("nudge_report", {"at": now.isoformat(), "dry_run": dry_run, "sent": report,
                                                   "overdue": len(found), "claimed": len(won)})],
                   notices=notices)
