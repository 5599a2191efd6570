"""Stopgap for knowledge.timeparse until feat/domain lands on main (then this file is deleted).

Only what meetings need: parse_when for the interface forms and parse_recurrence for
每天 / 每周X / 每月第N个周X / 每月N日 (+ HH:MM), computed in the local time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0, "2": 1, "3": 2,
             "4": 3, "5": 4, "6": 5, "7": 6}
_NUMS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


class TimeParseError(ValueError):
    """A Chinese message the user can act on."""


def _clock(text: str) -> time:
    match = re.search(r"(\d{1,2})[:：点](\d{2})?", text)
    if not match:
        raise TimeParseError("请写明时间，如 9:30。")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise TimeParseError("时间不存在，请检查小时和分钟。")
    return time(hour, minute)


def parse_when(text: str, now: datetime | None = None, tz: tzinfo = SHANGHAI) -> datetime:
    """`2026-12-01 09:30`, `12-01 9:30`, `明天 9:30`, `周五 14:00` -> aware datetime in tz."""
    now = (now or datetime.now(tz)).astimezone(tz)
    text = text.strip()
    full = re.match(r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?\s*(.+)$", text)
    short = re.match(r"^(\d{1,2})[-/月](\d{1,2})日?\s*(.+)$", text)
    rel = re.match(r"^(今天|明天|后天)\s*(.+)$", text)
    week = re.match(r"^(下)?(?:周|星期)([一二三四五六日天])\s*(.+)$", text)
    try:
        if full:
            day = date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
            clock = _clock(full.group(4))
        elif short:
            day = date(now.year, int(short.group(1)), int(short.group(2)))
            clock = _clock(short.group(3))
            if datetime.combine(day, clock, tz) < now:
                day = day.replace(year=now.year + 1)
        elif rel:
            day = now.date() + timedelta(days={"今天": 0, "明天": 1, "后天": 2}[rel.group(1)])
            clock = _clock(rel.group(2))
        elif week:
            ahead = (_WEEKDAYS[week.group(2)] - now.weekday()) % 7
            day = now.date() + timedelta(days=ahead + (7 if week.group(1) else 0))
            clock = _clock(week.group(3))
            if datetime.combine(day, clock, tz) <= now:
                day += timedelta(days=7)
        else:
            raise TimeParseError("无法识别时间，请写成 2026-12-01 09:30、12-01 9:30、明天 9:30 或 周五 14:00。")
    except ValueError as exc:
        if isinstance(exc, TimeParseError):
            raise
        raise TimeParseError("日期不存在，请检查月和日。") from exc
    return datetime.combine(day, clock, tz)


@dataclass(frozen=True)
class Recurrence:
    """A repeating local time: daily, weekly on a weekday, monthly on the Nth weekday or a day."""

    freq: str  # daily / weekly / monthly_nth / monthly_day
    at: time
    weekday: int | None = None
    nth: int | None = None  # 1..4, -1 = last
    day: int | None = None
    tz: tzinfo = SHANGHAI

    def _on(self, month_start: date) -> date | None:
        if self.freq == "monthly_day":
            assert self.day is not None
            try:
                return month_start.replace(day=self.day)
            except ValueError:
                return None  # e.g. 31st in a 30-day month: skip that month
        assert self.weekday is not None and self.nth is not None
        if self.nth > 0:
            first = month_start + timedelta(days=(self.weekday - month_start.weekday()) % 7)
            return first + timedelta(weeks=self.nth - 1) if (first + timedelta(weeks=self.nth - 1)).month == month_start.month else None
        nxt = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    def next_after(self, dt: datetime) -> datetime:
        local = dt.astimezone(self.tz)
        if self.freq in ("daily", "weekly"):
            day = local.date()
            for _ in range(8):
                candidate = datetime.combine(day, self.at, self.tz)
                if candidate > local and (self.freq == "daily" or day.weekday() == self.weekday):
                    return candidate
                day += timedelta(days=1)
        month = local.date().replace(day=1)
        for _ in range(24):
            day = self._on(month)
            if day is not None and datetime.combine(day, self.at, self.tz) > local:
                return datetime.combine(day, self.at, self.tz)
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        raise TimeParseError("找不到下一次时间。")

    def occurrences(self, start: datetime, n: int) -> list[datetime]:
        found: list[datetime] = []
        at = start - timedelta(seconds=1)
        for _ in range(n):
            at = self.next_after(at)
            found.append(at)
        return found


def parse_recurrence(text: str, tz: tzinfo = SHANGHAI) -> Recurrence:
    """每天 8:30 / 每周一 9:00 / 每月第一个周一 9:00 / 每月最后一个周五 16:00 / 每月15日 9:00."""
    text = text.strip().replace("星期", "周")
    if match := re.match(r"^每天\s*(.+)$", text):
        return Recurrence("daily", _clock(match.group(1)), tz=tz)
    if match := re.match(r"^每周([一二三四五六日天1-7])\s*(.+)$", text):
        return Recurrence("weekly", _clock(match.group(2)), weekday=_WEEKDAYS[match.group(1)], tz=tz)
    if match := re.match(r"^每月(?:第([一二三四1-4])个|(最后一个))周([一二三四五六日天])\s*(.+)$", text):
        nth = -1 if match.group(2) else _NUMS[match.group(1)]
        return Recurrence("monthly_nth", _clock(match.group(4)), weekday=_WEEKDAYS[match.group(3)], nth=nth, tz=tz)
    if match := re.match(r"^每月(\d{1,2})[日号]\s*(.+)$", text):
        day = int(match.group(1))
        if not 1 <= day <= 31:
            raise TimeParseError("每月的日期应在 1 到 31 之间。")
        return Recurrence("monthly_day", _clock(match.group(2)), day=day, tz=tz)
    raise TimeParseError("无法识别重复规则，请写成 每周一 9:00、每月第一个周一 9:00 或 每天 8:30。")


def format_local(dt: datetime, tz: tzinfo = SHANGHAI) -> str:
    local = dt.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M") + " 周" + "一二三四五六日"[local.weekday()]
