"""Statistics of the joint-enforcement work: periods, the figures, the short Chinese summary.

Pure data and rules: the same figures feed /stats, the weekly summary and the chart, and they
are easy to check against hand-computed fixtures. Periods are local (Asia/Shanghai) calendar
spans, half-open [start, end), converted to aware datetimes for the queries.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import texts

ITEM_CLASSES: tuple[str, ...] = ("应急管理", "市场监管", "综合执法")
MAX_CUSTOM_DAYS = 366


class PeriodKind(StrEnum):
    WEEK = "w"  # 本周
    LAST_WEEK = "p"  # 上周 (the weekly summary)
    MONTH = "m"  # 本月
    LAST_MONTH = "l"  # 上月
    CUSTOM = "c"  # 自定义


@dataclass(frozen=True)
class Period:
    """Local calendar days [first, last] (both inclusive), as shown to the user."""

    kind: PeriodKind
    first: date
    last: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Aware [start, end) covering the local days."""
        start = datetime.combine(self.first, time(0), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)
        return start, end

    @property
    def label(self) -> str:
        name = texts.STATS_PERIOD_NAMES[self.kind]
        return texts.STATS_PERIOD_LABEL.format(name=name, first=self.first.isoformat(), last=self.last.isoformat())


class PeriodError(ValueError):
    """A custom period that cannot be used; the message is Chinese."""


def period_of(kind: PeriodKind, today: date) -> Period:
    """本周 / 上周 (Monday..Sunday), 本月, 上月 around `today` (a local date)."""
    if kind in (PeriodKind.WEEK, PeriodKind.LAST_WEEK):
        monday = today - timedelta(days=today.weekday() + (7 if kind is PeriodKind.LAST_WEEK else 0))
        return Period(kind, monday, monday + timedelta(days=6))
    first_this = today.replace(day=1)
    next_first = (first_this + timedelta(days=32)).replace(day=1)
    if kind is PeriodKind.MONTH:
        return Period(kind, first_this, next_first - timedelta(days=1))
    if kind is PeriodKind.LAST_MONTH:
        last_prev = first_this - timedelta(days=1)
        return Period(kind, last_prev.replace(day=1), last_prev)
    raise ValueError("custom periods need dates: use custom_period()")


def custom_period(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError(texts.STATS_PERIOD_BACKWARDS)
    if (last - first).days >= MAX_CUSTOM_DAYS:
        raise PeriodError(texts.STATS_PERIOD_TOO_LONG.format(days=MAX_CUSTOM_DAYS))
    return Period(PeriodKind.CUSTOM, first, last)


def parse_day(text: str) -> date:
    """YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD); PeriodError with a Chinese message otherwise."""
    cleaned = text.strip().replace("/", "-")
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2099:  # 9999-12-31 + 1 day overflows the period bounds
        raise PeriodError(texts.STATS_BAD_DATE.format(value=text.strip()[:20]))
    return day


@dataclass(frozen=True)
class StatsScope:
    """What the figures cover: a zone (None = the whole district), a street, an item class."""

    zone: str | None = None
    street: str | None = None
    item_class: str | None = None

    @property
    def label(self) -> str:
        parts = [self.zone or texts.STATS_ALL_DISTRICT]
        if self.street:
            parts.append(self.street)
        if self.item_class:
            parts.append(self.item_class)
        return " · ".join(parts)


@dataclass
class Stats:
    """The figures of one scope and period. Rates are None when nobody was asked."""

    scope: StatsScope
    period: Period
    leads_by_state: dict[str, int] = field(default_factory=dict)
    median_to_accept: timedelta | None = None
    median_to_close: timedelta | None = None
    actions_planned: int = 0
    actions_off_plan: int = 0
    recipients: int = 0
    acknowledged: int = 0
    declined: int = 0
    meetings: int = 0
    invited: int = 0
    attending: int = 0
    decisions_open: int = 0
    decisions_overdue: int = 0
    disputes_open: int = 0
    disputes_overdue: int = 0

    @property
    def leads_total(self) -> int:
        return sum(self.leads_by_state.values())

    @property
    def actions_total(self) -> int:
        return self.actions_planned + self.actions_off_plan

    @property
    def ack_rate(self) -> float | None:
        return self.acknowledged / self.recipients if self.recipients else None

    @property
    def attendance_rate(self) -> float | None:
        return self.attending / self.invited if self.invited else None


def median_duration(durations: list[timedelta]) -> timedelta | None:
    """Median of the durations (None for none): robust against one lead forgotten for weeks."""
    if not durations:
        return None
    seconds = statistics.median(d.total_seconds() for d in durations)
    return timedelta(seconds=round(seconds))


def format_rate(rate: float | None) -> str:
    return texts.STATS_NO_DATA if rate is None else f"{rate * 100:.0f}%"


def format_hours(duration: timedelta | None) -> str:
    """Medians in hours with one decimal: comparable week over week, unlike 「1天3小时」."""
    if duration is None:
        return texts.STATS_NO_DATA
    return texts.STATS_HOURS.format(hours=duration.total_seconds() / 3600)


def summary_text(stats: Stats) -> str:
    """The short text sent with the chart (fits a photo caption: well under 1024 characters)."""
    states = "，".join(f"{state} {n}" for state, n in stats.leads_by_state.items() if n) or texts.STATS_NONE
    return texts.STATS_SUMMARY.format(
        scope=stats.scope.label,
        period=stats.period.label,
        leads=stats.leads_total,
        states=states,
        to_accept=format_hours(stats.median_to_accept),
        to_close=format_hours(stats.median_to_close),
        actions=stats.actions_total,
        planned=stats.actions_planned,
        off_plan=stats.actions_off_plan,
        ack=format_rate(stats.ack_rate),
        acknowledged=stats.acknowledged,
        recipients=stats.recipients,
        attendance=format_rate(stats.attendance_rate),
        attending=stats.attending,
        invited=stats.invited,
        meetings=stats.meetings,
        decisions_overdue=stats.decisions_overdue,
        decisions_open=stats.decisions_open,
        disputes_overdue=stats.disputes_overdue,
        disputes_open=stats.disputes_open,
    )


# ---------------------------------------------------------------- weekly schedule

_WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6,
}


@dataclass(frozen=True)
class WeeklyAt:
    """When the weekly summary goes out: a weekday and a local time."""

    weekday: int
    at: time

    def latest_due(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The most recent scheduled moment at or before `now` (aware, in tz)."""
        local = now.astimezone(tz)
        days_back = (local.weekday() - self.weekday) % 7
        candidate = datetime.combine(local.date() - timedelta(days=days_back), self.at, tzinfo=tz)
        if candidate > local:
            candidate -= timedelta(days=7)
        return candidate


def parse_weekly(text: str) -> WeeklyAt:
    """`mon 08:30` (or `周一 8:30`); ValueError for anything else, so a typo fails at start-up."""
    match = re.fullmatch(r"\s*(\S+?)\s*(\d{1,2}):(\d{2})\s*", text.lower())
    if not match or match.group(1) not in _WEEKDAYS:
        raise ValueError(f"WEEKLY_SUMMARY_CRON must look like 'mon 08:30', got {text!r}")
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"WEEKLY_SUMMARY_CRON has an impossible time: {text!r}")
    return WeeklyAt(_WEEKDAYS[match.group(1)], time(hour, minute))


def week_key(moment: datetime, tz: ZoneInfo) -> str:
    """ISO week of a local moment, e.g. 2026-W48: one weekly summary per key."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"
