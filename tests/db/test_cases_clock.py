"""Dispute deadlines on the clock: the reminder and the overdue notice reach the zone's legal
reviewer (and, when overdue, the zone coordinator), once, and stop after a decision."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

import handlers.case_actions as case_actions  # registers the clock kinds
from db import cases as lead_db
from db.cases import LeadDispute
from db.engine import Database
from db.models import OutboxMessage, utcnow
from jobs import clock
from tests.db.test_cases_db import DAY, add_person, new_lead


def _setup(db: Database) -> tuple[int, int, int]:
    reporter = add_person(db, "13800000001", tg=1)
    legal = add_person(db, "13800000002", role="legal", street=None, tg=2)
    coordinator = add_person(db, "13800000003", role="coordinator", street=None, tg=3)
    add_person(db, "13800000004", role="legal", street=None, zone="江南新区", tg=4)  # other zone
    deadline = utcnow() + timedelta(hours=1)
    with db.session() as s:
        lead = lead_db.file_lead(session=s, lead=new_lead(reporter, disputed=True), photos=[], local_day=DAY,
                                 actor_telegram_id=None)
        dispute = LeadDispute(lead_id=lead.id or 0, reason="主体不明", raised_by=reporter, deadline=deadline)
        s.add(dispute)
        s.flush()
        payload = {"dispute_id": dispute.id, "tz": "Asia/Shanghai"}
        clock.schedule(session=s, kind=case_actions.KIND_REMIND, due_at=deadline - timedelta(minutes=30),
                       ref_type="lead_dispute", ref_id=dispute.id, payload=payload)
        clock.schedule(session=s, kind=case_actions.KIND_DUE, due_at=deadline, ref_type="lead_dispute",
                       ref_id=dispute.id, payload=payload)
    return legal, coordinator, dispute.id or 0


def test_reminder_then_overdue_notice_to_the_right_people(db: Database) -> None:
    legal, coordinator, _ = _setup(db)
    now = utcnow()
    assert clock.tick(db, now) == 0
    assert clock.tick(db, now + timedelta(minutes=31)) == 1
    assert clock.tick(db, now + timedelta(minutes=61)) == 1
    assert clock.tick(db, now + timedelta(minutes=90)) == 0
    with db.session() as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    sent = [(row.person_id, "将于" in row.payload["text"], "已超过期限" in row.payload["text"]) for row in rows]
    assert sent == [(legal, True, False), (legal, False, True), (coordinator, False, True)]
    assert "XS-20260501-001" in rows[0].payload["text"] and rows[0].payload.get("reply_markup")


def test_decided_dispute_is_not_reminded(db: Database) -> None:
    _, _, dispute_id = _setup(db)
    with db.session() as s:
        dispute = s.get(LeadDispute, dispute_id)
        assert dispute is not None
        dispute.decided_at = utcnow()
        s.add(dispute)
    assert clock.tick(db, utcnow() + timedelta(hours=2)) == 2
    with db.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []
