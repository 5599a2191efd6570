"""Case lead tables on SQLite and PostgreSQL: numbering under concurrency, drafts, filing, queries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlmodel import select

from db import cases
from db.cases import Lead, LeadDispute, PhotoRecord
from db.engine import Database
from db.models import AuditEntry, Person, utcnow

DAY = date(2026, 5, 1)


def add_person(db: Database, phone: str, *, role: str = "officer", street: str | None = "海滨街道",
               zone: str | None = "老城区", tg: int | None = 100, department: str | None = None) -> int:
    with db.session() as s:
        person = Person(name="测试" + phone[-2:], phone=phone, role=role, street=street, zone=zone,
                        department=department, telegram_id=tg)
        s.add(person)
        s.flush()
        assert person.id is not None
        return person.id


def new_lead(reporter_id: int, **kw: object) -> Lead:
    fields: dict[str, object] = dict(
        number="", reporter_id=reporter_id, discovered_at=utcnow(), lat=24.905, lon=118.585,
        street="海滨街道", zone="老城区", description="人行道摆摊", item_code="ZH-01",
        status_at_filing="已赋权", basis="已赋权", enforcing_subject="海滨街道办事处",
    )
    fields.update(kw)
    return Lead(**fields)  # type: ignore[arg-type]


def test_numbers_are_per_local_day_and_start_at_001(db: Database) -> None:
    with db.session() as s:
        first = cases.next_number(session=s, local_day=DAY)
        second = cases.next_number(session=s, local_day=DAY)
        other_day = cases.next_number(session=s, local_day=DAY + timedelta(days=1))
    assert (first, second, other_day) == ("XS-20260501-001", "XS-20260501-002", "XS-20260502-001")


def test_rolled_back_filing_gives_its_number_back(db: Database) -> None:
    try:
        with db.session() as s:
            cases.next_number(session=s, local_day=DAY)
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with db.session() as s:
        assert cases.next_number(session=s, local_day=DAY) == "XS-20260501-001"


def test_concurrent_filings_get_distinct_consecutive_numbers(db: Database) -> None:
    reporter = add_person(db, "13800000001")

    def file_one(i: int) -> str:
        with db.session() as s:
            lead = cases.file_lead(session=s, lead=new_lead(reporter, description=f"第{i}条"), photos=[],
                                   local_day=DAY, actor_telegram_id=100)
            return lead.number

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(file_one, range(12)))
    assert sorted(numbers) == [f"XS-20260501-{n:03d}" for n in range(1, 13)]
    with db.session() as s:
        assert len(s.exec(select(Lead)).all()) == 12


def test_filing_writes_photos_history_and_audit(db: Database) -> None:
    reporter = add_person(db, "13800000001")
    photo = PhotoRecord(file_id="AgAD-1", file_unique_id="u1", sha256="ab" * 32, size=1234)
    with db.session() as s:
        lead = cases.file_lead(session=s, lead=new_lead(reporter), photos=[photo], local_day=DAY, actor_telegram_id=100)
        lead_id = lead.id
    assert lead_id is not None
    with db.session() as s:
        stored = cases.by_number(session=s, number="XS-20260501-001")
        assert stored is not None and stored.state == "待受理" and stored.discovered_at.tzinfo is not None
        assert [(p.file_id, p.sha256, p.size) for p in cases.photos_of(session=s, lead_id=lead_id)] == [("AgAD-1", "ab" * 32, 1234)]
        assert [h.to_state for h in cases.history_of(session=s, lead_id=lead_id)] == ["待受理"]
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity_type == "lead")).one()
        assert entry.action == "lead.file" and entry.entity_id == "XS-20260501-001"
        assert entry.after is not None and entry.after["photos"] == 1
        added = cases.add_photos(session=s, lead=stored, photos=[photo, PhotoRecord("AgAD-2", "u2", "cd" * 32, 9)],
                                 by_person_id=reporter)
    assert added == 1


def test_draft_survives_sessions_and_is_replaced_then_deleted(db: Database) -> None:
    reporter = add_person(db, "13800000001")
    with db.session() as s:
        assert cases.get_draft(session=s, reporter_id=reporter) is None
        cases.save_draft(session=s, reporter_id=reporter, state={"step": "what", "lat": 24.9})
    with db.session() as s:
        draft = cases.get_draft(session=s, reporter_id=reporter)
        assert draft == {"step": "what", "lat": 24.9}
        draft["photos"] = [{"file_id": "x"}]
        cases.save_draft(session=s, reporter_id=reporter, state=draft)
    with db.session() as s:
        assert cases.get_draft(session=s, reporter_id=reporter) == {"step": "what", "lat": 24.9, "photos": [{"file_id": "x"}]}
        cases.delete_draft(session=s, reporter_id=reporter)
    with db.session() as s:
        assert cases.get_draft(session=s, reporter_id=reporter) is None


def test_lists_and_open_disputes_by_zone(db: Database) -> None:
    reporter = add_person(db, "13800000001")
    with db.session() as s:
        a = cases.file_lead(session=s, lead=new_lead(reporter), photos=[], local_day=DAY, actor_telegram_id=None)
        b = cases.file_lead(session=s, lead=new_lead(reporter, street="浮桥街道", zone="江南新区", item_class="市场监管"),
                            photos=[], local_day=DAY, actor_telegram_id=None)
        assert a.id is not None
        s.add(LeadDispute(lead_id=a.id, reason="应由区市场监管局", raised_by=reporter, deadline=utcnow() + timedelta(days=3)))
    with db.session() as s:
        assert [lead.number for lead in cases.of_reporter(session=s, reporter_id=reporter)] == [b.number, a.number]
        assert [lead.number for lead in cases.in_zone(session=s, zone="老城区")] == [a.number]
        assert [lead.number for lead in cases.in_zone(session=s, zone=None, item_class="市场监管")] == [b.number]
        assert cases.in_zone(session=s, zone=None, states=["已办结"]) == []
        disputes = cases.open_disputes(session=s, zone="老城区")
        assert [(d.reason, lead.number) for d, lead in disputes] == [("应由区市场监管局", a.number)]
        assert cases.open_disputes(session=s, zone="江南新区") == []


def test_roster_entries_only_active_and_bound(db: Database) -> None:
    bound = add_person(db, "13800000001", role="coordinator", street=None, tg=1)
    add_person(db, "13800000002", tg=None)
    gone = add_person(db, "13800000003", tg=3)
    with db.session() as s:
        person = s.get(Person, gone)
        assert person is not None
        person.active = False
        s.add(person)
    with db.session() as s:
        assert [(e.person_id, e.role, e.street) for e in cases.roster_entries(session=s)] == [(bound, "coordinator", None)]
