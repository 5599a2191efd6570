"""Periods, medians, the weekly schedule, the chart PNG, the callback packing and audit splitting."""

from __future__ import annotations

import io
import struct
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from db.models import Role
from handlers.context import Actor
from handlers.reports import View, allowed, audit_messages, keyboard, unpack
from knowledge import charts
from knowledge.export import Sheet, csv_bytes, xlsx_bytes
from knowledge.stats import (
    PeriodError,
    PeriodKind,
    Stats,
    StatsScope,
    custom_period,
    median_duration,
    parse_day,
    parse_weekly,
    period_of,
    summary_text,
    week_key,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_periods_are_local_calendar_spans() -> None:
    assert (period_of(PeriodKind.WEEK, date(2026, 11, 26)).first, period_of(PeriodKind.WEEK, date(2026, 11, 26)).last) == (
        date(2026, 11, 23), date(2026, 11, 29))
    last_month = period_of(PeriodKind.LAST_MONTH, date(2026, 1, 15))
    assert (last_month.first, last_month.last) == (date(2025, 12, 1), date(2025, 12, 31))
    feb = period_of(PeriodKind.MONTH, date(2028, 2, 10))
    assert feb.last == date(2028, 2, 29)
    start, end = custom_period(date(2026, 11, 1), date(2026, 11, 1)).bounds(TZ)
    assert start.isoformat() == "2026-11-01T00:00:00+08:00" and end - start == timedelta(days=1)


def test_bad_custom_periods_say_why_in_chinese() -> None:
    with pytest.raises(PeriodError, match="结束日期早于开始日期"):
        custom_period(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(PeriodError, match="最长"):
        custom_period(date(2020, 1, 1), date(2026, 1, 1))
    with pytest.raises(PeriodError, match="无法识别"):
        parse_day("11月1日")
    assert parse_day("2026/11/01") == parse_day("20261101") == date(2026, 11, 1)
    for absurd in ("9999-12-31", "0001-01-01"):  # /stats 9999-12-01 9999-12-31 answered 系统出错
        with pytest.raises(PeriodError, match="无法识别"):
            parse_day(absurd)


def test_median_is_the_middle_not_the_mean() -> None:
    hours = [timedelta(hours=h) for h in (1, 2, 100)]
    assert median_duration(hours) == timedelta(hours=2)
    assert median_duration(hours + [timedelta(hours=4)]) == timedelta(hours=3)
    assert median_duration([]) is None


def test_weekly_schedule_finds_the_latest_moment() -> None:
    schedule = parse_weekly("mon 08:30")
    monday = datetime(2026, 11, 23, 8, 30, tzinfo=TZ)
    assert schedule.latest_due(monday, TZ) == monday
    assert schedule.latest_due(monday - timedelta(seconds=1), TZ) == monday - timedelta(days=7)
    assert schedule.latest_due(datetime(2026, 11, 26, 3, 0, tzinfo=ZoneInfo("UTC")), TZ) == monday
    assert week_key(monday, TZ) == "2026-W48"
    assert parse_weekly("周五 17:00").weekday == 4
    for bad in ("monday", "mon 25:00", "every day"):
        with pytest.raises(ValueError):
            parse_weekly(bad)


def sample_stats() -> Stats:
    return Stats(
        scope=StatsScope(zone="江南新区", street="浮桥街道"), period=period_of(PeriodKind.WEEK, date(2026, 11, 26)),
        leads_by_state={"待受理": 3, "已受理": 2, "处置中": 1, "已办结": 5, "已移送": 0, "不予立案": 1},
        median_to_accept=timedelta(hours=3, minutes=30), median_to_close=None, actions_planned=4, actions_off_plan=1,
        recipients=20, acknowledged=17, meetings=2, invited=10, attending=8, decisions_open=3, decisions_overdue=1,
        disputes_open=2, disputes_overdue=1,
    )


def test_summary_text_reads_the_figures() -> None:
    text = summary_text(sample_stats())
    assert "江南新区 · 浮桥街道" in text and "本周（2026-11-23 至 2026-11-29）" in text
    assert "案源线索 12 条：待受理 3，已受理 2，处置中 1，已办结 5，不予立案 1" in text
    assert "受理用时中位数 3.5 小时，办结用时中位数 —" in text
    assert "计划内 4，计划外 1" in text and "派发签收率 85%（17/20）" in text and "参会率 80%（8/10）" in text
    assert len(text) < 1024  # a photo caption


def test_chart_is_a_png_of_sensible_size_with_a_cjk_font() -> None:
    png = charts.render_stats_png(sample_stats())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (900, 640)
    assert 20_000 < len(png) < 500_000
    assert charts.cjk_font_family() == "Noto Sans CJK SC"  # from the pinned noto-cjk-sans-otc package


def actor(role: Role, zone: str | None = "江南新区") -> Actor:
    return Actor(telegram_id=1, person_id=1, name="甲", role=role, street=None, zone=zone, department=None)


def test_views_round_trip_and_forged_ones_are_rejected() -> None:
    today = date(2026, 11, 26)
    for view in (View(StatsScope("江南新区", "浮桥街道", "市场监管"), period_of(PeriodKind.MONTH, today)),
                 View(StatsScope(), custom_period(date(2026, 1, 1), date(2026, 3, 31)))):
        assert unpack(view.pack(), today) == view
    for forged in ("", "999w", "15" "0w", "100x", "100c2026.1", "100wextra", "a00w"):
        assert unpack(forged, today) is None
    coordinator = actor(Role.COORDINATOR)
    assert allowed(coordinator, StatsScope("江南新区", "浮桥街道"))
    assert not allowed(coordinator, StatsScope("老城区")) and not allowed(coordinator, StatsScope())
    assert allowed(actor(Role.ADMIN, None), StatsScope())
    assert not allowed(actor(Role.OFFICER), StatsScope("江南新区"))
    markup = keyboard(View(StatsScope("江南新区"), period_of(PeriodKind.WEEK, today)), coordinator, today)
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert "✓本周" in labels and "浮桥" in labels and "老城区" not in labels  # no other zone for a coordinator
    assert all(len(b.callback_data.encode()) <= 64 for row in markup.inline_keyboard for b in row)  # type: ignore[union-attr]


def test_audit_history_is_split_below_4096_without_cutting_an_entry() -> None:
    entries = [SimpleNamespace(at=datetime(2026, 11, 26, 1, 0, tzinfo=ZoneInfo("UTC")) + timedelta(minutes=i), actor_person_id=7,
                               action="lead.file", before={"state": "待受理"}, after={"state": "已受理", "note": "x" * 150})
               for i in range(80)]
    messages = audit_messages("XS-20261126-001", entries, {7: "浮桥队员"}, TZ)
    assert len(messages) > 1 and all(len(m) < 4096 for m in messages)
    assert "XS-20261126-001 全过程记录</b>（80 条）" in messages[0]
    assert "2026-11-26 09:00:00　浮桥队员　上报线索" in messages[0]  # UTC 01:00 shown in Asia/Shanghai
    assert sum(m.count("上报线索") for m in messages) == 80
    assert "state：待受理 → 已受理" in messages[0]


def test_export_writers_quote_formulas_and_keep_chinese() -> None:
    sheet = Sheet("案源线索", ("编号", "描述"), [["XS-1", "=HYPERLINK(\"x\")"], ["XS-2", None]])
    data = csv_bytes(sheet).decode("utf-8-sig")
    assert data.splitlines() == ["编号,描述", "XS-1,\"'=HYPERLINK(\"\"x\"\")\"", "XS-2,"]
    assert xlsx_bytes([sheet])[:2] == b"PK"


def test_export_survives_control_characters_and_quotes_a_tab_before_a_formula() -> None:
    """A control character in one stored name (a roster cell) made openpyxl refuse the whole file."""
    sheet = Sheet("人员", ("姓名", "备注"), [["张\x0b三", "\t=cmd|' /C calc'!A0"], ["李\x00四", "普通备注"]])
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([sheet])))
    rows = [[cell.value for cell in row] for row in workbook["人员"].iter_rows(min_row=2)]
    assert rows == [["张三", "'\t=cmd|' /C calc'!A0"], ["李四", "普通备注"]]
    assert csv_bytes(sheet).decode("utf-8-sig").splitlines()[1].startswith("张三,")
