"""Meetings on SQLite and PostgreSQL: recurrence across month ends, leave excludes from reminders,
the catch-up policy (补发 / missed + organiser told / never twice), certificate thresholds once each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

import handlers.meeting_notices as notices
from db import meetings as mdb
from db.engine import Database
from db.meetings import Attendance, Decision, Meeting
from db.models import ClockItem, OutboxMessage, Person
from jobs import clock

SH = notices.TZ


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def add_people(db: Database) -> dict[str, int]:
    rows = [
        ("王协调", "13900000001", "coordinator", "鲤中街道", "老城区", 101, date(2030, 1, 1)),
        ("张三", "13900000002", "officer", "开元街道", "老城区", 102, date(2030, 1, 1)),
        ("李四", "13900000003", "officer", "海滨街道", "老城区", 103, date(2030, 1, 1)),
        ("赵五", "13900000004", "officer", "浮桥街道", "江南新区", 104, None),
        ("陈协调", "13900000005", "coordinator", "江南街道", "江南新区", 105, None),
    ]
    with db.session() as s:
        for name, phone, role, street, zone, tg, cert in rows:
            s.add(Person(name=name, phone=phone, role=role, street=street, zone=zone, telegram_id=tg,
                         certificate_expires=cert, certificate_no=f"证{tg}"))
    with db.session() as s:
        return {p.name: p.id for p in s.exec(select(Person)).all()}  # type: ignore[misc]


def make_meeting(db: Database, ids: dict[str, int], starts_at: datetime, *, audience: str = "老城区",
                 offsets: list[int] | None = None, recurrence: str | None = None, now: datetime) -> int:
    with db.session() as s:
        organiser = s.get(Person, ids["王协调"])
        assert organiser is not None
        people = mdb.resolve_audience(session=s, text=audience).people
        meeting = mdb.create_meeting(session=s, organiser=organiser, kind="联席会议", title="片区联席会议",
                                     starts_at=starts_at.astimezone(UTC), attendees=people, place="区城管局 3 楼",
                                     offsets=offsets, recurrence=recurrence, audience=audience)
        notices.invite_all(s, meeting)
        notices.plan_reminders(s, meeting, now)
        notices.plan_next_occurrence(s, meeting)
        return meeting.id  # type: ignore[return-value]


def texts_to(db: Database, telegram_id: int) -> list[str]:
    with db.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == telegram_id).order_by(OutboxMessage.id)).all()
        return [r.payload.get("text", "") for r in rows]


def test_audience_resolves_zone_role_names_and_reports_unknown(db: Database) -> None:
    ids = add_people(db)
    with db.session() as s:
        got = mdb.resolve_audience(session=s, text="江南新区、张三 无名氏")
        assert sorted(p.name for p in got.people) == ["张三", "赵五", "陈协调"]
        assert got.unknown == ["无名氏"]
        assert sorted(p.name for p in mdb.resolve_audience(session=s, text="协调员").people) == ["王协调", "陈协调"]
        assert len(mdb.resolve_audience(session=s, text="全部").people) == len(ids)


def test_weekly_and_monthly_recurrence_materialize_across_month_ends(db: Database) -> None:
    ids = add_people(db)
    now = local(2027, 1, 20, 8)
    when = mdb.parse_meeting_time("每周一 9:00", now=now, tz=SH)
    assert when.starts_at == local(2027, 1, 25).astimezone(UTC)
    first = make_meeting(db, ids, when.starts_at, recurrence=when.recurrence, now=now)
    # The clock fires the series item when the occurrence starts: next Monday is in February.
    clock.tick(db, now=local(2027, 1, 25, 9, 0).astimezone(UTC))
    clock.tick(db, now=local(2027, 2, 1, 9, 0).astimezone(UTC))
    with db.session() as s:
        starts = [m.starts_at for m in s.exec(select(Meeting).where(Meeting.series_id == first).order_by(Meeting.starts_at))]
        counts = [len(mdb.attendees(session=s, meeting_id=m.id or 0)) for m in s.exec(select(Meeting))]
    assert [d.astimezone(SH) for d in starts] == [local(2027, 1, 25), local(2027, 2, 1), local(2027, 2, 8)]
    assert len(set(counts)) == 1  # every occurrence invites the same people

    monthly = mdb.parse_meeting_time("每月第一个周一 9:00", now=local(2027, 1, 20), tz=SH)
    assert monthly.starts_at == local(2027, 2, 1).astimezone(UTC)
    assert mdb.next_occurrence("每月第一个周一 9:00", local(2027, 2, 1), SH) == local(2027, 3, 1).astimezone(UTC)
    assert mdb.next_occurrence("每月第一个周一 9:00", local(2027, 3, 1), SH) == local(2027, 4, 5).astimezone(UTC)
    # Across a year end, in local time (01:00 Shanghai is the previous day in UTC).
    assert mdb.next_occurrence("每周五 1:00", local(2027, 12, 31, 2), SH) == local(2028, 1, 7, 1).astimezone(UTC)


def test_leave_excludes_from_reminders(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    meeting_id = make_meeting(db, ids, now + timedelta(hours=2), offsets=[60], now=now)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        assert mdb.respond(session=s, meeting=meeting, person_id=ids["李四"], status=Attendance.LEAVE,
                           reason="外出执法", actor_telegram_id=103) is not None
        assert mdb.respond(session=s, meeting=meeting, person_id=ids["赵五"], status=Attendance.ATTENDING,
                           reason=None, actor_telegram_id=104) is None  # not invited: nothing recorded
    assert clock.tick(db, now=now + timedelta(hours=1)) == 1
    reminded = [tg for tg in (101, 102, 103, 104) if any("会议提醒" in t for t in texts_to(db, tg))]
    assert reminded == [101, 102]
    assert not any("补发" in t for t in texts_to(db, 102))


def test_late_reminder_is_marked_and_sent_once(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    make_meeting(db, ids, now + timedelta(hours=2), offsets=[60], now=now)
    # Bot was down across the due time (due 01:00), restarted at 01:30, the meeting starts at 02:00.
    restarted = now + timedelta(minutes=90)
    assert clock.tick(db, now=restarted, started_at=restarted) == 1
    assert clock.tick(db, now=restarted + timedelta(seconds=5), started_at=restarted) == 0
    reminders = [t for t in texts_to(db, 102) if "会议提醒" in t]
    assert len(reminders) == 1 and reminders[0].startswith("【补发】")


def test_after_downtime_across_two_reminders_only_the_latest_is_sent(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    make_meeting(db, ids, now + timedelta(days=2), offsets=[1440, 60], now=now)
    # Down from before the 1-day reminder until 50 minutes before the start: both are due at once.
    restarted = now + timedelta(days=2) - timedelta(minutes=50)
    clock.tick(db, now=restarted, started_at=restarted)
    reminders = [t for t in texts_to(db, 102) if "会议提醒" in t]
    assert len(reminders) == 1 and reminders[0].startswith("【补发】") and "50分钟" in reminders[0]


def test_decision_reminders_missed_past_the_deadline_leave_only_the_overdue_notice(db: Database) -> None:
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    deadline = announce_a_decision(db, add_people(db), now)
    restarted = deadline + timedelta(hours=3)  # down across every reminder and the deadline
    clock.tick(db, now=restarted, started_at=restarted)
    assert not any("决议期限提醒" in t for t in texts_to(db, 102))
    assert sum("逾期" in t for t in texts_to(db, 101)) == 1


def test_reminder_due_before_start_of_process_is_late_even_if_only_seconds(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    make_meeting(db, ids, now + timedelta(hours=2), offsets=[60], now=now)
    due = now + timedelta(hours=1)
    clock.tick(db, now=due + timedelta(seconds=3), started_at=due + timedelta(seconds=2))
    assert [t for t in texts_to(db, 102) if "会议提醒" in t][0].startswith("【补发】")


def test_reminder_after_start_is_missed_and_organiser_told_once(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    meeting_id = make_meeting(db, ids, now + timedelta(hours=2), offsets=[60], now=now)
    restarted = now + timedelta(hours=3)
    clock.tick(db, now=restarted, started_at=restarted)
    clock.tick(db, now=restarted + timedelta(minutes=1), started_at=restarted)
    assert not any("会议提醒" in t for t in texts_to(db, 102))
    told = [t for t in texts_to(db, 101) if "未能发出" in t]
    assert len(told) == 1 and "片区联席会议" in told[0]
    with db.session() as s:
        outcomes = [i.outcome for i in s.exec(select(ClockItem).where(ClockItem.ref_id == str(meeting_id),
                                                                      ClockItem.kind == notices.REMIND))]
    assert outcomes == ["missed"]


def test_change_time_replans_reminders_and_cancel_stops_them(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    meeting_id = make_meeting(db, ids, now + timedelta(hours=2), offsets=[60], now=now)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        organiser = s.get(Person, ids["王协调"])
        assert meeting is not None and organiser is not None
        mdb.update_meeting(session=s, meeting=meeting, actor=organiser, changes={"starts_at": now + timedelta(hours=5)},
                           actor_telegram_id=101)
        notices.plan_reminders(s, meeting, now)
        assert notices.notify_change(s, meeting, "时间改了") == 2
    assert clock.tick(db, now=now + timedelta(hours=1)) == 0  # the old due time is gone
    assert clock.tick(db, now=now + timedelta(hours=4)) == 1
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        organiser = s.get(Person, ids["王协调"])
        assert meeting is not None and organiser is not None
        mdb.update_meeting(session=s, meeting=meeting, actor=organiser, changes={"status": "cancelled"},
                           actor_telegram_id=101)
        notices.plan_reminders(s, meeting, now)
        notices.notify_cancel(s, meeting)
    assert any("会议变更" in t for t in texts_to(db, 103)) and any("会议取消" in t for t in texts_to(db, 103))


def announce_a_decision(db: Database, ids: dict[str, int], now: datetime) -> datetime:
    """A meeting an hour ago decided 清理中山路占道 for 张三, due in two days; returns the deadline."""
    meeting_id = make_meeting(db, ids, now - timedelta(hours=1), offsets=[60], now=now)
    deadline = now + timedelta(days=2)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        owner = s.get(Person, ids["张三"])
        organiser = s.get(Person, ids["王协调"])
        assert meeting is not None and owner is not None and organiser is not None
        decision = mdb.add_decision(session=s, meeting=meeting, text="清理中山路占道", owner=owner,
                                    deadline_at=deadline, actor=organiser, actor_telegram_id=101)
        notices.announce_decision(s, decision, meeting, now)
    return deadline


def test_decision_reminds_owner_and_escalates_once(db: Database) -> None:
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    deadline = announce_a_decision(db, add_people(db), now)
    clock.tick(db, now=deadline - timedelta(days=1))
    clock.tick(db, now=deadline)
    clock.tick(db, now=deadline + timedelta(minutes=1))
    owner_texts = texts_to(db, 102)
    assert sum("会议决议" in t for t in owner_texts) == 1
    assert sum("决议期限提醒" in t for t in owner_texts) == 2
    assert sum("逾期" in t for t in texts_to(db, 101)) == 1


def test_done_decision_stops_reminders(db: Database) -> None:
    ids = add_people(db)
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    meeting_id = make_meeting(db, ids, now - timedelta(hours=1), offsets=[60], now=now)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        owner = s.get(Person, ids["张三"])
        assert meeting is not None and owner is not None
        decision = mdb.add_decision(session=s, meeting=meeting, text="整改", owner=owner,
                                    deadline_at=now + timedelta(days=2), actor=owner, actor_telegram_id=102)
        notices.announce_decision(s, decision, meeting, now)
        decision_id = decision.id
    with db.session() as s:
        decision = s.get(Decision, decision_id)
        assert decision is not None
        assert mdb.mark_decision_done(session=s, decision=decision, actor_person_id=ids["张三"], actor_telegram_id=102)
        assert not mdb.mark_decision_done(session=s, decision=decision, actor_person_id=ids["张三"], actor_telegram_id=102)
    clock.tick(db, now=now + timedelta(days=3))
    assert not any("期限提醒" in t for t in texts_to(db, 102))
    assert not any("逾期" in t for t in texts_to(db, 101))


def test_certificate_thresholds_notify_once_each(db: Database) -> None:
    ids = add_people(db)
    with db.session() as s:
        holder = s.get(Person, ids["张三"])
        assert holder is not None
        holder.certificate_expires = date(2027, 6, 30)
        s.add(holder)
    day = lambda d: datetime(2027, 6, 30, 2, tzinfo=UTC) - timedelta(days=d)  # noqa: E731
    for days_before in (61, 60, 60, 45, 30, 29, 7, 7, 1):
        with db.session() as s:
            notices.scan_certificates(s, day(days_before))
    holder_texts = [t for t in texts_to(db, 102) if "执法资格证" in t]
    coordinator_texts = [t for t in texts_to(db, 101) if "执法资格证" in t]
    assert [t.split("还剩 ")[1].split(" 天")[0] for t in holder_texts] == ["60", "30", "7"]
    assert len(coordinator_texts) == 3 and all("张三" in t for t in coordinator_texts)
    assert not any("执法资格证" in t for t in texts_to(db, 105))  # the other zone's coordinator


def test_certificate_found_late_sends_only_the_tightest_threshold(db: Database) -> None:
    ids = add_people(db)
    with db.session() as s:
        holder = s.get(Person, ids["李四"])
        assert holder is not None
        holder.certificate_expires = date(2027, 6, 30)
        s.add(holder)
    with db.session() as s:
        notices.scan_certificates(s, datetime(2027, 6, 25, 2, tzinfo=UTC))
    assert len([t for t in texts_to(db, 103) if "执法资格证" in t]) == 1


def test_expired_certificates_for_dispatch_preview(db: Database) -> None:
    ids = add_people(db)
    with db.session() as s:
        holder = s.get(Person, ids["李四"])
        assert holder is not None
        holder.certificate_expires = date(2027, 1, 31)
        s.add(holder)
    with db.session() as s:
        got = mdb.expired_certificates(s, list(ids.values()), date(2027, 2, 1))
        assert [p.name for p in got] == ["李四"]
        assert mdb.expired_certificates(s, list(ids.values()), date(2027, 1, 31)) == []
        assert mdb.expired_certificates(s, [], date(2027, 2, 1)) == []


def test_audience_with_a_zone_keeps_to_it_and_names_those_outside(db: Database) -> None:
    """Issue 13 item 10: a squadron coordinator's 全部 / role words mean their own zone; another zone,
    its streets or its people named explicitly come back in `outside` for the handler to refuse."""
    ids = add_people(db)
    with db.session() as s:
        s.add(Person(name="区直人员", phone="13900000009", role="officer", street=None, zone=None, telegram_id=109))
    with db.session() as s:
        mine = mdb.resolve_audience(session=s, text="全部", zone="老城区")
        assert sorted(p.name for p in mine.people) == ["区直人员", "张三", "李四", "王协调"] and mine.outside == []
        assert sorted(p.name for p in mdb.resolve_audience(session=s, text="协调员", zone="老城区").people) == ["王协调"]
        for text in ("江南新区", "浮桥街道", "赵五", "张三 陈协调"):
            got = mdb.resolve_audience(session=s, text=text, zone="老城区")
            assert got.outside and all(p.zone == "江南新区" for p in got.outside), text
        assert len(mdb.resolve_audience(session=s, text="全部").people) == len(ids) + 1  # no zone: everyone


def test_reset_answers_asks_everyone_again_but_the_organiser(db: Database) -> None:
    ids = add_people(db)
    now = datetime.now(UTC)
    meeting_id = make_meeting(db, ids, (now + timedelta(days=2)).astimezone(SH), now=now)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        mdb.respond(session=s, meeting=meeting, person_id=ids["张三"], status=Attendance.ATTENDING, reason=None,
                    actor_telegram_id=None)
        mdb.respond(session=s, meeting=meeting, person_id=ids["李四"], status=Attendance.LEAVE, reason="外出",
                    actor_telegram_id=None)
    with db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        assert mdb.reset_answers(session=s, meeting=meeting, actor_person_id=ids["王协调"], actor_telegram_id=None) == 2
    with db.session() as s:
        rows = {p.name: a for a, p in mdb.attendees(session=s, meeting_id=meeting_id)}
        assert rows["王协调"].status == Attendance.ATTENDING
        assert (rows["张三"].status, rows["李四"].status, rows["李四"].reason) == (Attendance.INVITED, Attendance.INVITED, None)
