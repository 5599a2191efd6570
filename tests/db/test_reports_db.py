"""Statistics, export, audit trail and weekly summaries against a hand-built week (both backends).

The seeded week is 2026-11-02 (Mon) .. 2026-11-08 (Sun), Asia/Shanghai; `NOW` is the next Monday
noon. Every expected number below was worked out by hand from the seed, see the comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

import admin_commands
from config import Settings
from db import audit, reports
from db.actions import ActionRecipient, ActionResult, JointAction, PlanEntry
from db.cases import Lead, LeadDispute, LeadPhoto, LeadStatusChange
from db.engine import Database
from db.meetings import Decision, Meeting, MeetingAttendee
from db.models import OutboxMessage, Person
from jobs import weekly
from knowledge.stats import PeriodKind, StatsScope, custom_period, parse_weekly

TZ = ZoneInfo("Asia/Shanghai")
WEEK = custom_period(date(2026, 11, 2), date(2026, 11, 8))
NOW = datetime(2026, 11, 9, 12, 0, tzinfo=TZ)
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=TZ)  # "not yet due" whenever the suite runs (export uses the real clock)


def local(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Seed:
    people: dict[str, int] = field(default_factory=dict)
    leads: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    meetings: dict[str, int] = field(default_factory=dict)


def seed(db: Database) -> Seed:
    out = Seed()
    with db.session() as s:
        roster = {
            "fq": ("浮桥队员", "officer", "浮桥街道", "江南新区", "FJ-001", 2001),
            "jn": ("江南队员", "officer", "江南街道", "江南新区", "FJ-002", 2002),
            "ky": ("开元队员", "officer", "开元街道", "老城区", "FJ-003", 2003),
            "coord": ("江南协调员", "coordinator", None, "江南新区", "FJ-004", 2004),
            "old_coord": ("老城协调员", "coordinator", None, "老城区", "FJ-005", 2005),
            "legal": ("江南法制", "legal", None, "江南新区", "FJ-006", 2006),
            "admin": ("管理员", "admin", None, "老城区", None, 2007),
        }
        for n, (key, (name, role, street, zone, cert, tg)) in enumerate(roster.items()):
            person = Person(name=name, phone=f"1390000{n:04d}", role=role, street=street, zone=zone,
                            certificate_no=cert, telegram_id=tg)
            s.add(person)
            s.flush()
            out.people[key] = person.id or 0
        p = out.people

        def lead(key: str, number: str, reported: datetime, street: str, zone: str, item_class: str, state: str,
                 changes: list[tuple[str, float]], **kw: object) -> Lead:
            row = Lead(number=number, reporter_id=p["fq"], discovered_at=reported - timedelta(minutes=5),
                       reported_at=reported, lat=24.88, lon=118.60, street=street, zone=zone,
                       description=f"描述{key}", item_code="ZH-01", item_name="占道经营", item_class=item_class,
                       status_at_filing="已赋权", basis="已赋权", enforcing_subject=f"{street}办事处", state=state,
                       assignee_id=p["jn"] if state != "待受理" else None, **kw)  # type: ignore[arg-type]
            s.add(row)
            s.flush()
            s.add(LeadStatusChange(lead_id=row.id or 0, at=reported, to_state="待受理", by_person_id=p["fq"]))
            for to_state, hours in changes:
                s.add(LeadStatusChange(lead_id=row.id or 0, at=reported + timedelta(hours=hours), to_state=to_state,
                                       by_person_id=p["coord"]))
            audit.record(session=s, actor_person_id=p["fq"], actor_telegram_id=2001, action="lead.file",
                         entity_type="lead", entity_id=number, after={"state": "待受理"})
            out.leads[key] = row.id or 0
            return row

        # 江南新区: accept after 2 h, 4 h, 6 h (median 4 h); L1 closed after 26 h.
        l1 = lead("L1", "XS-20261102-001", local(2), "浮桥街道", "江南新区", "综合执法", "已办结",
                  [("已受理", 2), ("处置中", 3), ("已办结", 26)])
        s.add(LeadPhoto(lead_id=l1.id or 0, file_id="f1", file_unique_id="u1", sha256="a" * 64, size=10))
        s.add(LeadPhoto(lead_id=l1.id or 0, file_id="f2", file_unique_id="u2", sha256="b" * 64, size=11))
        lead("L2", "XS-20261103-001", local(3, 10), "江南街道", "江南新区", "市场监管", "已受理", [("已受理", 4)])
        lead("L3", "XS-20261104-001", local(4, 8), "浮桥街道", "江南新区", "综合执法", "处置中",
             [("已受理", 6), ("处置中", 7)])
        l4 = lead("L4", "XS-20261105-001", local(5), "浮桥街道", "江南新区", "市场监管", "待受理", [], disputed=True)
        # 老城区: accepted after 1 h -> district median of (1, 2, 4, 6) = 3 h.
        l5 = lead("L5", "XS-20261103-002", local(3, 11), "开元街道", "老城区", "综合执法", "已受理", [("已受理", 1)])
        # Just outside the week on both sides.
        lead("L6", "XS-20261109-001", local(9, 0, 30), "浮桥街道", "江南新区", "综合执法", "待受理", [])
        lead("L7", "XS-20261101-001", local(1, 23, 59), "浮桥街道", "江南新区", "综合执法", "待受理", [])
        l2_id = out.leads["L2"]

        # Disputes: L4 open and overdue; L2 decided; L5 open, not yet due.
        s.add(LeadDispute(lead_id=l4.id or 0, reason="主体不清", raised_by=p["fq"], raised_at=local(5, 10),
                          deadline=local(6, 18)))
        s.add(LeadDispute(lead_id=l2_id, reason="应由部门执法", raised_by=p["jn"], raised_at=local(3, 12),
                          deadline=local(6, 18), decided_by=p["legal"], decided_at=local(4, 9),
                          decision="department", subject="区市场监督管理局", why="未赋权"))
        s.add(LeadDispute(lead_id=l5.id or 0, reason="跨街道", raised_by=p["ky"], raised_at=local(4, 10),
                          deadline=FAR_FUTURE))

        plan = PlanEntry(item_code="ZH-01", zone="江南新区", frequency="每月一次", lead_department="区城管局",
                         period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
        s.add(plan)
        s.flush()

        def action(key: str, number: str, starts: datetime, zone: str, streets: list[str], answers: list[tuple[str, str]],
                   *, planned: bool, status: str = "active") -> JointAction:
            row = JointAction(number=number, created_by=p["coord"] if zone == "江南新区" else p["old_coord"],
                              created_by_telegram_id=2004, scope_kind="streets", zone=zone, streets=streets,
                              starts_at=starts, place_text=f"{streets[0]}路口", latitude=24.87, longitude=118.61,
                              plan_entry_id=plan.id if planned else None,
                              off_plan_reason=None if planned else "临时任务：群众投诉", lead_department="区城管局",
                              task="整治占道经营", status=status, created_at=starts - timedelta(days=1))
            s.add(row)
            s.flush()
            for person_key, response in answers:
                s.add(ActionRecipient(action_id=row.id or 0, person_id=p[person_key], response=response,
                                      decline_reason="请假" if response == "decline" else None, delivery="sent"))
            out.actions[key] = row.id or 0
            return row

        # 江南新区: A1 planned (ack, ack, decline), A2 off-plan (ack, none) -> 3 of 5 acknowledged.
        a1 = action("A1", "XD-20261103-01", local(3), "江南新区", ["浮桥街道"],
                    [("fq", "ack"), ("jn", "ack"), ("legal", "decline")], planned=True)
        s.add(ActionResult(action_id=a1.id or 0, households_checked=12, problems_found=3, cases_opened=1,
                           notes="劝离 2 处", photo_file_ids=["pf1"], recorded_by=p["coord"], recorded_at=local(3, 12)))
        action("A2", "XD-20261105-01", local(5), "江南新区", ["江南街道"], [("jn", "ack"), ("fq", "none")], planned=False)
        action("A3", "XD-20261106-01", local(6), "江南新区", ["浮桥街道"], [("fq", "ack")], planned=False,
               status="cancelled")
        action("A4", "XD-20261104-01", local(4), "老城区", ["开元街道"], [("ky", "ack")], planned=False)
        action("A5", "XD-20261110-01", local(10), "江南新区", ["浮桥街道"], [("fq", "ack")], planned=True)

        def meeting(key: str, organiser: str, starts: datetime, attendees: list[tuple[str, str]],
                    status: str = "scheduled") -> Meeting:
            row = Meeting(kind="联席会议", title=f"会议{key}", organiser_id=p[organiser], starts_at=starts,
                          place="区城管局三楼", agenda=["XS-20261105-001 主体争议"], status=status)
            s.add(row)
            s.flush()
            for person_key, answer in attendees:
                s.add(MeetingAttendee(meeting_id=row.id or 0, person_id=p[person_key], status=answer,
                                      reason="出差" if answer == "leave" else None))
            out.meetings[key] = row.id or 0
            return row

        # 江南新区 M1: 2 of 4 attending; decisions: open overdue, done, open not due.
        m1 = meeting("M1", "coord", local(4, 15), [("coord", "attending"), ("fq", "attending"), ("jn", "leave"),
                                                    ("legal", "invited")])
        s.add(Decision(meeting_id=m1.id or 0, text="清理浮桥夜市", owner_id=p["fq"], deadline_at=local(7, 18)))
        s.add(Decision(meeting_id=m1.id or 0, text="报送台账", owner_id=p["jn"], deadline_at=local(6, 18),
                       status="done", done_at=local(6, 9)))
        s.add(Decision(meeting_id=m1.id or 0, text="月底复查", owner_id=p["fq"], deadline_at=FAR_FUTURE))
        m2 = meeting("M2", "old_coord", local(5, 15), [("old_coord", "attending"), ("ky", "attending")])
        s.add(Decision(meeting_id=m2.id or 0, text="开元整改", owner_id=p["ky"], deadline_at=local(6, 18)))
        meeting("M3", "coord", local(6, 15), [("coord", "attending"), ("fq", "invited")], status="cancelled")
    return out


def stats_for(db: Database, scope: StatsScope):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return reports.compute_stats(session=s, scope=scope, period=WEEK, now=NOW, tz=TZ)


def test_zone_figures_match_the_hand_count(db: Database) -> None:
    seed(db)
    st = stats_for(db, StatsScope(zone="江南新区"))
    assert st.leads_total == 4  # L1..L4; L6 and L7 fall outside the week
    assert {k: v for k, v in st.leads_by_state.items() if v} == {"待受理": 1, "已受理": 1, "处置中": 1, "已办结": 1}
    assert st.median_to_accept == timedelta(hours=4)
    assert st.median_to_close == timedelta(hours=26)
    assert (st.actions_planned, st.actions_off_plan) == (1, 1)  # A3 cancelled, A5 next week, A4 other zone
    assert (st.recipients, st.acknowledged, st.declined) == (5, 3, 1)
    assert st.ack_rate == pytest.approx(0.6)
    assert (st.meetings, st.invited, st.attending) == (1, 4, 2)
    assert (st.decisions_open, st.decisions_overdue) == (2, 1)
    assert (st.disputes_open, st.disputes_overdue) == (1, 1)


def test_district_street_and_class_filters(db: Database) -> None:
    seed(db)
    district = stats_for(db, StatsScope())
    assert district.leads_total == 5
    assert district.median_to_accept == timedelta(hours=3)  # median of 1, 2, 4, 6
    assert (district.actions_planned, district.actions_off_plan, district.recipients, district.acknowledged) == (1, 2, 6, 4)
    assert (district.meetings, district.invited, district.attending) == (2, 6, 4)
    assert (district.decisions_open, district.decisions_overdue) == (3, 2)
    assert (district.disputes_open, district.disputes_overdue) == (2, 1)

    street = stats_for(db, StatsScope(zone="江南新区", street="浮桥街道"))
    assert street.leads_total == 3  # L1, L3, L4
    assert street.median_to_accept == timedelta(hours=4)  # median of 2 and 6
    assert (street.actions_planned, street.actions_off_plan, street.recipients, street.acknowledged) == (1, 0, 3, 2)

    klass = stats_for(db, StatsScope(zone="江南新区", item_class="市场监管"))
    assert klass.leads_total == 2  # L2, L4
    assert (klass.disputes_open, klass.disputes_overdue) == (1, 1)  # L4's


def test_an_empty_period_has_no_rates_and_no_medians(db: Database) -> None:
    seed(db)
    with db.session() as s:
        st = reports.compute_stats(session=s, scope=StatsScope(zone="江南新区"),
                                   period=custom_period(date(2026, 10, 1), date(2026, 10, 7)), now=NOW, tz=TZ)
    assert st.leads_total == 0 and st.actions_total == 0
    assert st.median_to_accept is None and st.ack_rate is None and st.attendance_rate is None
    assert st.decisions_overdue == 1  # the backlog is counted as of now, whatever the period


# ---------------------------------------------------------------- export


def export_workbook(db_url: str, tmp_path: Path, since: str = "2026-11-02", until: str = "2026-11-08"):  # type: ignore[no-untyped-def]
    out = tmp_path / "records.xlsx"
    assert admin_commands.export(Settings(database_url=db_url), since, until, out) == 0
    return load_workbook(out)


def rows_of(workbook, name: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    sheet = workbook[name]
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def shanghai(moment: datetime | None) -> str | None:
    aware = reports.as_utc(moment)
    return None if aware is None else aware.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def test_export_sheets_and_lead_cells_match_the_database(db: Database, db_url: str, tmp_path: Path) -> None:
    seed(db)
    workbook = export_workbook(db_url, tmp_path)
    assert workbook.sheetnames == ["案源线索", "联合执法行动", "会议", "争议"]
    leads = rows_of(workbook, "案源线索")
    assert [r["线索编号"] for r in leads] == ["XS-20261102-001", "XS-20261103-001", "XS-20261103-002",
                                          "XS-20261104-001", "XS-20261105-001"]
    with db.session() as s:
        people = {p.id: p for p in s.exec(select(Person)).all()}
        for row in leads:
            lead = s.exec(select(Lead).where(Lead.number == row["线索编号"])).one()
            shas = [ph.sha256 for ph in s.exec(select(LeadPhoto).where(LeadPhoto.lead_id == lead.id).order_by(LeadPhoto.id))]
            reporter = people[lead.reporter_id]
            assignee = people.get(lead.assignee_id)
            expected = {
                "线索编号": lead.number, "发现时间": shanghai(lead.discovered_at), "上报时间": shanghai(lead.reported_at),
                "上报人": reporter.name, "上报人执法证号": reporter.certificate_no, "片区": lead.zone,
                "街道": lead.street, "社区": lead.community, "商圈": lead.area, "地址": lead.address,
                "纬度": lead.lat, "经度": lead.lon, "定位精度(米)": lead.accuracy_m, "区外": "否",
                "问题描述": lead.description, "事项编码": lead.item_code, "事项名称": lead.item_name,
                "类别": lead.item_class, "原行使部门": lead.item_department, "执法依据": None,
                "事项清单版本": lead.catalogue_version, "立案时赋权状态": lead.status_at_filing,
                "当前依据": lead.basis, "执法主体": lead.enforcing_subject, "状态": lead.state,
                "承办人": assignee.name if assignee else None,
                "承办人执法证号": assignee.certificate_no if assignee else None,
                "移送至": lead.transfer_to, "不予立案理由": lead.rejection_reason,
                "是否有争议": "是" if lead.disputed else "否", "照片数": len(shas), "照片SHA-256": ";".join(shas) or None,
            }
            for column, value in expected.items():
                assert row[column] == value, (lead.number, column)
    first = leads[0]
    # Times are shown in Asia/Shanghai: filed 09:00 local, accepted 2 h later, closed 26 h later.
    assert (first["上报时间"], first["受理时间"], first["办结时间"]) == (
        "2026-11-02 09:00:00", "2026-11-02 11:00:00", "2026-11-03 11:00:00")
    assert first["照片SHA-256"] == "a" * 64 + ";" + "b" * 64
    assert first["上报人执法证号"] == "FJ-001"


def test_export_actions_meetings_disputes_cells(db: Database, db_url: str, tmp_path: Path) -> None:
    seed(db)
    workbook = export_workbook(db_url, tmp_path)
    actions = {r["行动编号"]: r for r in rows_of(workbook, "联合执法行动")}
    assert sorted(actions) == ["XD-20261103-01", "XD-20261104-01", "XD-20261105-01", "XD-20261106-01"]
    a1 = actions["XD-20261103-01"]
    assert a1["开始时间"] == "2026-11-03 09:00:00"
    assert (a1["计划内"], a1["计划事项编码"], a1["计划频次"], a1["计划外原因"]) == ("是", "ZH-01", "每月一次", None)
    assert a1["参加人员及执法证号"] == "浮桥队员（FJ-001）；江南队员（FJ-002）；江南法制（FJ-006）"
    assert (a1["已收到"], a1["无法参加（原因）"], a1["未回复"]) == ("浮桥队员、江南队员", "江南法制（请假）", None)
    assert (a1["检查户数"], a1["发现问题数"], a1["立案数"], a1["结果备注"]) == (12, 3, 1, "劝离 2 处")
    assert (a1["纬度"], a1["经度"], a1["地点"]) == (24.87, 118.61, "浮桥街道路口")
    a2 = actions["XD-20261105-01"]
    assert (a2["计划内"], a2["计划外原因"], a2["未回复"]) == ("否", "临时任务：群众投诉", "浮桥队员")
    assert actions["XD-20261106-01"]["状态"] == "已取消"

    meetings = {r["议题"]: r for r in rows_of(workbook, "会议")}
    assert sorted(meetings) == ["会议M1", "会议M2", "会议M3"]
    m1 = meetings["会议M1"]
    assert (m1["开始时间"], m1["应到"], m1["确认参加"], m1["请假（原因）"], m1["未回复"]) == (
        "2026-11-04 15:00:00", 4, "江南协调员、浮桥队员", "江南队员（出差）", "江南法制")
    assert m1["决议"].split("\n")[0] == "清理浮桥夜市｜浮桥队员｜2026-11-07 18:00:00｜未完成"
    assert m1["决议逾期数"] == 1

    disputes = rows_of(workbook, "争议")
    assert [(d["线索编号"], d["是否逾期"]) for d in disputes] == [
        ("XS-20261103-001", "否"), ("XS-20261103-002", "否"), ("XS-20261105-001", "是")]
    decided = disputes[0]
    assert (decided["决定"], decided["确定的执法主体"], decided["决定人"], decided["决定人执法证号"]) == (
        "部门", "区市场监督管理局", "江南法制", "FJ-006")


def test_export_of_a_zone_keeps_to_it_and_csv_files_are_written(db: Database, db_url: str, tmp_path: Path) -> None:
    seed(db)
    start, end = WEEK.bounds(TZ)
    with db.session() as s:
        sheets = reports.export_sheets(session=s, zone="老城区", since=start, until=end, tz=TZ)
    assert reports.sheet_counts(sheets) == {"案源线索": 1, "联合执法行动": 1, "会议": 1, "争议": 1}
    out = tmp_path / "csv" / "records.csv"
    assert admin_commands.export(Settings(database_url=db_url), "2026-11-02", "2026-11-08", out) == 0
    lead_csv = (tmp_path / "csv" / "records_案源线索.csv").read_bytes()
    assert lead_csv.startswith("\ufeff".encode()) and b"XS-20261102-001" in lead_csv
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(
        f"records_{n}.csv" for n in ("案源线索", "联合执法行动", "会议", "争议"))


def test_export_refuses_a_backwards_range_and_writes_nothing(db_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.xlsx"
    assert admin_commands.export(Settings(database_url=db_url), "2026-11-08", "2026-11-02", out) == 2
    assert not out.exists()
    assert "结束日期早于开始日期" in capsys.readouterr().err


# ---------------------------------------------------------------- audit trail


def test_audit_trail_of_an_action_includes_its_answers(db: Database) -> None:
    seed(db)
    with db.session() as s:
        recipient = s.exec(select(ActionRecipient).where(ActionRecipient.action_id == seed_ids(s, "XD-20261103-01"))).first()
        assert recipient is not None
        audit.record(session=s, actor_person_id=None, actor_telegram_id=None, action="dispatch.create",
                     entity_type="action", entity_id="XD-20261103-01", after={"recipients": 3})
        audit.record(session=s, actor_person_id=recipient.person_id, actor_telegram_id=2001, action="dispatch.ack",
                     entity_type="recipient", entity_id=recipient.id or 0, after={"response": "ack"})
        audit.record(session=s, actor_person_id=None, actor_telegram_id=None, action="dispatch.create",
                     entity_type="action", entity_id="XD-20261105-01", after={"recipients": 2})
    with db.session() as s:
        trail = reports.audit_trail(session=s, number="xd-20261103-01")
        assert trail is not None and [e.action for e in trail] == ["dispatch.create", "dispatch.ack"]
        assert reports.audit_trail(session=s, number="XS-20261102-001") is not None
        assert reports.audit_trail(session=s, number="XS-20991231-001") is None
        assert reports.audit_trail(session=s, number="HY-99999") is None


def seed_ids(session, number: str) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(JointAction.id).where(JointAction.number == number)).one()


# ---------------------------------------------------------------- weekly summary


def test_weekly_summary_is_made_once_per_week_with_a_chart(db: Database, db_url: str) -> None:
    seed(db)
    settings = Settings(database_url=db_url, admin_telegram_ids="777")
    schedule = parse_weekly("mon 08:30")
    with db.session() as s:  # a fresh install starts with the next moment: nothing sent for this week
        assert weekly.run_weekly(session=s, now=local(9, 8, 31), settings=settings, schedule=schedule) == 0
    monday = local(16, 8, 30)
    with db.session() as s:
        assert weekly.run_weekly(session=s, now=monday - timedelta(minutes=1), settings=settings, schedule=schedule) == 0
    with db.session() as s:
        queued = weekly.run_weekly(session=s, now=monday + timedelta(seconds=5), settings=settings, schedule=schedule)
    # coordinators of both zones, the roster admin and ADMIN_TELEGRAM_IDS' 777
    assert queued == 4
    with db.session() as s:  # a later tick (or a restart) in the same week adds nothing
        assert weekly.run_weekly(session=s, now=monday + timedelta(hours=3), settings=settings, schedule=schedule) == 0
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.ref_type == "weekly")).all()
        assert sorted(r.chat_id for r in rows) == [777, 2004, 2005, 2007]
        assert {r.method for r in rows} == {"send_photo"}
        summaries = {w.scope_key: w for w in s.exec(select(reports.WeeklySummary)).all()}
    assert set(summaries) == {"-", "江南新区", "老城区", "全区"}
    jiangnan = summaries["江南新区"]
    assert jiangnan.png is not None and jiangnan.png.startswith(b"\x89PNG")
    assert "2026-W47" in jiangnan.caption and "上周（2026-11-09 至 2026-11-15）" in jiangnan.caption
    coord_row = next(r for r in rows if r.chat_id == 2004)
    payload = weekly.load_payload(db, dict(coord_row.payload))
    assert payload["photo"] == jiangnan.png and payload["caption"] == jiangnan.caption


def test_weekly_summary_missed_by_more_than_a_day_is_not_sent(db: Database, db_url: str) -> None:
    seed(db)
    settings = Settings(database_url=db_url)
    schedule = parse_weekly("周一 8:30")
    with db.session() as s:
        weekly.run_weekly(session=s, now=local(9, 9), settings=settings, schedule=schedule)  # baseline
    with db.session() as s:
        late = weekly.run_weekly(session=s, now=local(16, 12), settings=settings, schedule=schedule)
    with db.session() as s:
        assert late == 3
        caption = s.exec(select(reports.WeeklySummary.caption).where(reports.WeeklySummary.scope_key == "江南新区")).one()
        assert caption.startswith("（补发）")
        missed = weekly.run_weekly(session=s, now=local(24, 12), settings=settings, schedule=schedule)
    assert missed == 0
    assert PeriodKind.LAST_WEEK.value == "p"
