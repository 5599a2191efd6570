"""knowledge/timeparse.py: repeating meeting rules, computed in Asia/Shanghai wall time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge.timeparse import Recurrence, TimeParseError, parse_recurrence

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SH)  # a Friday


def _d(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.mark.parametrize(
    ("text", "described", "first_four"),
    [
        (
            "每天 9:00",
            "每天 09:00",
            [
                _d(2026, 11, 28, 9),
                _d(2026, 11, 29, 9),
                _d(2026, 11, 30, 9),
                _d(2026, 12, 1, 9),
            ],
        ),
        (
            "每日上午八点半",
            "每天 08:30",
            [
                _d(2026, 11, 28, 8, 30),
                _d(2026, 11, 29, 8, 30),
                _d(2026, 11, 30, 8, 30),
                _d(2026, 12, 1, 8, 30),
            ],
        ),
        (
            "每周一 9:00",
            "每周一 09:00",
            [
                _d(2026, 11, 30, 9),
                _d(2026, 12, 7, 9),
                _d(2026, 12, 14, 9),
                _d(2026, 12, 21, 9),
            ],
        ),
        (
            "每星期五 下午3点",
            "每周五 15:00",
            [
                _d(2026, 11, 27, 15),
                _d(2026, 12, 4, 15),
                _d(2026, 12, 11, 15),
                _d(2026, 12, 18, 15),
            ],
        ),
        (
            "每周一三五 9:00",
            "每周一、三、五 09:00",
            [
                _d(2026, 11, 30, 9),
                _d(2026, 12, 2, 9),
                _d(2026, 12, 4, 9),
                _d(2026, 12, 7, 9),
            ],
        ),
        (
            "每周一、三、五 上午9点",
            "每周一、三、五 09:00",
            [
                _d(2026, 11, 30, 9),
                _d(2026, 12, 2, 9),
                _d(2026, 12, 4, 9),
                _d(2026, 12, 7, 9),
            ],
        ),
        (
            "每周二和周四 14:00",
            "每周二、四 14:00",
            [
                _d(2026, 12, 1, 14),
                _d(2026, 12, 3, 14),
                _d(2026, 12, 8, 14),
                _d(2026, 12, 10, 14),
            ],
        ),
        (
            "每周日 10:00",
            "每周日 10:00",
            [
                _d(2026, 11, 29, 10),
                _d(2026, 12, 6, 10),
                _d(2026, 12, 13, 10),
                _d(2026, 12, 20, 10),
            ],
        ),
        (
            "每月1日 9:00",
            "每月1日 09:00",
            [
                _d(2026, 12, 1, 9),
                _d(2027, 1, 1, 9),
                _d(2027, 2, 1, 9),
                _d(2027, 3, 1, 9),
            ],
        ),
        (
            "每月15号 9:00",
            "每月15日 09:00",
            [
                _d(2026, 12, 15, 9),
                _d(2027, 1, 15, 9),
                _d(2027, 2, 15, 9),
                _d(2027, 3, 15, 9),
            ],
        ),
        (
            "每月第一个周一 9:00",
            "每月第一个周一 09:00",
            [
                _d(2026, 12, 7, 9),
                _d(2027, 1, 4, 9),
                _d(2027, 2, 1, 9),
                _d(2027, 3, 1, 9),
            ],
        ),
        (
            "每个月的第三个星期三 9:00",
            "每月第三个周三 09:00",
            [
                _d(2026, 12, 16, 9),
                _d(2027, 1, 20, 9),
                _d(2027, 2, 17, 9),
                _d(2027, 3, 17, 9),
            ],
        ),
        (
            "每月最后一个周五 15:00",
            "每月最后一个周五 15:00",
            [
                _d(2026, 11, 27, 15),
                _d(2026, 12, 25, 15),
                _d(2027, 1, 29, 15),
                _d(2027, 2, 26, 15),
            ],
        ),
        (
            # months without a 31st fall on their last day
            "每月31日 9:00",
            "每月31日 09:00",
            [
                _d(2026, 11, 30, 9),
                _d(2026, 12, 31, 9),
                _d(2027, 1, 31, 9),
                _d(2027, 2, 28, 9),
            ],
        ),
        (
            "每月最后一天 17:00",
            "每月最后一天 17:00",
            [
                _d(2026, 11, 30, 17),
                _d(2026, 12, 31, 17),
                _d(2027, 1, 31, 17),
                _d(2027, 2, 28, 17),
            ],
        ),
        (
            # said on a Friday: the series starts next Wednesday, then every other week
            "每两周周三 10:00",
            "每两周周三 10:00",
            [
                _d(2026, 12, 2, 10),
                _d(2026, 12, 16, 10),
                _d(2026, 12, 30, 10),
                _d(2027, 1, 13, 10),
            ],
        ),
        (
            "每隔一周周三 10:00",
            "每两周周三 10:00",
            [
                _d(2026, 12, 2, 10),
                _d(2026, 12, 16, 10),
                _d(2026, 12, 30, 10),
                _d(2027, 1, 13, 10),
            ],
        ),
        (
            "每两个月15号 9:00",
            "每两个月15日 09:00",
            [
                _d(2026, 12, 15, 9),
                _d(2027, 2, 15, 9),
                _d(2027, 4, 15, 9),
                _d(2027, 6, 15, 9),
            ],
        ),
        (
            "每周一 ９：００",
            "每周一 09:00",
            [
                _d(2026, 11, 30, 9),
                _d(2026, 12, 7, 9),
                _d(2026, 12, 14, 9),
                _d(2026, 12, 21, 9),
            ],
        ),
    ],
)
def test_rules(text: str, described: str, first_four: list[datetime]) -> None:
    rule = parse_recurrence(text, now=NOW)
    assert rule.describe() == described
    assert rule.occurrences(NOW, 4) == first_four
    assert rule.next_after(NOW) == first_four[0]
    assert all(dt.utcoffset() is not None for dt in first_four)


@pytest.mark.parametrize(
    "text",
    [
        "每天 9:00",
        "每周一三五 9:00",
        "每月31日 9:00",
        "每月第二个周四 9:00",
        "每月最后一个周五 15:00",
        "每月最后一天 17:00",
    ],
)
def test_describe_reads_back(text: str) -> None:
    rule = parse_recurrence(text)
    assert parse_recurrence(rule.describe()) == rule


def test_31st_through_a_leap_year() -> None:
    rule = parse_recurrence("每月31日 9:00")
    months = rule.occurrences(_d(2027, 12, 1, 0), 14)
    assert [dt.date() for dt in months] == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),  # leap year
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
        date(2028, 7, 31),
        date(2028, 8, 31),
        date(2028, 9, 30),
        date(2028, 10, 31),
        date(2028, 11, 30),
        date(2028, 12, 31),
        date(2029, 1, 31),
    ]


@pytest.mark.parametrize(
    ("day", "february"), [(29, date(2027, 2, 28)), (30, date(2027, 2, 28))]
)
def test_29th_and_30th_in_february(day: int, february: date) -> None:
    rule = parse_recurrence(f"每月{day}日 9:00")
    assert rule.next_after(_d(2027, 2, 1, 0)).date() == february
    assert rule.next_after(_d(2028, 2, 1, 0)).date() == date(2028, 2, 29)


def test_year_end() -> None:
    assert parse_recurrence("每天 9:00").next_after(_d(2026, 12, 31, 9)) == _d(
        2027, 1, 1, 9
    )
    assert parse_recurrence("每月第一个周一 9:00").next_after(_d(2026, 12, 8, 0)) == _d(
        2027, 1, 4, 9
    )
    last_friday = parse_recurrence("每月最后一个周五 15:00")
    assert last_friday.next_after(_d(2026, 12, 25, 15)) == _d(2027, 1, 29, 15)


def test_next_after_is_strict_and_occurrences_inclusive() -> None:
    rule = parse_recurrence("每周一 9:00")
    monday = _d(2026, 11, 30, 9)
    assert rule.next_after(monday) == _d(2026, 12, 7, 9)
    assert rule.occurrences(monday, 1) == [monday]


def test_next_after_accepts_utc_and_answers_in_shanghai() -> None:
    rule = parse_recurrence("每天 9:00")
    # 2026-11-27 01:30 UTC is 09:30 in 泉州: today's 9:00 has passed.
    result = rule.next_after(datetime(2026, 11, 27, 1, 30, tzinfo=UTC))
    assert result == _d(2026, 11, 28, 9)
    assert result.tzinfo == SH


def test_biweekly_keeps_its_phase_from_the_anchor() -> None:
    rule = parse_recurrence("每两周周三 10:00", now=NOW)
    assert rule.anchor == date(2026, 12, 2)
    # asked months later, still on the same fortnight
    later = rule.next_after(_d(2027, 3, 1, 0))
    assert (later.date() - date(2026, 12, 2)).days % 14 == 0
    moved = rule.with_anchor(date(2026, 12, 9))
    assert moved.next_after(NOW) == _d(2026, 12, 9, 10)


def test_fifth_weekday_skips_months_without_one() -> None:
    rule = parse_recurrence("每月第五个周一 9:00")
    dates = [dt.date() for dt in rule.occurrences(_d(2026, 1, 1, 0), 3)]
    assert dates == [date(2026, 3, 30), date(2026, 6, 29), date(2026, 8, 31)]


def test_naive_datetimes_are_a_bug() -> None:
    rule = parse_recurrence("每天 9:00")
    with pytest.raises(ValueError, match="aware"):
        rule.next_after(_naive(2026, 11, 27, 10))


def test_recurrence_is_a_value() -> None:
    rule = parse_recurrence("每周一 9:00")
    assert rule == Recurrence(freq="weekly", hour=9, minute=0, weekdays=(0,))
    assert replace(rule, minute=30).describe() == "每周一 09:30"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "看不懂这个重复规则"),
        ("每周", "看不懂这个重复规则"),
        ("每月", "看不懂这个重复规则"),
        ("每年1月1日 9:00", "看不懂这个重复规则"),
        ("明天 9:00", "看不懂这个重复规则"),
        ("每天", "请写上几点"),
        ("每周一", "请写上几点"),
        ("每天 25:00", "没有 25:00"),
        ("每天 9:61", "没有 9:61"),
        ("每天晚上12点", "没有 24:00"),
        ("每月32日 9:00", "没有 32日"),
        ("每月0日 9:00", "没有 0日"),
        ("每周一 9:00 开会", "看不懂这个重复规则"),
        ("x" * 5000, "看不懂这个重复规则"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        parse_recurrence(text)


def test_examples_in_the_refusal() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_recurrence("有空就开")
    assert "每月第一个周一 9:00" in str(caught.value)


def _naive(*fields: int) -> datetime:
    """A naive datetime, built without tripping the DTZ lint: what a buggy caller passes."""
    return datetime(*fields, tzinfo=UTC).replace(tzinfo=None)
