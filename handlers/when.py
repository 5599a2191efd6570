"""Reading typed times for the dispatch wizard.

Uses knowledge.timeparse.parse_when once feat/domain lands on main; until then a small reader of
the forms in interface.md (`2026-12-01 09:30`, `12-01 9:30`, `明天 9:30`, `周五 14:00`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

try:  # pragma: no cover - depends on which branches are merged
    from knowledge.timeparse import TimeParseError, parse_when
except ImportError:  # pragma: no cover
    _DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
    _WEEK = "一二三四五六日天"
    _HM = r"(\d{1,2})[:：点](\d{2})?"

    class TimeParseError(ValueError):  # type: ignore[no-redef]
        """The typed time cannot be read; the message is shown to the user."""

    def parse_when(text: str, now: datetime | None = None, tz: ZoneInfo | None = None) -> datetime:  # type: ignore[misc]
        tz = tz or ZoneInfo("Asia/Shanghai")
        local_now = (now or datetime.now(tz)).astimezone(tz)
        t = re.sub(r"\s+", " ", text.strip())
        try:
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2}) " + _HM, t):
                y, mo, d, h, mi = m.groups()
                return datetime(int(y), int(mo), int(d), int(h), int(mi or 0), tzinfo=tz)
            if m := re.fullmatch(r"(\d{1,2})-(\d{1,2}) " + _HM, t):
                mo, d, h, mi = m.groups()
                result = datetime(local_now.year, int(mo), int(d), int(h), int(mi or 0), tzinfo=tz)
                return result if result > local_now else result.replace(year=local_now.year + 1)
            if m := re.fullmatch(r"(今天|今日|明天|明日|后天) ?" + _HM, t):
                word, h, mi = m.groups()
                day = local_now.date() + timedelta(days=_DAYS[word])
                return datetime(day.year, day.month, day.day, int(h), int(mi or 0), tzinfo=tz)
            if m := re.fullmatch(r"(?:周|星期)([一二三四五六日天]) ?" + _HM, t):
                wd, h, mi = m.groups()
                target = min(_WEEK.index(wd), 6)
                ahead = (target - local_now.weekday()) % 7
                day = local_now.date() + timedelta(days=ahead)
                result = datetime(day.year, day.month, day.day, int(h), int(mi or 0), tzinfo=tz)
                return result if result > local_now else result + timedelta(days=7)
        except ValueError:
            pass
        raise TimeParseError("无法识别的时间，请写成：明天 9:30、周五 14:00、12-01 9:30 或 2026-12-01 09:30")

__all__ = ["TimeParseError", "parse_when"]
