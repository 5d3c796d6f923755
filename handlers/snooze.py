"""Snooze: quiet an item's nudges until a time, never beyond the organisation's maximum."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from handlers import act
from handlers.base import Command, Context, Outcome, Refusal
from handlers.clock import hours_of, humanise, zone_of
from handlers.org import parse_duration
from storage import pain_points
from storage.models import PainPoint, Person

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def until(value: str, now: datetime, ctx: Context, who: Person) -> datetime:
    """'4h', '2d', 'tomorrow', 'monday', '2026-12-01' or '2026-12-01T14:00' -> a moment, read in the snoozer's
    own time zone and working hours: 'tomorrow' is the start of their next working day."""
    text = value.strip().lower()
    zone, hours = zone_of(ctx.org, who), hours_of(ctx.org, who.identity, who)
    start = hours.start
    local_today = now.astimezone(zone).date()
    if re.fullmatch(r"\d+(\.\d+)?\s*[mhdw]", text):
        try:
            return now + parse_duration(text)
        except OverflowError:  # "9999999999w": no moment the calendar has
            raise Refusal(f"{value[:40]!r} is further away than any snooze can be. Try 4h, 2d or a date.",
                          field="until") from None
    if text == "tomorrow":
        day = local_today + timedelta(days=1)
        while day.weekday() not in hours.weekdays:
            day += timedelta(days=1)
        return datetime.combine(day, start, zone)
    if text in WEEKDAYS:
        ahead = (WEEKDAYS.index(text) - local_today.weekday() - 1) % 7 + 1
        return datetime.combine(local_today + timedelta(days=ahead), start, zone)
    try:
        if "t" in text or " " in text:
            moment = datetime.fromisoformat(text.upper().replace(" ", "T"))
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
        return datetime.combine(date.fromisoformat(text), start or time(9), zone)
    except ValueError:
        raise Refusal(f"I can't read {value[:40]!r} as a time. Try 4h, 2d, tomorrow, monday or 2026-12-01.",
                      field="until") from None


async def snoozed_so_far(ctx: Context, item: PainPoint, now: datetime) -> timedelta:
    """How long the item has been quiet in all: each snooze for as long as it lasted, until the time it asked
    for or until it ended sooner (the next snooze, a reassignment), and the one still running until now
    (back-to-back snoozes are one long silence, never counted twice)."""
    total = timedelta()
    for start, end in await pain_points.snoozes(session=ctx.session, item=item):
        total += max(min(end, now) - start, timedelta())
    return total


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "snooze")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    raw = (cmd.fields.get("until") or "").strip()
    if not raw:
        raise Refusal(f"Snooze {item.ref} until when? For example 'snooze {item.ref} 2d' or '... until monday'.",
                      field="until")
    now = ctx.clock.now()
    moment = until(raw, now, ctx, who)
    if moment <= now:
        raise Refusal("That time has already passed. Choose a time in the future.", field="until")
    if moment - now > ctx.org.max_snooze:
        raise Refusal(f"Items can be snoozed for at most {humanise(ctx.org.max_snooze)}. Choose an earlier time.",
                      field="until")
    quiet = await snoozed_so_far(ctx, item, now)
    if quiet + (moment - now) > ctx.org.max_snooze:
        left = ctx.org.max_snooze - quiet
        raise Refusal(f"{item.ref} has been snoozed for {humanise(quiet)} already; an item can be quiet for at most "
                      f"{humanise(ctx.org.max_snooze)} in all" + (f", so {humanise(left)} more at most."
                                                                   if left.total_seconds() >= 3600 else ".")
                      + " Resolve it, decline it, or reassign it to someone who can act.", field="until")
    await pain_points.snooze(session=ctx.session, item=item, until=moment, at=now)
    await pain_points.record(session=ctx.session, item=item, action="snooze", actor=who.identity or "", at=now,
                             until=moment.isoformat())
    return await act.done(ctx, item, who, taken, [])
