"""Due times count working hours in the organisation's zone, across nights, weekends and DST changes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.clock import add_working_time, humanise, is_working_time
from handlers.org import WorkingHours

LONDON = ZoneInfo("Europe/London")
HOURS = WorkingHours()


@pytest.mark.parametrize(("start", "duration", "due"), [
    # Monday 09:00 + 4h -> Monday 13:00
    (datetime(2026, 11, 23, 9, tzinfo=UTC), timedelta(hours=4), datetime(2026, 11, 23, 13, tzinfo=UTC)),
    # Monday 15:00 + 4h -> Tuesday 11:00
    (datetime(2026, 11, 23, 15, tzinfo=UTC), timedelta(hours=4), datetime(2026, 11, 24, 11, tzinfo=UTC)),
    # Friday 16:00 + 4h -> Monday 12:00
    (datetime(2026, 11, 27, 16, tzinfo=UTC), timedelta(hours=4), datetime(2026, 11, 30, 12, tzinfo=UTC)),
    # Saturday night + 1h -> Monday 10:00
    (datetime(2026, 11, 28, 23, tzinfo=UTC), timedelta(hours=1), datetime(2026, 11, 30, 10, tzinfo=UTC)),
    # Thursday 10:00 + 2 working days -> Monday 10:00
    (datetime(2026, 11, 26, 10, tzinfo=UTC), timedelta(days=2), datetime(2026, 11, 30, 10, tzinfo=UTC)),
    # Friday 23 Oct 2026 16:00 BST (15:00 UTC) + 4h, clocks go back on Sunday 25th -> Mon 12:00 GMT
    (datetime(2026, 10, 23, 15, tzinfo=UTC), timedelta(hours=4), datetime(2026, 10, 26, 12, tzinfo=UTC)),
    # Friday 27 Mar 2026 16:00 GMT + 1 working day, clocks go forward on Sunday 29th -> Mon 16:00 BST
    (datetime(2026, 3, 27, 16, tzinfo=UTC), timedelta(days=1), datetime(2026, 3, 30, 15, tzinfo=UTC)),
])
def test_add_working_time(start: datetime, duration: timedelta, due: datetime) -> None:
    assert add_working_time(start, duration, HOURS, LONDON) == due


def test_other_zone_and_days() -> None:
    hours = WorkingHours(start="08:00", end="12:00", days=["sun", "mon"])
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 11:00 in Tokyo
    # one hour on Monday (11-12), then Sunday 08:00-10:00 in Tokyo
    assert add_working_time(start, timedelta(hours=3), hours, tokyo) == datetime(2026, 11, 29, 1, tzinfo=UTC)


def test_working_time_check() -> None:
    assert is_working_time(datetime(2026, 11, 23, 9, tzinfo=UTC), HOURS, LONDON)
    assert not is_working_time(datetime(2026, 11, 23, 17, tzinfo=UTC), HOURS, LONDON)
    assert not is_working_time(datetime(2026, 11, 28, 12, tzinfo=UTC), HOURS, LONDON)


@pytest.mark.parametrize(("delta", "text"), [(timedelta(seconds=20), "1m"), (timedelta(minutes=45), "45m"),
                                             (timedelta(hours=4), "4h"), (timedelta(hours=90), "3.8d"),
                                             (timedelta(days=12), "12d"),
                                             # never "4.0h" or "3.0d": a moment short of a whole unit is the unit
                                             (timedelta(hours=3, minutes=59, seconds=59), "4h"),
                                             (timedelta(days=2, hours=23, minutes=59, seconds=40), "3d"),
                                             (timedelta(hours=10, minutes=20), "10h")])
def test_humanise(delta: timedelta, text: str) -> None:
    assert humanise(delta) == text
