"""Holidays: the organisation's, a department's closures and a person's leave are no working time: due times
skip them, and nobody is nudged on them."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from handlers.clock import FixedClock, add_working_time, is_working_time
from handlers.org import OrgFileError, WorkingHours, load_org
from storage import pain_points
from tests.handlers.test_nudges import sent, sweep
from tests.ledger import say

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2026, 11, 24)


def test_working_time_skips_holidays() -> None:
    christmas = WorkingHours(holidays=[date(2026, 12, 25)])
    thursday_four = datetime(2026, 12, 24, 16, tzinfo=UTC)  # one hour left on Thursday, Friday is Christmas
    assert add_working_time(thursday_four, timedelta(hours=4), christmas, LONDON) == datetime(2026, 12, 28, 12,
                                                                                                 tzinfo=UTC)
    assert add_working_time(thursday_four, timedelta(hours=4), WorkingHours(), LONDON) == datetime(2026, 12, 25, 12,
                                                                                                  tzinfo=UTC)
    assert not is_working_time(datetime(2026, 12, 25, 11, tzinfo=UTC), christmas, LONDON)
    assert is_working_time(datetime(2026, 12, 24, 11, tzinfo=UTC), christmas, LONDON)


def test_the_org_file_lists_holidays(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text('holidays = ["2026-12-25"]\n[[people]]\nid = "local:dana"\nholidays = ["2026-12-24"]\n'
                    '[[departments]]\nkey = "billing"\nname = "Billing"\nholidays = ["2026-12-31"]\n')
    org = load_org(path)
    assert org.hours_of("local:dana").holidays == [date(2026, 12, 24), date(2026, 12, 25)]
    assert org.hours_of("local:lee").holidays == [date(2026, 12, 25)]
    assert org.department_hours("billing").holidays == [date(2026, 12, 25), date(2026, 12, 31)]
    path.write_text('holidays = ["christmas"]')
    with pytest.raises(OrgFileError, match="holidays"):
        load_org(path)


async def due(app: App, ref: str) -> tuple[datetime, datetime]:
    async with app.db.transaction() as session:
        item = await pain_points.get(session=session, ref=ref)
        assert item is not None
        return item.ack_due_at, item.resolve_due_at


async def test_due_times_skip_the_org_s_holidays_and_a_department_s_closures(app: App) -> None:
    await say(app, "local:sam", "log Invoice total wrong")  # Monday 09:00, Billing
    before = await due(app, "CX-1")
    specs = [d.model_copy(update={"holidays": [TUESDAY]}) if d.key == "onboarding" else d
             for d in app.org.departments]
    app.org = app.org.model_copy(update={"departments": specs})
    await say(app, "local:sam", "log Invoice total wrong again anyway=yes")  # Billing: no closure
    await say(app, "local:sam", "log Setup wizard crashes")  # Onboarding: closed on Tuesday
    assert await due(app, "CX-2") == before
    onboarding = await due(app, "CX-3")
    assert onboarding[1] == before[1] + timedelta(days=1)  # resolution due a working day later
    app.org = app.org.model_copy(update={"holidays": [TUESDAY]})
    await say(app, "local:sam", "log Invoice total wrong a third time anyway=yes")
    assert (await due(app, "CX-4"))[1] == before[1] + timedelta(days=1)


async def test_nobody_is_nudged_on_a_holiday_nor_on_their_leave(app: App, clock: FixedClock) -> None:
    await say(app, "local:sam", "log Invoice total wrong severity=critical")  # Billing: Dana, due Mon 10:00
    await say(app, "local:sam", "log Setup wizard crashes severity=critical")  # Onboarding: Lee
    app.org = app.org.model_copy(update={"holidays": [TUESDAY]})
    clock.set(datetime(2026, 11, 24, 11, tzinfo=UTC))  # the holiday
    await sweep(app)
    assert await sent(app) == []
    people = [p.model_copy(update={"holidays": [date(2026, 11, 25)]}) if p.id == "local:dana" else p
              for p in app.org.people]
    app.org = app.org.model_copy(update={"people": people})
    clock.set(datetime(2026, 11, 25, 11, tzinfo=UTC))  # Dana's leave
    await sweep(app)
    assert [n.recipient for n in await sent(app)] == ["local:lee"]
