"""knowledge/timeparse.py: working days with mainland China holidays and 调休 (2025, 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.timeparse import add_working_days, holiday_years, is_working_day

SH = ZoneInfo("Asia/Shanghai")


def _d(y: int, mo: int, d: int, h: int = 10) -> datetime:
    return datetime(y, mo, d, h, 0, tzinfo=SH)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 27), True),  # an ordinary Friday
        (date(2026, 11, 28), False),  # an ordinary Saturday
        (date(2026, 11, 29), False),  # an ordinary Sunday
        # 2025 (国办发明电〔2024〕12号)
        (date(2025, 1, 1), False),
        (date(2025, 1, 26), True),  # Sunday worked for the Spring Festival
        (date(2025, 1, 28), False),
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday worked
        (date(2025, 4, 4), False),
        (date(2025, 4, 27), True),  # Sunday worked for Labour Day
        (date(2025, 5, 5), False),
        (date(2025, 6, 2), False),
        (date(2025, 9, 28), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        # 2026 (State Council notice of 2025-11-04)
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),  # Sunday worked
        (date(2026, 2, 14), True),  # Saturday worked
        (date(2026, 2, 16), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        (date(2026, 4, 6), False),
        (date(2026, 5, 5), False),
        (date(2026, 5, 9), True),
        (date(2026, 6, 19), False),
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),
        # a year not in the table: weekends only
        (date(2027, 1, 1), True),
        (date(2027, 1, 2), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_table_covers_2025_and_2026() -> None:
    assert holiday_years() == frozenset({2025, 2026})


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (_d(2026, 11, 23), 3, _d(2026, 11, 26)),  # Monday → Thursday
        (_d(2026, 11, 27), 3, _d(2026, 12, 2)),  # Friday → Wednesday
        (_d(2026, 11, 28), 1, _d(2026, 11, 30)),  # Saturday → Monday
        (_d(2026, 11, 29), 3, _d(2026, 12, 2)),  # Sunday → Wednesday
        (_d(2026, 11, 27), 0, _d(2026, 11, 27)),
        (_d(2026, 11, 27), 5, _d(2026, 12, 4)),
        # National Day 2026: 1–7 October off, Saturday 10 October worked
        (_d(2026, 9, 30), 3, _d(2026, 10, 10)),
        (_d(2026, 9, 30), 1, _d(2026, 10, 8)),
        # Sunday 20 September 2026 is worked
        (_d(2026, 9, 18), 1, _d(2026, 9, 20)),
        # Spring Festival 2026: Saturday 14 Feb worked, 15–23 Feb off
        (_d(2026, 2, 13), 1, _d(2026, 2, 14)),
        (_d(2026, 2, 13), 2, _d(2026, 2, 24)),
        (_d(2026, 2, 13), 5, _d(2026, 2, 27)),
        (_d(2026, 2, 13), 6, _d(2026, 2, 28)),  # Saturday worked
        # Spring Festival 2025: 28 Jan – 4 Feb off, Sunday 26 Jan and Saturday 8 Feb worked
        (_d(2025, 1, 24), 1, _d(2025, 1, 26)),
        (_d(2025, 1, 24), 3, _d(2025, 2, 5)),
        # New Year 2026: 1–3 January off, Sunday 4 January worked
        (_d(2025, 12, 31), 1, _d(2026, 1, 4)),
        # across the year end into a year without a table
        (_d(2026, 12, 31), 1, _d(2027, 1, 1)),
        (_d(2026, 12, 31), 2, _d(2027, 1, 4)),
    ],
)
def test_add_working_days(start: datetime, n: int, due: datetime) -> None:
    assert add_working_days(start, n) == due


def test_keeps_wall_clock_time_and_answers_in_shanghai() -> None:
    # Friday 2026-11-27 23:30 in 泉州 is 15:30 UTC.
    start = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    due = add_working_days(start, 3)
    assert due == datetime(2026, 12, 2, 23, 30, tzinfo=SH)
    assert due.utcoffset() == timedelta(hours=8)


def test_refuses_negative_and_naive() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(_d(2026, 11, 27), -1)
    with pytest.raises(ValueError, match="aware"):
        add_working_days(_naive(2026, 11, 27, 10), 3)


def test_long_span_counts_every_working_day_once() -> None:
    start = _d(2025, 12, 31)
    due = add_working_days(start, 250)
    days = (due.date() - start.date()).days
    worked = sum(
        is_working_day(start.date() + timedelta(days=i)) for i in range(1, days + 1)
    )
    assert worked == 250
    assert is_working_day(due.date())


def _naive(*fields: int) -> datetime:
    """A naive datetime, built without tripping the DTZ lint: what a buggy caller passes."""
    return datetime(*fields, tzinfo=UTC).replace(tzinfo=None)
