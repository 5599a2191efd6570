"""Times as officers type them, repeating meeting rules, working days, and times for display.

Everything is computed in local wall time (BOT_TIMEZONE, Asia/Shanghai by default) and
returned timezone-aware; callers store UTC. Nothing here reads the clock: `now` is passed
in, so tests and the database clock agree on what "明天" means.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MO, MONTHLY, WEEKLY, rrule, weekday

import texts
from knowledge.gazetteer import DATA_DIR

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
MAX_AHEAD = relativedelta(years=2)
PAST_GRACE = timedelta(minutes=1)
MAX_INPUT = 100  # characters; a time is short, anything longer is not one

HOLIDAYS_FILE = DATA_DIR / "cn_holidays.csv"


class TimeParseError(ValueError):
    """Typed time or rule not understood or not acceptable; str(error) is Chinese for the user."""


# ------------------------------------------------------------------ numbers and clock

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_WEEKDAY_CHARS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
}
_WEEKDAY_CHARS |= {str(n): n - 1 for n in range(1, 8)}

_MORNING = ("凌晨", "清晨", "早上", "早晨", "上午", "早")
_EVENING = ("午后", "下午", "傍晚", "晚上", "夜里", "夜间", "晚间", "晚")
_PERIOD = "|".join(sorted((*_MORNING, *_EVENING, "中午"), key=len, reverse=True))
_CLOCK = re.compile(
    rf"(?:(?P<period>{_PERIOD})\s*)?(?P<h>{_NUM})\s*"
    rf"(?::\s*(?P<m>\d{{1,2}})(?::\d{{1,2}})?"
    rf"|[点时]\s*(?:(?P<half>半)|(?P<quarter>[一三])刻|(?P<cm>{_NUM})\s*分?|整|钟)?)"
)


def _cn_int(token: str) -> int:
    """'9' / '09' / '九' / '十' / '十五' / '二十三' / '零五' → int."""
    if token.isdigit():
        return int(token)
    try:
        if "十" not in token:
            value = 0
            for char in token:
                value = value * 10 + _CN_DIGITS[char]
            return value
        tens, _, ones = token.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (
            _CN_DIGITS[ones] if ones else 0
        )
    except KeyError:  # 十十, 二十十: not a number
        raise _not_understood(token) from None


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int
    minute: int
    extra_days: int = 0  # 晚上12点 is midnight at the end of the day


def _apply_period(hour: int, minute: int, period: str | None, shown: str) -> _Clock:
    """12-hour words to a 24-hour clock; impossible combinations raise TimeParseError."""
    bad = TimeParseError(texts.TIME_BAD_CLOCK.format(value=shown))
    if minute > 59 or hour > 24 or (hour == 24 and (minute or period is None)):
        raise bad
    if period is None:
        if hour == 24:
            raise bad
        return _Clock(hour, minute)
    if period in _MORNING:
        if hour > 12:
            raise bad
        return _Clock(0 if (hour == 12 and period == "凌晨") else hour, minute)
    if period == "中午":
        if hour in (11, 12):
            return _Clock(hour, minute)
        if 1 <= hour <= 2:
            return _Clock(hour + 12, minute)
        raise bad
    # evening words
    if hour < 12:
        return _Clock(hour + 12, minute)
    if hour == 12:
        return (
            _Clock(12, minute) if period in ("午后", "下午") else _Clock(0, minute, 1)
        )
    if hour == 24:
        return _Clock(0, 0, 1)
    return _Clock(hour, minute)


def _parse_clock(text: str, implied_period: str | None) -> _Clock | None:
    """The whole of `text` as a time of day; None when empty; TimeParseError otherwise."""
    text = text.strip(" ,，")
    if not text:
        return None
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise _not_understood(text)
    hour = _cn_int(match["h"])
    if match["m"] is not None:
        minute = int(match["m"])
    elif match["half"]:
        minute = 30
    elif match["quarter"]:
        minute = 15 if match["quarter"] == "一" else 45
    elif match["cm"]:
        minute = _cn_int(match["cm"])
    else:
        minute = 0
    return _apply_period(
        hour, minute, match["period"] or implied_period, f"{hour}:{minute:02d}"
    )


def _normalise(text: str) -> str:
    """Full-width digits and colons to ASCII, one space between words, lower case."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = text.replace("點", "点").replace("礼拜", "星期").replace("：", ":")
    text = re.sub(r"(?<=\d)t(?=\d)", " ", text)  # ISO 2026-12-01T09:30
    return re.sub(r"\s+", " ", text)


def _not_understood(text: str) -> TimeParseError:
    shown = text if len(text) <= 30 else text[:30] + "…"
    return TimeParseError(texts.TIME_NOT_UNDERSTOOD.format(text=shown))


# ------------------------------------------------------------------ parse_when

_YMD = re.compile(
    rf"(?P<y>\d{{4}})\s*[-/.年]\s*(?P<m>{_NUM})\s*[-/.月]\s*(?P<d>{_NUM})\s*[日号]?"
)
_MD = re.compile(
    rf"(?P<m>\d{{1,2}})\s*[-/]\s*(?P<d>\d{{1,2}})(?!\d)|(?P<cm>{_NUM})\s*月\s*(?P<cd>{_NUM})\s*[日号]?"
)
_RELATIVE = {
    "大后天": (3, None),
    "后天": (2, None),
    "明天": (1, None),
    "明日": (1, None),
    "明早": (1, "早上"),
    "明晨": (1, "早上"),
    "明晚": (1, "晚上"),
    "今天": (0, None),
    "今日": (0, None),
    "今早": (0, "早上"),
    "今晚": (0, "晚上"),
}
_REL = re.compile("|".join(sorted(_RELATIVE, key=len, reverse=True)))
_WEEKDAY = re.compile(
    r"(?P<prefix>下下个?|下个?|这个?|本)?\s*(?:周|星期)(?P<wd>[一二三四五六日天1-7])"
)
_DAY_ONLY = re.compile(rf"(?P<d>{_NUM})\s*[日号]")


def _date_or_error(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeParseError(
            texts.TIME_BAD_DATE.format(value=f"{month}月{day}日")
        ) from None


def _at(day: date, clock: _Clock, tz: ZoneInfo) -> datetime:
    local = datetime(day.year, day.month, day.day, clock.hour, clock.minute, tzinfo=tz)
    return local + timedelta(days=clock.extra_days) if clock.extra_days else local


def _year_less(
    month: int, day: int, clock: _Clock, now: datetime, tz: ZoneInfo, allow_past: bool
) -> datetime:
    """A date without a year: the next one from today; with allow_past, the nearest one."""
    candidates = []
    for year in (now.year - 1, now.year, now.year + 1, now.year + 2):
        try:
            candidates.append(_at(date(year, month, day), clock, tz))
        except ValueError:
            continue
    if not candidates:
        raise TimeParseError(texts.TIME_BAD_DATE.format(value=f"{month}月{day}日"))
    if allow_past:
        return min(candidates, key=lambda dt: abs(dt - now))
    upcoming = [dt for dt in candidates if dt.date() >= now.date()]
    return upcoming[0] if upcoming else candidates[-1]


def _day_of_month(
    day: int, clock: _Clock, now: datetime, tz: ZoneInfo, allow_past: bool
) -> datetime:
    """'15号 9:30': this month, or the next month that has that day and is not past."""
    if not 1 <= day <= 31:
        raise TimeParseError(texts.TIME_BAD_DATE.format(value=f"{day}日"))
    first = now.date().replace(day=1)
    for ahead in range(13):
        month_start = first + relativedelta(months=ahead)
        try:
            candidate = month_start.replace(day=day)
        except ValueError:
            continue
        if allow_past or candidate >= now.date():
            return _at(candidate, clock, tz)
    raise TimeParseError(
        texts.TIME_BAD_DATE.format(value=f"{day}日")
    )  # pragma: no cover


def _weekday_date(
    prefix: str | None, wd: int, clock: _Clock, now: datetime, tz: ZoneInfo
) -> datetime:
    today = now.date()
    if prefix is None:  # 周五: the next Friday, today if the time is still ahead
        candidate = _at(today + timedelta(days=(wd - today.weekday()) % 7), clock, tz)
        return candidate if candidate > now else candidate + timedelta(days=7)
    monday = today - timedelta(days=today.weekday())
    weeks = 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else 0
    return _at(monday + timedelta(days=7 * weeks + wd), clock, tz)


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo | None = None, allow_past: bool = False
) -> datetime:
    """A typed date and time → aware datetime in `tz` (default Asia/Shanghai).

    Forms: 2026-12-01 09:30, 2026/12/1 9:30, 12-01 9:30, 12月1日上午9点半, 15号 9:00,
    今天/明天/后天 14:00, 今晚8点, 周五 14:00 (next Friday, today if still ahead), 这周五,
    下周一 9:00 (Monday of next calendar week), 9:30 (today if ahead, else tomorrow).
    Bare hours are 24-hour clock ("2点" is 02:00); 上午/下午/晚上 make them 12-hour.
    A year-less date already past means next year (with allow_past: the nearest one).
    Refused: more than two years ahead, or in the past by over a minute unless allow_past.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = tz or DEFAULT_TZ
    now = now.astimezone(tz)
    if not text or not text.strip():
        raise TimeParseError(texts.TIME_EMPTY)
    if len(text) > MAX_INPUT:
        raise _not_understood(text.strip())
    shown = text.strip()
    s = _normalise(text)

    result: datetime
    if match := _YMD.match(s):
        clock = _require_clock(s[match.end() :], None, shown)
        day = _date_or_error(int(match["y"]), _cn_int(match["m"]), _cn_int(match["d"]))
        result = _at(day, clock, tz)
    elif match := _MD.match(s):
        month = _cn_int(match["m"] or match["cm"])
        day_n = _cn_int(match["d"] or match["cd"])
        clock = _require_clock(s[match.end() :], None, shown)
        _date_or_error(
            2024, month, day_n
        )  # 2024 is a leap year: only truly impossible dates fail
        result = _year_less(month, day_n, clock, now, tz, allow_past)
    elif match := _REL.match(s):
        offset, implied = _RELATIVE[match.group()]
        clock = _require_clock(s[match.end() :], implied, shown)
        result = _at(now.date() + timedelta(days=offset), clock, tz)
    elif match := _WEEKDAY.match(s):
        clock = _require_clock(s[match.end() :], None, shown)
        result = _weekday_date(
            match["prefix"], _WEEKDAY_CHARS[match["wd"]], clock, now, tz
        )
    elif (match := _DAY_ONLY.match(s)) and not _CLOCK.fullmatch(s):
        clock = _require_clock(s[match.end() :], None, shown)
        result = _day_of_month(_cn_int(match["d"]), clock, now, tz, allow_past)
    else:
        clock = _parse_clock(s, None)
        if clock is None:  # pragma: no cover - empty text was refused above
            raise TimeParseError(texts.TIME_EMPTY)
        result = _at(now.date(), clock, tz)
        if result <= now and not allow_past:
            result += timedelta(days=1)

    if result > now + MAX_AHEAD:
        raise TimeParseError(texts.TIME_TOO_FAR.format(when=format_local(result, tz)))
    if not allow_past and result < now - PAST_GRACE:
        raise TimeParseError(texts.TIME_IN_PAST.format(when=format_local(result, tz)))
    return result


def _require_clock(rest: str, implied_period: str | None, shown: str) -> _Clock:
    clock = _parse_clock(rest, implied_period)
    if clock is None:
        raise TimeParseError(texts.TIME_MISSING_CLOCK.format(text=shown))
    return clock


# ------------------------------------------------------------------ recurrence

Frequency = Literal["daily", "weekly", "monthly"]
_CN_WEEKDAYS = "一二三四五六日"
_CN_ORDINALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", -1: "最后一"}
_INTERVAL_WORDS = {
    "": 1,
    "一": 1,
    "1": 1,
    "两": 2,
    "二": 2,
    "2": 2,
    "三": 3,
    "3": 3,
    "四": 4,
    "4": 4,
}
_INTERVAL_TEXT = {1: "", 2: "两", 3: "三", 4: "四"}


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A repeating wall-clock time in `tz_name`.

    month_day 29–31 in a month without that day falls on the month's last day (每月31日 →
    30 April, 28/29 February); -1 means the last day of every month. For an interval above 1
    (每两周) the series counts from `anchor` (the first occurrence's date); without one, from
    the date asked about — set it with with_anchor() once the first meeting is fixed.
    """

    freq: Frequency
    hour: int
    minute: int
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # 0 = Monday, for weekly
    month_day: int | None = None  # 1..31 or -1, for monthly by day
    nth_weekday: tuple[int, int] | None = (
        None  # (weekday, 1..5 or -1), for monthly by weekday
    )
    anchor: date | None = None
    tz_name: str = "Asia/Shanghai"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def with_anchor(self, first: date | datetime) -> Recurrence:
        day = first.astimezone(self.tz).date() if isinstance(first, datetime) else first
        return replace(self, anchor=day)

    def _rule(self, reference: datetime) -> rrule:
        start_day = self.anchor if self.anchor is not None else reference.date()
        if (
            self.interval == 1
        ):  # phase does not matter: start near the reference, iterate less
            start_day = reference.date().replace(day=1) - relativedelta(months=1)
        common = {
            "dtstart": datetime.combine(start_day, time()),
            "interval": self.interval,
            "byhour": self.hour,
            "byminute": self.minute,
            "bysecond": 0,
            "wkst": MO,
        }
        if self.freq == "daily":
            return rrule(DAILY, **common)
        if self.freq == "weekly":
            return rrule(WEEKLY, byweekday=self.weekdays, **common)
        if self.nth_weekday is not None:
            day, nth = self.nth_weekday
            return rrule(MONTHLY, byweekday=weekday(day, nth), **common)
        if self.month_day is None:
            raise ValueError("monthly recurrence needs month_day or nth_weekday")
        if self.month_day == -1 or self.month_day <= 28:
            return rrule(MONTHLY, bymonthday=self.month_day, **common)
        # 每月31日: the last existing day among 28..31 of each month.
        days = tuple(range(28, self.month_day + 1))
        return rrule(MONTHLY, bymonthday=days, bysetpos=-1, **common)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (aware, in the rule's timezone)."""
        local = self._local(moment)
        found = self._rule(local).after(local, inc=False)
        if found is None:  # pragma: no cover - rules here are unbounded
            raise ValueError("recurrence has no further occurrence")
        return found.replace(tzinfo=self.tz)

    def occurrences(self, start: datetime, count: int) -> list[datetime]:
        """The first `count` occurrences at or after `start`."""
        local = self._local(start)
        return [dt.replace(tzinfo=self.tz) for dt in self._iter_from(local, count)]

    def _iter_from(self, local: datetime, count: int) -> Iterator[datetime]:
        rule = self._rule(local)
        current = rule.after(local, inc=True)
        for _ in range(count):
            if current is None:  # pragma: no cover
                return
            yield current
            current = rule.after(current, inc=False)

    def describe(self) -> str:
        """Canonical Chinese text, e.g. 每周一、三、五 09:00; parse_recurrence reads it back."""
        clock = f"{self.hour:02d}:{self.minute:02d}"
        every = f"每{_INTERVAL_TEXT.get(self.interval, str(self.interval))}"
        if self.freq == "daily":
            return f"{every}天 {clock}"
        if self.freq == "weekly":
            days = "、".join(_CN_WEEKDAYS[d] for d in self.weekdays)
            return f"{every}周{'周' if self.interval > 1 else ''}{days} {clock}"
        month = f"{every}个月" if self.interval > 1 else "每月"
        if self.nth_weekday is not None:
            day, nth = self.nth_weekday
            return (
                f"{month}第{_CN_ORDINALS[nth]}个周{_CN_WEEKDAYS[day]} {clock}".replace(
                    "第最后一", "最后一"
                )
            )
        if self.month_day == -1:
            return f"{month}最后一天 {clock}"
        return f"{month}{self.month_day}日 {clock}"


_EVERY = r"每(?:隔(?P<skip>[一1两二])|(?P<n>[一两二三四1-4])?)\s*(?:个)?"
_REC_DAILY = re.compile(rf"{_EVERY}(?:天|日)")
_REC_WEEKLY = re.compile(
    rf"{_EVERY}(?:周|星期)(?P<days>[一二三四五六日天、,，和及与/周星期]*[一二三四五六日天])"
)
_REC_MONTH = re.compile(rf"{_EVERY}月\s*的?\s*")
_REC_NTH = re.compile(
    r"(?:第(?P<nth>[一二三四五1-5])个?|(?P<last>最后一个|最后1个|最后|倒数第一个))\s*(?:周|星期)(?P<wd>[一二三四五六日天])"
)
_REC_LAST_DAY = re.compile(r"最后一天|月末|月底")
_REC_DAY = re.compile(rf"(?P<d>{_NUM})\s*[日号]")


def _interval(match: re.Match[str]) -> int:
    if match["skip"]:
        return _INTERVAL_WORDS[match["skip"]] + 1
    return _INTERVAL_WORDS[match["n"] or ""]


def parse_recurrence(
    text: str, *, tz: ZoneInfo | None = None, now: datetime | None = None
) -> Recurrence:
    """每天 9:00, 每周一三五 9:00, 每两周周三 10:00, 每月1日 9:00, 每月第一个周一 9:00,
    每月最后一个周五 15:00, 每月最后一天 17:00 → Recurrence.

    With `now` given, a rule with an interval above 1 is anchored at its first occurrence
    after now (the next matching day), so the series starts at the next opportunity.
    """
    tz = tz or DEFAULT_TZ
    if not text or not text.strip():
        raise TimeParseError(texts.RECURRENCE_NOT_UNDERSTOOD.format(text=""))
    if len(text) > MAX_INPUT:
        raise TimeParseError(
            texts.RECURRENCE_NOT_UNDERSTOOD.format(text=text.strip()[:30] + "…")
        )
    s = _normalise(text)
    fields: dict[str, object]
    if match := _REC_DAILY.match(s):
        fields = {"freq": "daily"}
        rest = s[match.end() :]
    elif match := _REC_WEEKLY.match(s):
        days = sorted({_WEEKDAY_CHARS[c] for c in match["days"] if c in _WEEKDAY_CHARS})
        fields = {"freq": "weekly", "weekdays": tuple(days)}
        rest = s[match.end() :]
    elif match := _REC_MONTH.match(s):
        after = s[match.end() :]
        if sub := _REC_NTH.match(after):
            nth = -1 if sub["last"] else _cn_int(sub["nth"])
            fields = {
                "freq": "monthly",
                "nth_weekday": (_WEEKDAY_CHARS[sub["wd"]], nth),
            }
        elif sub := _REC_LAST_DAY.match(after):
            fields = {"freq": "monthly", "month_day": -1}
        elif sub := _REC_DAY.match(after):
            day = _cn_int(sub["d"])
            if not 1 <= day <= 31:
                raise TimeParseError(texts.TIME_BAD_DATE.format(value=f"{day}日"))
            fields = {"freq": "monthly", "month_day": day}
        else:
            raise TimeParseError(
                texts.RECURRENCE_NOT_UNDERSTOOD.format(text=text.strip())
            )
        rest = after[sub.end() :]
    else:
        raise TimeParseError(texts.RECURRENCE_NOT_UNDERSTOOD.format(text=text.strip()))

    try:
        clock = _parse_clock(rest, None)
    except TimeParseError as error:
        if str(error).startswith(
            "没有"
        ):  # an impossible clock: say so, not "not understood"
            raise
        raise TimeParseError(
            texts.RECURRENCE_NOT_UNDERSTOOD.format(text=text.strip())
        ) from None
    if clock is None:
        raise TimeParseError(texts.TIME_MISSING_CLOCK.format(text=text.strip()))
    if (
        clock.extra_days
    ):  # 每天晚上12点 is 00:00 of the next day; keep it simple: refuse
        raise TimeParseError(texts.TIME_BAD_CLOCK.format(value="24:00"))
    rule = Recurrence(
        hour=clock.hour,
        minute=clock.minute,
        interval=_interval(match),
        tz_name=tz.key,
        **fields,  # type: ignore[arg-type]
    )
    if now is not None and rule.interval > 1:
        # 每两周周三 said on a Friday starts next Wednesday, not in a fortnight.
        rule = rule.with_anchor(replace(rule, interval=1).next_after(now))
    return rule


# ------------------------------------------------------------------ working days


@cache
def _calendar() -> dict[date, bool]:
    """date → is a working day, for the dates the State Council notices change."""
    with HOLIDAYS_FILE.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return {
        date.fromisoformat(row["date"]): row["kind"].strip() == "workday"
        for row in csv.DictReader(lines)
    }


def holiday_years() -> frozenset[int]:
    """Years whose holidays are in the table; other years count weekends only."""
    return frozenset(day.year for day in _calendar())


def is_working_day(day: date) -> bool:
    """Mon–Fri, except public holidays; plus the weekend days worked in lieu (调休)."""
    special = _calendar().get(day)
    return special if special is not None else day.weekday() < 5


def add_working_days(
    start: datetime, n: int, *, tz: ZoneInfo | None = None
) -> datetime:
    """The same wall-clock time on the n-th working day after start's date (n ≥ 0).

    A dispute raised on Friday 10:00 with 3 working days is due Wednesday 10:00.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if n < 0:
        raise ValueError("n must not be negative")
    local = start.astimezone(tz or DEFAULT_TZ)
    day = local.date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


# ------------------------------------------------------------------ display


def format_local(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """2026-12-01 09:30（周二）"""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    local = moment.astimezone(tz or DEFAULT_TZ)
    return f"{local:%Y-%m-%d %H:%M}（{texts.WEEKDAY_SHORT[local.weekday()]}）"


def format_duration_zh(duration: timedelta) -> str:
    """1天3小时 / 2小时5分钟 / 45分钟 / 不到1分钟: the two largest units, sign ignored."""
    minutes = int(abs(duration).total_seconds() // 60)
    if minutes == 0:
        return texts.DURATION_UNDER_A_MINUTE
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [texts.DURATION_DAYS.format(n=days)]
        if hours:
            parts.append(texts.DURATION_HOURS.format(n=hours))
    elif hours:
        parts = [texts.DURATION_HOURS.format(n=hours)]
        if minutes:
            parts.append(texts.DURATION_MINUTES.format(n=minutes))
    else:
        parts = [texts.DURATION_MINUTES.format(n=minutes)]
    return "".join(parts)
