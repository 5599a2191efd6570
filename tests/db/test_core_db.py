"""Core tables on SQLite and PostgreSQL: roster import semantics, audit is append-only,
outbox dedupe, clock catch-up policy."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlmodel import select

from db import audit, outbox, people
from db.engine import Database
from db.models import AuditEntry, ClockItem, Person, utcnow
from jobs import clock
from knowledge.roster import RosterRow


def row(phone: str, name: str = "张三", role: str = "officer", street: str | None = "浮桥街道", tg: int | None = None) -> RosterRow:
    return RosterRow(name=name, phone=phone, role=role, street=street, zone="江南新区", department=None,
                     certificate_no=None, certificate_expires=date(2027, 1, 1), telegram_id=tg)


def test_roster_import_updates_by_phone_and_deactivates_missing(db: Database) -> None:
    with db.session() as s:
        d = people.apply_roster(session=s, rows=[row("13800000001"), row("13800000002", "李四", tg=77)], actor_person_id=None, dry_run=False)
    assert (d.added, d.updated, d.deactivated) == (["张三", "李四"], [], [])
    with db.session() as s:
        d = people.apply_roster(session=s, rows=[row("13800000001", role="coordinator")], actor_person_id=None, dry_run=False)
    assert (d.added, d.updated, d.deactivated) == ([], ["张三"], ["李四"])
    with db.session() as s:
        everyone = {p.phone: p for p in s.exec(select(Person)).all()}
        assert everyone["13800000001"].role == "coordinator"
        assert everyone["13800000002"].active is False  # kept, never deleted
        assert everyone["13800000002"].telegram_id == 77
        actions = [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions == ["roster.add", "roster.add", "roster.update", "roster.deactivate"]


def test_roster_dry_run_writes_nothing(db: Database) -> None:
    with db.session() as s:
        d = people.apply_roster(session=s, rows=[row("13800000001")], actor_person_id=None, dry_run=True)
    assert d.added == ["张三"]
    with db.session() as s:
        assert s.exec(select(Person)).all() == []
        assert s.exec(select(AuditEntry)).all() == []


def test_audit_refuses_update_and_delete(db: Database) -> None:
    with db.session() as s:
        audit.record(session=s, actor_person_id=None, actor_telegram_id=1, action="x", entity_type="t", entity_id=1)
    for statement in ("UPDATE auditentry SET action = 'y'", "DELETE FROM auditentry"):
        with pytest.raises(Exception, match="append-only"):
            with db.session() as s:
                s.exec(text(statement))  # type: ignore[call-overload]
    with db.session() as s:
        assert [a.action for a in s.exec(select(AuditEntry)).all()] == ["x"]


def test_invite_is_single_use(db: Database) -> None:
    with db.session() as s:
        people.apply_roster(session=s, rows=[row("13800000001")], actor_person_id=None, dry_run=False)
        token = people.create_invite(session=s, phone="13800000001", created_by=None).token
    with db.session() as s:
        assert people.use_invite(session=s, token=token, telegram_id=555) is not None
    with db.session() as s:
        assert people.use_invite(session=s, token=token, telegram_id=556) is None
        assert people.by_telegram_id(session=s, telegram_id=555) is not None


def test_outbox_dedupe_key(db: Database) -> None:
    with db.session() as s:
        assert outbox.enqueue(session=s, chat_id=1, text="a", dedupe_key="k1") is not None
    with db.session() as s:
        assert outbox.enqueue(session=s, chat_id=1, text="a", dedupe_key="k1") is None
        assert outbox.pending_count(session=s) == 1


def test_clock_fires_once_and_records_missed_events(db: Database) -> None:
    seen: list[tuple[str, bool]] = []

    def handle(session, item, firing):  # type: ignore[no-untyped-def]
        seen.append((item.payload["name"], firing.late))
        return None

    missed: list[str] = []
    clock.register_kind("test.kind", handle, on_missed=lambda s, item, f: missed.append(item.payload["name"]))
    now = utcnow()
    with db.session() as s:
        clock.schedule(session=s, kind="test.kind", due_at=now - timedelta(seconds=30), payload={"name": "on time"})
        clock.schedule(session=s, kind="test.kind", due_at=now - timedelta(hours=1), event_at=now + timedelta(hours=1), payload={"name": "late"})
        clock.schedule(session=s, kind="test.kind", due_at=now - timedelta(hours=2), event_at=now - timedelta(hours=1), payload={"name": "too late"})
        clock.schedule(session=s, kind="test.kind", due_at=now + timedelta(hours=1), payload={"name": "future"})
    assert clock.tick(db, now) == 3
    assert clock.tick(db, now) == 0  # never twice
    assert sorted(seen) == [("late", True), ("on time", False)]
    assert missed == ["too late"]
    with db.session() as s:
        outcomes = {i.payload["name"]: i.outcome for i in s.exec(select(ClockItem)).all()}
    assert outcomes == {"on time": "sent", "late": "late", "too late": "missed", "future": None}


class RecordingJobQueue:
    """Just what ClockRunner uses of PTB's JobQueue: remembers every one-shot it is asked for."""

    def __init__(self) -> None:
        self.one_shots: list[object] = []

    def run_once(self, callback: object, when: object, **_kw: object) -> SimpleNamespace:
        self.one_shots.append(when)
        return SimpleNamespace(schedule_removal=lambda: None)


async def test_a_clock_item_that_keeps_failing_waits_for_the_next_tick(db: Database) -> None:
    """A failing item stayed due, so each run armed a one-shot 5 ms later: a busy loop of
    tracebacks and write transactions. Now it waits for the regular tick; due-soon items still arm."""
    def broken(session, item, firing):  # type: ignore[no-untyped-def]
        raise RuntimeError("handler bug")

    clock.register_kind("test.broken", broken)
    with db.session() as s:
        clock.schedule(session=s, kind="test.broken", due_at=utcnow() - timedelta(seconds=1))
    runner = clock.ClockRunner(db, tick_seconds=5)
    runner._job_queue = queue = RecordingJobQueue()
    await runner._run()
    assert queue.one_shots == []  # retried by the next 5 s tick, not at once
    with db.session() as s:
        clock.schedule(session=s, kind="test.kind", due_at=utcnow() + timedelta(seconds=2))
    await runner._run()
    assert len(queue.one_shots) == 1  # an item due before the next tick still gets its precise wake-up


async def test_a_backlog_goes_on_at_once_even_when_an_item_in_it_fails(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """After downtime more items are due than one tick takes; one failing among them must not
    leave the rest to the regular tick (500 per 5 s)."""
    def broken(session, item, firing):  # type: ignore[no-untyped-def]
        raise RuntimeError("handler bug")

    clock.register_kind("test.broken", broken)
    clock.register_kind("test.fine", lambda session, item, firing: None)
    monkeypatch.setattr(clock, "TICK_LIMIT", 2)
    with db.session() as s:
        clock.schedule(session=s, kind="test.broken", due_at=utcnow() - timedelta(minutes=3))
        for minutes in (2, 1):
            clock.schedule(session=s, kind="test.fine", due_at=utcnow() - timedelta(minutes=minutes))
    runner = clock.ClockRunner(db, tick_seconds=5)
    runner._job_queue = queue = RecordingJobQueue()
    await runner._run()  # took up the broken one and one fine one: the third waits
    assert len(queue.one_shots) == 1


def test_handled_update_ids_survive_a_restart_and_are_stored_once(db: Database) -> None:
    from db.models import ProcessedUpdate
    from handlers.guard import UpdateDeduper

    first = UpdateDeduper()
    assert [first.first_time(u) for u in (10, 11, 10)] == [True, True, False]
    first.flush(db)
    first.flush(db)  # nothing new: nothing written
    after_restart = UpdateDeduper()
    after_restart.load_recent(db)
    assert [after_restart.first_time(u) for u in (10, 11, 12)] == [False, False, True]
    after_restart._unsaved.append(11)  # an id persisted already (flushed by the other process) is not inserted twice
    after_restart.flush(db)
    with db.session() as s:
        rows = s.exec(select(ProcessedUpdate)).all()
    assert sorted(r.update_id for r in rows) == [10, 11, 12]
    assert all(r.at is not None and r.at <= utcnow() + timedelta(seconds=1) for r in rows)
