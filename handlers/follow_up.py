"""The loop closes with the customer: when an item that names a customer is resolved or declined, each person who
raised it for a customer is asked to tell that customer what was done (with a message they can use), and says
"Customer told", "Not needed" (why) or "Remind me tomorrow". Unanswered, they are reminded once, in their next
working day; still unanswered, it shows on the owner's list and the dashboard as a customer waiting to hear."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from handlers import access, act, actions, notify, text
from handlers.base import Command, Context, Notice, Outcome, Refusal
from handlers.clock import add_working_time, hours_of, humanise, zone_of
from handlers.views import item_view
from storage import follow_ups, pain_points, people
from storage.models import FollowUp, PainPoint, Person

STATUS = {"pending": "not told yet", "told": "told", "not_needed": "not needed", "withdrawn": "withdrawn (reopened)"}


def suggestion(item: PainPoint, customer: str, outcome: str) -> str:
    """What the customer could be told, in plain words, from what the owner wrote (the person edits it)."""
    about = item.summary.rstrip(".")
    if outcome == "declined":
        return (f"Hello {customer}, thank you for telling us about this: \"{about}\". We looked into it, and we "
                f"won't be changing it for now: {item.decline_reason or ''}".rstrip(": ") + ". If this leaves you "
                "stuck, tell me and I'll find another way to help.")
    return (f"Hello {customer}, thank you for telling us about this: \"{about}\". It is sorted now: "
            f"{(item.resolution_note or '').rstrip('.')}. If you still see it, tell me and we'll look again.")


async def next_working_day(ctx: Context, who: str, now: datetime) -> datetime:
    """The start of this person's next working day after today (their hours, holidays and time zone)."""
    person = await people.get(session=ctx.session, who=who)
    hours, zone = hours_of(ctx.org, who, person), zone_of(ctx.org, person)
    tomorrow = datetime.combine((now.astimezone(zone) + timedelta(days=1)).date(), hours.start, tzinfo=zone)
    return add_working_time(tomorrow, timedelta(0), hours, zone)


async def owed(ctx: Context, item: PainPoint) -> list[tuple[str, str]]:
    """(person, customer) for everyone who raised this item, or a duplicate of it, for a customer."""
    found: dict[str, list[str]] = {}

    def add(person: str, customer: str | None) -> None:
        if customer and customer.strip() and customer not in found.setdefault(person, []):
            found[person].append(customer.strip())

    add(item.reporter, item.customer_ref)
    for a in await pain_points.affected(session=ctx.session, item=item):
        add(a.person, a.customer_ref)
    for duplicate in await pain_points.duplicates_of(session=ctx.session, item=item):
        add(duplicate.reporter, duplicate.customer_ref)
        for a in await pain_points.affected(session=ctx.session, item=duplicate):
            add(a.person, a.customer_ref)
    return [(person, ", ".join(customers)) for person, customers in found.items() if customers]


async def open_for(ctx: Context, item: PainPoint, view: dict[str, Any]) -> tuple[list[Notice], list[FollowUp]]:
    """On a resolution or a decline: a follow-up for each person who raised it for a customer, and the task
    sent to them. Nothing is sent, and nothing read beyond the item, when no customer is named."""
    who_owes = await owed(ctx, item)
    if not who_owes:
        return [], []
    now = ctx.clock.now()
    rows = [(person, customer, await next_working_day(ctx, person, now)) for person, customer in who_owes]
    opened = await follow_ups.open_for(session=ctx.session, item_id=item.id, owed=rows, outcome=item.status, at=now)
    notices: list[Notice] = []
    for row in opened:
        if row.status == "pending" and row.opened_at == now:
            notices += await task(ctx, item, view, row, reminder=False)
    return notices, opened


async def task(ctx: Context, item: PainPoint, view: dict[str, Any], row: FollowUp, *, reminder: bool,
               deliver_at: datetime | None = None) -> list[Notice]:
    data = {"item": view, "customer": row.customer, "outcome": row.outcome, "reminder": reminder,
            "suggested": suggestion(item, row.customer, row.outcome),
            "asks": actions.buttons(item.ref, item.status, "tellers")}
    return await notify.send(ctx, [row.person], "follow_up", data, deliver_at=deliver_at)


def states(rows: Sequence[FollowUp], names: dict[str, str]) -> list[dict[str, Any]]:
    """An item's loop state, one line per customer, as views show it."""
    return [{"customer": r.customer, "person": r.person, "person_name": names.get(r.person, r.person),
             "status": r.status, "status_text": STATUS.get(r.status, r.status), "note": r.note,
             "at": (r.answered_at or r.opened_at).isoformat()} for r in rows if r.status != "withdrawn"]


async def state(ctx: Context, item: PainPoint) -> list[dict[str, Any]]:
    """An item's loop state (read only for a closed item: a live one owes nobody yet)."""
    if item.status not in actions.CLOSED:
        return []
    rows = await follow_ups.of_item(session=ctx.session, item_id=item.id)
    names = await people.names(session=ctx.session, whos=[r.person for r in rows])
    return states(rows, names)


async def answer(cmd: Command, ctx: Context, action_id: str, status: str) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, action_id)
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    now = ctx.clock.now()
    handles = sorted(access.handles(who))
    if status == "later":
        row = await follow_ups.postpone(session=ctx.session, item_id=item.id, handles=handles,
                                        until=await next_working_day(ctx, who.identity or "", now))
        note = None
    else:
        field = "reason" if status == "not_needed" else "note"
        note = text.block(cmd.fields.get(field), label="reason" if status == "not_needed" else "note", field=field,
                          limit=2000, required=status == "not_needed")
        row = await follow_ups.answer(session=ctx.session, item_id=item.id, handles=handles, status=status,
                                      note=note, at=now)
    if row is None:
        rows = [r for r in await follow_ups.of_item(session=ctx.session, item_id=item.id) if r.person in handles]
        if rows and rows[0].status in ("told", "not_needed"):
            return await act.current_state(ctx, item, taken.verb)
        raise Refusal(f"There is no customer for you to tell about {item.ref}: only the people who raised it for "
                      "a customer are asked to.")
    if status != "later":
        await pain_points.record(session=ctx.session, item=item, action=action_id, actor=who.identity or "", at=now,
                                 note=note, customer=row.customer)
    outcome = await act.done(ctx, item, who, taken, [], note)
    reply = outcome.replies[0].data
    reply["item"]["follow_ups"] = await state(ctx, item)
    reply["headline"] = {
        "told": f"Thanks, {who.display_name}: {row.customer} heard what was done about {item.ref}.",
        "not_needed": f"Noted, {who.display_name}: {row.customer} needs no word about {item.ref}.",
        "later": f"I'll remind you to tell {row.customer} about {item.ref} "
                 f"{row.remind_at.astimezone(zone_of(ctx.org, who)):%A at %H:%M}."}[status]
    return outcome


async def told(cmd: Command, ctx: Context) -> Outcome:
    return await answer(cmd, ctx, "told", "told")


async def not_needed(cmd: Command, ctx: Context) -> Outcome:
    return await answer(cmd, ctx, "notneeded", "not_needed")


async def later(cmd: Command, ctx: Context) -> Outcome:
    return await answer(cmd, ctx, "remind", "later")


async def waiting(ctx: Context, who: Person) -> list[dict[str, Any]]:
    """Customers still waiting to hear, as one person's list shows them: those they are to tell, and, on the
    items they own, those still untold after their reminder."""
    handles = sorted(access.handles(who))
    rows = await follow_ups.waiting(session=ctx.session, where=or_(FollowUp.person.in_(handles), and_(
        FollowUp.reminded_at.is_not(None), PainPoint.owner.in_(handles))))
    names = await people.names(session=ctx.session, whos=[r.person for r in rows])
    now = ctx.clock.now()
    return [{"ref": f"CX-{r.id}", "summary": r.summary, "customer": r.customer, "person_name": names[r.person],
             "yours": r.person in handles, "since": humanise(now - r.opened_at)} for r in rows]


def share(told: follow_ups.Told) -> dict[str, Any] | None:
    """"14 of 16 (88%)": customers told of those who were to hear (the "not needed" aside); None: none owed."""
    if not told.owed:
        return None
    return {"told": told.told, "owed": told.owed, "percent": round(100 * told.told / told.owed),
            "not_needed": told.not_needed}


async def told_by_department(ctx: Context, start: datetime, end: datetime, as_of: datetime,
                             where: ColumnElement[bool]) -> tuple[dict[int, dict[str, Any] | None],
                                                                  dict[str, Any] | None]:
    """Customers told of the follow-ups opened in the period (as of `as_of`): per department, and in all."""
    found = await follow_ups.told(session=ctx.session, start=start, end=end, as_of=as_of, where=where,
                                  by=PainPoint.department_id)
    return {d: share(t) for d, t in found.items()}, share(sum(found.values(), follow_ups.Told()))


async def withdraw(ctx: Context, item: PainPoint) -> None:
    """A reopened item: what its customers were to hear is no longer true; the next resolution asks again."""
    await follow_ups.withdraw(session=ctx.session, item_id=item.id)


async def remind(ctx: Context, now: datetime, deliver_at: Any) -> list[Notice]:
    """The sweep's part: each follow-up whose reminder is due, reminded once (claimed first: replicas sweeping
    together send it once), delivered in the person's working hours (`deliver_at(who)`)."""
    notices: list[Notice] = []
    for row in await follow_ups.claim_reminders(session=ctx.session, now=now):
        item = await pain_points.get(session=ctx.session, ref=f"CX-{row.pain_point_id}")
        if item is None or item.status not in actions.CLOSED:
            continue
        view = await item_view(ctx, item, buttons=False)
        notices += await task(ctx, item, view, row, reminder=True, deliver_at=await deliver_at(row.person))
    return notices
