"""Case lead tables and queries: leads, photos, status history, disputes, drafts, day counters.

Why a draft table: whatever an officer typed on site must survive leaving the flow or a restart
(PTB persistence flushes every 60 s), so every step of /case writes its draft here.
Why a counter row per day: the XS number is allocated by an UPDATE ... RETURNING on that row in
the filing transaction, which serialises concurrent filings on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, select

from db import audit
from db.models import Person, utcnow
from knowledge.cases import TERMINAL_STATES, LeadPoint, LeadState, RosterEntry, lead_number


class Lead(SQLModel, table=True):
    """One case lead as filed; `version` grows on every change so stale buttons are refused."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, index=True)
    reporter_id: int = Field(foreign_key="person.id", index=True)
    discovered_at: datetime  # the Telegram message's own date (queued offline → earlier)
    reported_at: datetime = Field(default_factory=utcnow, index=True)
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    address: str | None = Field(default=None, max_length=200)
    community: str | None = Field(default=None, max_length=32)
    area: str | None = Field(default=None, max_length=16)  # 中山路商圈
    street: str = Field(max_length=16, index=True)
    zone: str = Field(max_length=8, index=True)
    outside_district: bool = False
    description: str = Field(max_length=600)
    item_code: str | None = Field(default=None, max_length=64, index=True)
    item_name: str | None = Field(default=None, max_length=300)
    item_class: str | None = Field(default=None, max_length=8, index=True)
    item_department: str | None = Field(default=None, max_length=64)
    catalogue_version: str | None = Field(default=None, max_length=64)
    catalogue_date: date | None = None
    status_at_filing: str = Field(max_length=8)  # 已赋权 / 未赋权 / 已收回 / 不确定
    basis: str = Field(max_length=8)  # current basis; a dispute decision may override the filing status
    enforcing_subject: str | None = Field(default=None, max_length=64)
    state: str = Field(default=LeadState.PENDING, max_length=8, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id")
    transfer_to: str | None = Field(default=None, max_length=300)
    rejection_reason: str | None = Field(default=None, max_length=500)
    disputed: bool = False
    routed_to: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class LeadPhoto(SQLModel, table=True):
    """Evidence kept by Telegram file id; the SHA-256 of the downloaded bytes is the record."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=64)
    sha256: str = Field(max_length=64)
    size: int
    added_by: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime = Field(default_factory=utcnow)


class LeadStatusChange(SQLModel, table=True):
    """The visible lifecycle of a lead: one row per state change (and merges, item changes)."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    from_state: str | None = Field(default=None, max_length=8)
    to_state: str = Field(max_length=8)
    by_person_id: int | None = Field(default=None, foreign_key="person.id")
    note: str | None = Field(default=None, max_length=600)


class LeadDispute(SQLModel, table=True):
    """A dispute over the enforcing subject, decided by the zone's legal reviewer."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    reason: str = Field(max_length=500)
    raised_by: int | None = Field(default=None, foreign_key="person.id")
    raised_at: datetime = Field(default_factory=utcnow)
    deadline: datetime = Field(index=True)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, index=True)
    decision: str | None = Field(default=None, max_length=16)  # street / department
    subject: str | None = Field(default=None, max_length=64)
    why: str | None = Field(default=None, max_length=500)


class LeadDraft(SQLModel, table=True):
    """The half-filled /case form of one reporter (at most one), kept until filed or restarted."""

    reporter_id: int = Field(foreign_key="person.id", primary_key=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class LeadDayCounter(SQLModel, table=True):
    """Last number used on one local day: key YYYYMMDD for XS leads, XDYYYYMMDD for joint actions."""

    day: str = Field(primary_key=True, max_length=16)
    last: int = 0


# ---------------------------------------------------------------- numbering


def next_number(*, session: Session, local_day: date) -> str:
    """Allocate the next XS number of the day inside the caller's transaction.

    INSERT ... ON CONFLICT DO NOTHING creates the day's row once; UPDATE ... RETURNING takes the
    row lock (PostgreSQL) or runs under the write lock (SQLite BEGIN IMMEDIATE), so two filings
    never get the same number, and a rolled-back filing gives its number back.
    """
    return lead_number(local_day, next_in_day(session=session, key=f"{local_day:%Y%m%d}"))


def next_in_day(*, session: Session, key: str) -> int:
    """The next value of one day's counter, safe under concurrency on both backends."""
    day = key
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(LeadDayCounter).values(day=day, last=0).on_conflict_do_nothing(index_elements=["day"]))
    result = session.execute(
        update(LeadDayCounter).where(LeadDayCounter.day == day).values(last=LeadDayCounter.last + 1)
        .returning(LeadDayCounter.last)
    )
    return int(result.scalar_one())


# ---------------------------------------------------------------- drafts


def get_draft(*, session: Session, reporter_id: int) -> dict[str, Any] | None:
    draft = session.get(LeadDraft, reporter_id)
    return dict(draft.state) if draft is not None else None


def save_draft(*, session: Session, reporter_id: int, state: dict[str, Any]) -> None:
    draft = session.get(LeadDraft, reporter_id)
    if draft is None:
        draft = LeadDraft(reporter_id=reporter_id, state=state)
    else:
        draft.state = dict(state)  # a new object, so the JSON column is seen as changed
        draft.updated_at = utcnow()
    session.add(draft)


def delete_draft(*, session: Session, reporter_id: int) -> None:
    draft = session.get(LeadDraft, reporter_id)
    if draft is not None:
        session.delete(draft)


# ---------------------------------------------------------------- filing


@dataclass(frozen=True)
class PhotoRecord:
    file_id: str
    file_unique_id: str
    sha256: str
    size: int


def file_lead(
    *,
    session: Session,
    lead: Lead,
    photos: list[PhotoRecord],
    local_day: date,
    actor_telegram_id: int | None,
) -> Lead:
    """Number and insert a lead with its photos, first history row and audit entry."""
    lead.number = next_number(session=session, local_day=local_day)
    session.add(lead)
    session.flush()
    assert lead.id is not None
    for photo in photos:
        session.add(LeadPhoto(lead_id=lead.id, added_by=lead.reporter_id, **photo.__dict__))
    session.add(LeadStatusChange(lead_id=lead.id, to_state=lead.state, by_person_id=lead.reporter_id))
    audit.record(
        session=session, actor_person_id=lead.reporter_id, actor_telegram_id=actor_telegram_id,
        action="lead.file", entity_type="lead", entity_id=lead.number,
        after=snapshot(lead) | {"photos": len(photos)},
    )
    return lead


def snapshot(lead: Lead) -> dict[str, Any]:
    """The audited fields of a lead."""
    return {
        "state": lead.state, "street": lead.street, "item_code": lead.item_code, "basis": lead.basis,
        "enforcing_subject": lead.enforcing_subject, "assignee_id": lead.assignee_id,
        "transfer_to": lead.transfer_to, "rejection_reason": lead.rejection_reason, "disputed": lead.disputed,
        "routed_to": ",".join(str(i) for i in lead.routed_to),
    }


def add_photos(*, session: Session, lead: Lead, photos: list[PhotoRecord], by_person_id: int) -> int:
    """Attach photos to an existing lead (a merged report), skipping ones it already has."""
    assert lead.id is not None
    have = set(session.exec(select(LeadPhoto.file_unique_id).where(LeadPhoto.lead_id == lead.id)).all())
    added = 0
    for photo in photos:
        if photo.file_unique_id in have:
            continue
        session.add(LeadPhoto(lead_id=lead.id, added_by=by_person_id, **photo.__dict__))
        have.add(photo.file_unique_id)
        added += 1
    return added


def record_change(
    *,
    session: Session,
    lead: Lead,
    before: dict[str, Any],
    action: str,
    by_person_id: int | None,
    by_telegram_id: int | None,
    from_state: str | None,
    note: str | None = None,
) -> None:
    """Bump the version, write history and audit for a change already applied to `lead`."""
    assert lead.id is not None
    lead.version += 1
    lead.updated_at = utcnow()
    session.add(lead)
    session.add(LeadStatusChange(lead_id=lead.id, from_state=from_state, to_state=lead.state,
                                 by_person_id=by_person_id, note=note))
    audit.record(session=session, actor_person_id=by_person_id, actor_telegram_id=by_telegram_id,
                 action=action, entity_type="lead", entity_id=lead.number, before=before,
                 after=snapshot(lead) | ({"note": note} if note else {}))


def note_merge(*, session: Session, lead: Lead, by_person_id: int, by_telegram_id: int | None, note: str, photos: int) -> int:
    """A second report merged into an existing lead: history and audit, no state change and no
    version bump (the handlers' buttons stay valid). Returns the history row's id."""
    assert lead.id is not None
    change = LeadStatusChange(lead_id=lead.id, from_state=lead.state, to_state=lead.state,
                              by_person_id=by_person_id, note=note)
    session.add(change)
    audit.record(session=session, actor_person_id=by_person_id, actor_telegram_id=by_telegram_id,
                 action="lead.merge", entity_type="lead", entity_id=lead.number,
                 after={"note": note, "photos_added": photos})
    session.flush()
    assert change.id is not None
    return change.id


# ---------------------------------------------------------------- reads


def by_id(*, session: Session, lead_id: int) -> Lead | None:
    return session.get(Lead, lead_id)


def by_number(*, session: Session, number: str) -> Lead | None:
    return session.exec(select(Lead).where(Lead.number == number)).first()


def photos_of(*, session: Session, lead_id: int) -> list[LeadPhoto]:
    return list(session.exec(select(LeadPhoto).where(LeadPhoto.lead_id == lead_id).order_by(LeadPhoto.id)).all())


def history_of(*, session: Session, lead_id: int) -> list[LeadStatusChange]:
    query = select(LeadStatusChange).where(LeadStatusChange.lead_id == lead_id).order_by(LeadStatusChange.id)
    return list(session.exec(query).all())


def point_of(lead: Lead) -> LeadPoint:
    return LeadPoint(lead.id, lead.item_code, lead.lat, lead.lon, lead.discovered_at,
                     reporter_id=lead.reporter_id, description=lead.description, address=lead.address)


def recent_of_item(*, session: Session, item_code: str, since: datetime) -> list[Lead]:
    """Open leads of one item discovered since `since` (candidates for the duplicate check): a report
    merged into a closed, transferred or rejected lead would reach nobody."""
    query = select(Lead).where(Lead.item_code == item_code, Lead.discovered_at >= since,
                               Lead.state.not_in(TERMINAL_STATES)).order_by(Lead.id)  # type: ignore[attr-defined]
    return list(session.exec(query).all())


def recent_of_reporter(*, session: Session, reporter_id: int, since: datetime) -> list[Lead]:
    query = select(Lead).where(Lead.reporter_id == reporter_id, Lead.reported_at >= since).order_by(Lead.id.desc())  # type: ignore[union-attr]
    return list(session.exec(query).all())


def of_reporter(*, session: Session, reporter_id: int, limit: int = 20) -> list[Lead]:
    """Own leads, newest first."""
    query = select(Lead).where(Lead.reporter_id == reporter_id).order_by(Lead.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list(session.exec(query).all())


def count_of_reporter(*, session: Session, reporter_id: int) -> int:
    return len(session.exec(select(Lead.id).where(Lead.reporter_id == reporter_id)).all())


def in_zone(
    *,
    session: Session,
    zone: str | None,
    states: list[str] | None = None,
    street: str | None = None,
    item_class: str | None = None,
    limit: int = 200,
) -> list[Lead]:
    """Leads of a zone (None = all) with optional filters, newest first."""
    query = select(Lead)
    if zone is not None:
        query = query.where(Lead.zone == zone)
    if states:
        query = query.where(Lead.state.in_(states))  # type: ignore[attr-defined]
    if street:
        query = query.where(Lead.street == street)
    if item_class:
        query = query.where(Lead.item_class == item_class)
    return list(session.exec(query.order_by(Lead.id.desc()).limit(limit)).all())  # type: ignore[union-attr]


def open_dispute(*, session: Session, lead_id: int) -> LeadDispute | None:
    query = select(LeadDispute).where(LeadDispute.lead_id == lead_id, LeadDispute.decided_at == None)  # noqa: E711
    return session.exec(query).first()


def open_disputes(*, session: Session, zone: str | None) -> list[tuple[LeadDispute, Lead]]:
    query = (
        select(LeadDispute, Lead).join(Lead, Lead.id == LeadDispute.lead_id)  # type: ignore[arg-type]
        .where(LeadDispute.decided_at == None).order_by(LeadDispute.deadline)  # noqa: E711
    )
    if zone is not None:
        query = query.where(Lead.zone == zone)
    return [(dispute, lead) for dispute, lead in session.exec(query).all()]


def roster_entries(*, session: Session) -> list[RosterEntry]:
    """Active, bound people as routing sees them (only they can receive a notice)."""
    query = select(Person).where(Person.active == True, Person.telegram_id != None)  # noqa: E711, E712
    return [
        RosterEntry(person_id=p.id or 0, role=p.role, street=p.street, zone=p.zone, department=p.department)
        for p in session.exec(query.order_by(Person.id)).all()
    ]


def people_by_id(*, session: Session, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Person).where(Person.id.in_(ids))).all() if p.id is not None}  # type: ignore[union-attr]


def since_days(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
