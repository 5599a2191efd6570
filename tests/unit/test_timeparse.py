"""knowledge/timeparse.py: typed times → aware datetimes in Asia/Shanghai, and display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.timeparse import (
    TimeParseError,
    format_duration_zh,
    format_local,
    parse_when,
)

SH = ZoneInfo("Asia/Shanghai")
# Friday 2026-11-27 10:00 in 泉州.
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SH)


def _at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the forms of interface.md
        ("2026-12-01 09:30", _at(2026, 12, 1, 9, 30)),
        ("12-01 9:30", _at(2026, 12, 1, 9, 30)),
        ("明天 9:30", _at(2026, 11, 28, 9, 30)),
        (
            "周五 14:00",
            _at(2026, 11, 27, 14),
        ),  # today is Friday and 14:00 is still ahead
        # dates
        ("2026/12/1 9:30", _at(2026, 12, 1, 9, 30)),
        ("2026.12.1 9:30", _at(2026, 12, 1, 9, 30)),
        ("2026年12月1日 9:30", _at(2026, 12, 1, 9, 30)),
        ("2026-12-01T09:30", _at(2026, 12, 1, 9, 30)),
        ("12/1 9:30", _at(2026, 12, 1, 9, 30)),
        ("12月1日 9:30", _at(2026, 12, 1, 9, 30)),
        ("12月1号 9:30", _at(2026, 12, 1, 9, 30)),
        ("12月1日上午9点半", _at(2026, 12, 1, 9, 30)),
        ("十二月一日 下午三点", _at(2026, 12, 1, 15)),
        (
            "15号 9:00",
            _at(2026, 12, 15, 9),
        ),  # the 15th of this month is past: next month
        ("27号 11:00", _at(2026, 11, 27, 11)),
        ("31号 9:00", _at(2026, 12, 31, 9)),  # November has no 31st
        # a year-less date already past means next year
        ("1月5日 9:00", _at(2027, 1, 5, 9)),
        ("11-01 9:00", _at(2027, 11, 1, 9)),
        ("2月29日 9:00", _at(2028, 2, 29, 9)),  # the next 29 February
        # relative days
        ("今天 16:00", _at(2026, 11, 27, 16)),
        ("今日 16:00", _at(2026, 11, 27, 16)),
        ("后天 14:00", _at(2026, 11, 29, 14)),
        ("大后天 8:00", _at(2026, 11, 30, 8)),
        ("明天上午9点", _at(2026, 11, 28, 9)),
        ("明天晚上7点", _at(2026, 11, 28, 19)),
        ("今晚8点", _at(2026, 11, 27, 20)),
        ("今晚 8:30", _at(2026, 11, 27, 20, 30)),
        ("明早七点一刻", _at(2026, 11, 28, 7, 15)),
        ("明晚九点三刻", _at(2026, 11, 28, 21, 45)),
        # weekdays
        ("周五 9:00", _at(2026, 12, 4, 9)),  # today's 9:00 is past: next Friday
        ("星期五 下午2点", _at(2026, 11, 27, 14)),
        ("周一 9:00", _at(2026, 11, 30, 9)),
        ("周日 10:00", _at(2026, 11, 29, 10)),
        ("星期天 10:00", _at(2026, 11, 29, 10)),
        ("礼拜天下午两点", _at(2026, 11, 29, 14)),
        ("这周日 10:00", _at(2026, 11, 29, 10)),
        ("本周六 10:00", _at(2026, 11, 28, 10)),
        ("下周一 9:00", _at(2026, 11, 30, 9)),
        ("下周五 9:00", _at(2026, 12, 4, 9)),
        ("下个星期三 15:00", _at(2026, 12, 2, 15)),
        ("下下周一 9:00", _at(2026, 12, 7, 9)),
        ("周1 9:00", _at(2026, 11, 30, 9)),
        # time only: today if ahead, else tomorrow
        ("9:30", _at(2026, 11, 28, 9, 30)),
        ("11:00", _at(2026, 11, 27, 11)),
        ("10:00", _at(2026, 11, 28, 10)),  # exactly now is not ahead
        ("九点", _at(2026, 11, 28, 9)),
        ("十点零五", _at(2026, 11, 27, 10, 5)),
        ("十点十五分", _at(2026, 11, 27, 10, 15)),
        ("下午三点半", _at(2026, 11, 27, 15, 30)),
        ("二十三点", _at(2026, 11, 27, 23)),
        ("中午12点半", _at(2026, 11, 27, 12, 30)),
        ("中午1点", _at(2026, 11, 27, 13)),
        ("下午12点", _at(2026, 11, 27, 12)),
        ("晚上12点", _at(2026, 11, 28, 0)),  # midnight at the end of today
        ("凌晨3点", _at(2026, 11, 28, 3)),
        ("凌晨12点", _at(2026, 11, 28, 0)),
        ("两点", _at(2026, 11, 28, 2)),  # a bare hour is the 24-hour clock
        ("9点钟", _at(2026, 11, 28, 9)),
        ("9点整", _at(2026, 11, 28, 9)),
        ("9时30分", _at(2026, 11, 28, 9, 30)),
        ("9点30", _at(2026, 11, 28, 9, 30)),
        ("9:30:15", _at(2026, 11, 28, 9, 30)),
        # full-width digits, colons, spaces; extra spaces
        ("２０２６－１２－０１　０９：３０", _at(2026, 12, 1, 9, 30)),
        ("明天 ９：３０", _at(2026, 11, 28, 9, 30)),
        ("  明天   9 : 30  ", _at(2026, 11, 28, 9, 30)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    result = parse_when(text, now=NOW, tz=SH)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请输入时间"),
        ("   ", "请输入时间"),
        ("明天 25:61", "没有 25:61 这个时刻"),
        ("24:00", "没有 24:00"),
        ("9:60", "没有 9:60"),
        ("上午14点", "没有 14:00"),
        ("中午5点", "没有 5:00"),
        ("2月30日 9:00", "没有 2月30日 这一天"),
        ("13月1日 9:00", "没有 13月1日"),
        ("2026-04-31 9:00", "没有 4月31日"),
        ("32号 9:00", "没有 32日"),
        ("明天", "请写上几点"),
        ("12月1日", "请写上几点"),
        ("下周一", "请写上几点"),
        ("今天 9:00", "已经过去了"),
        ("这周一 9:00", "已经过去了"),
        ("2025-01-01 9:00", "已经过去了"),
        ("2028-12-01 9:00", "超过两年以后"),
        ("2099-01-01 9:00", "超过两年以后"),
        ("abc", "看不懂"),
        ("明天 abc", "看不懂"),
        ("9", "看不懂"),
        ("十十点", "看不懂"),
        ("明天 9:30 开会", "看不懂"),
        ("周八 9:00", "看不懂"),
        ("x" * 5000, "看不懂"),
        ("明天" * 2500, "看不懂"),
        ("\x00", "看不懂"),
        ("🙂", "看不懂"),
    ],
)
def test_refusals_are_chinese_and_say_why(text: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        parse_when(text, now=NOW, tz=SH)


def test_not_understood_gives_examples() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_when("下个月吧", now=NOW, tz=SH)
    assert "例如" in str(caught.value)
    assert "明天 9:30" in str(caught.value)


def test_past_allowed_on_request() -> None:
    assert parse_when("今天 9:00", now=NOW, tz=SH, allow_past=True) == _at(
        2026, 11, 27, 9
    )
    assert parse_when("9:00", now=NOW, tz=SH, allow_past=True) == _at(2026, 11, 27, 9)
    # a year-less date then means the nearest one, not next year
    assert parse_when("11-20 9:00", now=NOW, tz=SH, allow_past=True) == _at(
        2026, 11, 20, 9
    )
    jan_2 = datetime(2027, 1, 2, 10, tzinfo=SH)
    assert parse_when("12-30 9:00", now=jan_2, tz=SH, allow_past=True) == _at(
        2026, 12, 30, 9
    )


def test_within_the_minute_of_grace_is_not_past() -> None:
    now = _at(2026, 11, 27, 9, 30) + timedelta(seconds=30)
    assert parse_when("今天 9:30", now=now, tz=SH) == _at(2026, 11, 27, 9, 30)


def test_now_in_utc_is_read_in_shanghai() -> None:
    # 2026-11-27 17:00 UTC is already Saturday 01:00 in 泉州: 明天 is Sunday.
    now = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert parse_when("明天 9:30", now=now, tz=SH) == _at(2026, 11, 29, 9, 30)


def test_default_timezone_is_shanghai() -> None:
    assert parse_when("明天 9:30", now=NOW).tzinfo == SH


def test_other_timezone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    result = parse_when("明天 9:30", now=NOW, tz=tokyo)
    assert result == datetime(2026, 11, 28, 9, 30, tzinfo=tokyo)


def test_naive_now_is_a_bug() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("明天 9:30", now=_naive(2026, 11, 27, 10, 0))


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # year end: 明天 on 31 December, 1月1日 in late December
        (_at(2026, 12, 31, 20), "明天 9:00", _at(2027, 1, 1, 9)),
        (_at(2026, 12, 31, 20), "1月1日 9:00", _at(2027, 1, 1, 9)),
        (_at(2026, 12, 31, 20), "12-31 21:00", _at(2026, 12, 31, 21)),
        # Sunday: 下周一 is tomorrow (next calendar week), 周一 too
        (_at(2026, 11, 29, 10), "下周一 9:00", _at(2026, 11, 30, 9)),
        (_at(2026, 11, 29, 10), "周一 9:00", _at(2026, 11, 30, 9)),
        # Monday: 下周一 is a week later, 周一 later today
        (_at(2026, 11, 30, 8), "下周一 9:00", _at(2026, 12, 7, 9)),
        (_at(2026, 11, 30, 8), "周一 9:00", _at(2026, 11, 30, 9)),
        # month end
        (_at(2026, 1, 31, 10), "明天 9:00", _at(2026, 2, 1, 9)),
        (_at(2028, 2, 28, 10), "明天 9:00", _at(2028, 2, 29, 9)),
        (_at(2026, 1, 31, 10), "30号 9:00", _at(2026, 3, 30, 9)),
    ],
)
def test_calendar_edges(now: datetime, text: str, expected: datetime) -> None:
    assert parse_when(text, now=now, tz=SH) == expected


# ------------------------------------------------------------------ display


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (_at(2026, 12, 1, 9, 30), "2026-12-01 09:30（周二）"),
        (_at(2026, 11, 29, 0, 0), "2026-11-29 00:00（周日）"),
        (datetime(2026, 12, 1, 1, 30, tzinfo=UTC), "2026-12-01 09:30（周二）"),
        (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "2026-12-01 00:30（周二）"),
    ],
)
def test_format_local(moment: datetime, shown: str) -> None:
    assert format_local(moment, SH) == shown


def test_format_local_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_local(_naive(2026, 12, 1, 9, 30))


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(0), "不到1分钟"),
        (timedelta(seconds=59), "不到1分钟"),
        (timedelta(minutes=1), "1分钟"),
        (timedelta(minutes=45), "45分钟"),
        (timedelta(minutes=45, seconds=59), "45分钟"),
        (timedelta(hours=1), "1小时"),
        (timedelta(hours=2, minutes=5), "2小时5分钟"),
        (timedelta(days=1), "1天"),
        (timedelta(days=1, hours=3), "1天3小时"),
        (timedelta(days=1, hours=3, minutes=59), "1天3小时"),
        (timedelta(days=1, minutes=5), "1天"),
        (timedelta(days=400), "400天"),
        (-timedelta(hours=2), "2小时"),
    ],
)
def test_format_duration_zh(duration: timedelta, shown: str) -> None:
    assert format_duration_zh(duration) == shown


def _naive(*fields: int) -> datetime:
    """A naive datetime, built without tripping the DTZ lint: what a buggy caller passes."""
    return datetime(*fields, tzinfo=UTC).replace(tzinfo=None)
