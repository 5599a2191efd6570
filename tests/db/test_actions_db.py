"""Joint-action rules on both backends: who is called, the plan gate, numbers, answers, nudges."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from db import actions as acts
from db.actions import ActionError, JointAction, Response, Scope
from db.engine import Database
from db.models import OutboxMessage, utcnow
from handlers import dispatch_notices as notices
from jobs import clock
from knowledge.streets import zone_of
from tests.e2e.harness import seed_roster

TZ = ZoneInfo("Asia/Shanghai")


def _names(people: list) -> set[str]:
    return {p.name for p in people}


def test_recipients_are_officers_of_the_scope_plus_district_staff(db: Database) -> None:
    seed_roster(db)
    with db.session() as session:
        zone = acts.resolve_recipients(session=session, scope=Scope(kind="zone", zone="江南新区"), zone_of=zone_of)
        streets = acts.resolve_recipients(session=session, scope=Scope(kind="streets", zone="江南新区", streets=["浮桥街道"]), zone_of=zone_of)
        found, missing = acts.people_by_names(session=session, names=["江南法制审核", "无此人"])
        named = acts.resolve_recipients(session=session, scope=Scope(kind="people", person_ids=[p.id for p in found]), zone_of=zone_of)
    assert _names(zone) == {"浮桥队员甲", "江南队员乙", "区直队员丙", "未绑定队员"}  # no 老城区, no coordinators
    assert _names(streets) == {"浮桥队员甲", "区直队员丙"}
    assert missing == ["无此人"] and _names(named) == {"江南法制审核"}  # legal only when named


def test_plan_only_for_items_in_the_joint_list(db: Database) -> None:
    with db.session() as session:
        with pytest.raises(ActionError, match="不在清单"):
            acts.add_plan_entry(session=session, item_code="DEMO-001", zone="老城区", frequency="每月一次",
                                lead_department="区城市管理和综合执法局", period_start=date(2026, 1, 1),
                                period_end=date(2026, 12, 31), actor_person_id=None, actor_telegram_id=None,
                                not_in_list_message="不在清单", bad_period_message="日期")
    with db.session() as session:
        assert acts.add_to_joint_list(session=session, item_code="DEMO-001", actor_person_id=None, actor_telegram_id=1)
        assert not acts.add_to_joint_list(session=session, item_code="DEMO-001", actor_person_id=None, actor_telegram_id=1)
        entry = acts.add_plan_entry(session=session, item_code="DEMO-001", zone="老城区", frequency="每月一次",
                                    lead_department="区城市管理和综合执法局", period_start=date(2026, 1, 1),
                                    period_end=date(2026, 12, 31), actor_person_id=None, actor_telegram_id=1,
                                    not_in_list_message="不在清单", bad_period_message="日期")
    with db.session() as session:
        due = acts.plan_due_in_month(session=session, zone="老城区", today=date(2026, 11, 26), tz=TZ)
        assert [d.entry.id for d in due] == [entry.id] and due[0].actions_this_month == 0
        assert acts.plan_due_in_month(session=session, zone="江南新区", today=date(2026, 11, 26), tz=TZ) == []
        assert acts.remove_from_joint_list(session=session, item_code="DEMO-001", actor_person_id=None, actor_telegram_id=1)
        assert not acts.in_joint_list(session=session, item_code="DEMO-001")


def _create(db: Database, starts_in: timedelta = timedelta(hours=3), remind: float = 60) -> JointAction:
    with db.session() as session:
        people = acts.resolve_recipients(session=session, scope=Scope(kind="zone", zone="江南新区"), zone_of=zone_of)
        action = JointAction(number="", created_by=None, created_by_telegram_id=1005, scope_kind="zone", zone="江南新区",
                             starts_at=utcnow() + starts_in, place_text="浮桥", off_plan_reason="临时任务：测试",
                             lead_department="区市场监督管理局", task="检查")
        action, _ = acts.create_action(session=session, action=action, recipients=people, local_day=date(2026, 11, 26),
                                       actor_person_id=None)
        notices.enqueue_notices(session, action, TZ)
        notices.schedule_clock(session, action, nudge_minutes=1, remind_minutes=remind)
        return action


def test_numbers_notices_and_board(db: Database) -> None:
    seed_roster(db)
    first, second = _create(db), _create(db)
    assert (first.number, second.number) == ("XD-20261126-01", "XD-20261126-02")
    with db.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.ref_id.like(f"{first.id}:%"))).all()  # type: ignore[union-attr]
        assert len(rows) == 3  # three bound officers; the unbound one is 发送失败 at once
        recipients = dict((p.name, r) for r, p in acts.recipients_of(session=session, action_id=first.id))
        acts.answer(session=session, recipient=recipients["浮桥队员甲"], response=Response.DECLINE, reason="请假", actor_telegram_id=1001)
        acts.answer(session=session, recipient=recipients["江南队员乙"], response=Response.ACK, reason="忽略", actor_telegram_id=1002)
    with db.session() as session:
        counts = acts.board_counts(session=session, action_id=first.id)
        text = notices.board_text(session, first, TZ)
    assert counts.acked == ["江南队员乙"] and counts.declined == [("浮桥队员甲", "请假")]
    assert counts.silent == ["区直队员丙"] and counts.failed == ["未绑定队员"]
    assert "已收到 1" in text and "无法参加 1" in text and "未回复 1" in text and "发送失败 1" in text


def test_nudge_rounds_then_escalation_then_nothing_after_start(db: Database) -> None:
    seed_roster(db)
    action = _create(db, starts_in=timedelta(minutes=30), remind=10)
    now = utcnow()
    for minutes in (1.1, 2.2, 3.3):  # nudge 1, nudge 2, escalation
        clock.tick(db, now + timedelta(minutes=minutes))
    with db.session() as session:
        texts_by_chat: dict[int, list[str]] = {}
        for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all():
            texts_by_chat.setdefault(row.chat_id, []).append(row.payload.get("text", ""))
    assert sum("尚未回复" in t for t in texts_by_chat[1001]) == 2
    escalations = [t for t in texts_by_chat[1005] if "两次提醒后仍未回复" in t]
    assert len(escalations) == 1 and "区直队员丙" in escalations[0]
    clock.tick(db, action.starts_at + timedelta(minutes=5))  # the reminder fell due while down, after the start
    with db.session() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert not [r for r in rows if "将于" in r.payload.get("text", "")]  # not sent after the start ...
    assert [r for r in rows if r.chat_id == 1005 and "未能按时发送" in r.payload.get("text", "")]  # ... the coordinator is told


def test_board_tells_delayed_from_silent_and_agenda_actions(db: Database) -> None:
    seed_roster(db)
    action = _create(db, starts_in=timedelta(hours=5))
    later = _create(db, starts_in=timedelta(days=2))
    retry_at = utcnow() + timedelta(seconds=30)
    with db.session() as session:
        people = {p.name: p for _r, p in acts.recipients_of(session=session, action_id=action.id)}
        for row in session.exec(select(OutboxMessage).where(OutboxMessage.ref_id.like(f"{action.id}:%"))).all():  # type: ignore[union-attr]
            if row.chat_id == 1001:  # Telegram answered 429 retry_after=30 for 浮桥队员甲's notice
                row.attempts, row.next_attempt_at, row.last_error = 1, retry_at, "429 retry_after=30"
            elif row.chat_id == 1002:  # not tried yet: queued, not delayed
                row.next_attempt_at = utcnow() + timedelta(seconds=5)
            session.add(row)
        recipients = {p.name: r for r, p in acts.recipients_of(session=session, action_id=later.id)}
        acts.answer(session=session, recipient=recipients["江南队员乙"], response=Response.DECLINE, reason="请假", actor_telegram_id=1002)
    with db.session() as session:
        counts = acts.board_counts(session=session, action_id=action.id)
        text = notices.board_text(session, action, TZ)
        assert counts.delayed == [("浮桥队员甲", retry_at)] and counts.silent == ["江南队员乙", "区直队员丙"]
        assert "发送延迟 1：浮桥队员甲（预计 " + retry_at.astimezone(TZ).strftime("%H:%M:%S") in text
        assert acts.board_counts(session=session, action_id=action.id, now=retry_at).delayed == []  # due again
        upcoming = acts.upcoming_for(session=session, person_id=people["江南队员乙"].id, now=utcnow())
        assert [u.action.number for u in upcoming] == [action.number]  # declined the later one
        upcoming = acts.upcoming_for(session=session, person_id=people["浮桥队员甲"].id, now=utcnow())
        assert [u.action.number for u in upcoming] == [action.number, later.number]
        assert acts.upcoming_for(session=session, person_id=people["浮桥队员甲"].id, now=action.starts_at) == [
            acts.upcoming_for(session=session, person_id=people["浮桥队员甲"].id, now=utcnow())[1]]
