"""Time comes from an injected clock; working time is counted in the organisation's hours."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from handlers.org import WorkingHours


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


def add_working_time(start: datetime, duration: timedelta, hours: WorkingHours, zone: ZoneInfo) -> datetime:
    """The moment `duration` of working time after `start`.

    Whole days (24h multiples, as '3d' is written) count as working days; the rest counts working hours.
    Wall-clock arithmetic in the organisation's zone keeps 09:00 at 09:00 across a DST change.
    """
    whole_days, rest = divmod(duration, timedelta(days=1))
    remaining = rest + whole_days * hours.length
    local = start.astimezone(zone).replace(tzinfo=None)
    while True:
        day_start = datetime.combine(local.date(), hours.start)
        day_end = datetime.combine(local.date(), hours.end)
        if local.weekday() in hours.weekdays and local < day_end:
            begin = max(local, day_start)
            available = day_end - begin
            if remaining <= available:
                return (begin + remaining).replace(tzinfo=zone).astimezone(UTC)
            remaining -= available
        local = datetime.combine(local.date() + timedelta(days=1), hours.start)


def is_working_time(moment: datetime, hours: WorkingHours, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return local.weekday() in hours.weekdays and hours.start <= local.time() < hours.end


def humanise(delta: timedelta) -> str:
    """A short human duration: 45m, 4h, 1.5d."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)}m"
    if minutes < 48 * 60:
        hours = minutes / 60
        return f"{hours:.0f}h" if hours >= 10 or hours.is_integer() else f"{hours:.1f}h"
    days = minutes / (24 * 60)
    return f"{days:.0f}d" if days >= 10 or days.is_integer() else f"{days:.1f}d"
