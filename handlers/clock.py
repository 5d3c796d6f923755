"""Time comes from an injected clock; working time is counted in the organisation's hours."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.org import Org, WorkingHours
from storage.models import Person


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told to: tests travel in time with it, never sleep."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


def known_zone(name: str) -> bool:
    """A time zone name this server's tz data knows (a platform may send one newer than it, or garbage)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return len(name) <= 64


def zone_of(org: Org, person: Person | None) -> ZoneInfo:
    """A person's own time zone, else the organisation's (also for a zone this server does not know)."""
    return own_zone(org, person.timezone if person else None)


def own_zone(org: Org, timezone: str | None) -> ZoneInfo:
    """The zone a platform told us someone is in, else the organisation's (also for one this server does not
    know)."""
    return ZoneInfo(timezone) if timezone and known_zone(timezone) else org.zone


def hours_of(org: Org, who: str | None, person: Person | None) -> WorkingHours:
    """A person's working hours, by every handle they are known by."""
    return org.hours_of(who, *((person.identity, person.email) if person else ()))


def add_working_time(start: datetime, duration: timedelta, hours: WorkingHours, zone: ZoneInfo) -> datetime:
    """The moment `duration` of working time after `start`.

    Whole days (24h multiples, as '3d' is written) count as working days; the rest counts working hours.
    Holidays (`hours.holidays`) are no working days. Wall-clock arithmetic in the organisation's zone keeps
    09:00 at 09:00 across a DST change.
    """
    whole_days, rest = divmod(duration, timedelta(days=1))
    remaining = rest + whole_days * hours.length
    local = start.astimezone(zone).replace(tzinfo=None)
    off = hours.days_off
    while True:
        day_start = datetime.combine(local.date(), hours.start)
        day_end = datetime.combine(local.date(), hours.end)
        if local.weekday() in hours.weekdays and local.date() not in off and local < day_end:
            begin = max(local, day_start)
            available = day_end - begin
            if remaining <= available:
                return (begin + remaining).replace(tzinfo=zone).astimezone(UTC)
            remaining -= available
        local = datetime.combine(local.date() + timedelta(days=1), hours.start)


def working_between(start: datetime, end: datetime, hours: WorkingHours, zone: ZoneInfo) -> timedelta:
    """The working time from `start` to `end` (nothing when `end` is not later)."""
    total = timedelta()
    local, stop = start.astimezone(zone).replace(tzinfo=None), end.astimezone(zone).replace(tzinfo=None)
    off = hours.days_off
    while local < stop:
        if local.weekday() in hours.weekdays and local.date() not in off:
            begin = max(local, datetime.combine(local.date(), hours.start))
            finish = min(stop, datetime.combine(local.date(), hours.end))
            total += max(finish - begin, timedelta())
        local = datetime.combine(local.date() + timedelta(days=1), time(0))
    return total


def after_working(start: datetime, working: timedelta, hours: WorkingHours, zone: ZoneInfo) -> datetime:
    """The moment this much working time (as `working_between` counts it, hour by hour) after `start`; none
    leaves it where it is (add_working_time would carry a moment at a day's end to the next day's start)."""
    if working <= timedelta(0):
        return start
    days, rest = divmod(working, hours.length)  # add_working_time counts whole 24h days as working days
    return add_working_time(start, timedelta(days=days) + rest, hours, zone)


def is_working_time(moment: datetime, hours: WorkingHours, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return (local.weekday() in hours.weekdays and local.date() not in hours.days_off
            and hours.start <= local.time() < hours.end)


def humanise(delta: timedelta) -> str:
    """A short human duration: 45m, 4h, 1.5h, 3d, 1.5d (never "4.0h")."""
    minutes = round(abs(delta).total_seconds() / 60)
    if minutes < 60:
        return f"{max(minutes, 1)}m"
    if minutes < 48 * 60:
        return short(minutes / 60, "h")
    return short(minutes / (24 * 60), "d")


def short(amount: float, unit: str) -> str:
    """One decimal below ten, none from ten on, and no ".0"."""
    text = f"{amount:.0f}" if amount >= 10 else f"{amount:.1f}".removesuffix(".0")
    return text + unit
