"""Meetings, attendance, decisions (决议) and certificate-expiry notices: tables and queries.

Queries here return data; the words and the outbox rows are made in handlers/meeting_notices.py.
Recurring meetings store their rule text and are materialized one occurrence at a time (the next
one is created when the current one starts), so a change of roster or rule never leaves a long
tail of stale rows behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from db import audit
from db.models import Person, Role, utcnow
from knowledge.streets import ZONES, normalize_street
from knowledge.timeparse import parse_recurrence, parse_when

KINDS = ("联席会议", "案件研讨", "培训", "其他")
DEFAULT_OFFSETS = (1440, 60)  # minutes before the start: 1 day and 1 hour
MAX_OFFSETS = 6
MAX_OFFSET_MINUTES = 60 * 24 * 30
CERT_THRESHOLDS = (60, 30, 7)
ROLE_WORDS = {"执法人员": Role.OFFICER, "协调员": Role.COORDINATOR, "法制审核": Role.LEGAL, "管理员": Role.ADMIN}
EVERYONE_WORDS = ("全部", "所有人", "全体", "全员")
CASE_LEAD = re.compile(r"XS-\d{8}-\d{3,}")


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Attendance(StrEnum):
    INVITED = "invited"
    ATTENDING = "attending"
    LEAVE = "leave"


class DecisionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Meeting(SQLModel, table=True):
    """One occurrence of a meeting; `series_id` links the occurrences of a recurring one."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=100)
    organiser_id: int = Field(foreign_key="person.id", index=True)
    starts_at: datetime = Field(index=True)
    place: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    recurrence: str | None = Field(default=None, max_length=64)  # rule text, e.g. 每月第一个周一 9:00
    series_id: int | None = Field(default=None, index=True)
    audience: str = Field(default="", max_length=200)  # what the organiser typed, for display
    agenda: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    offsets: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=16, index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MeetingAttendee(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default=Attendance.INVITED, max_length=16)
    reason: str | None = Field(default=None, max_length=200)
    responded_at: datetime | None = None


class Decision(SQLModel, table=True):
    """A 决议 of a meeting: one owner, one deadline, done or open."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str = Field(max_length=500)
    owner_id: int = Field(foreign_key="person.id", index=True)
    deadline_at: datetime = Field(index=True)
    status: str = Field(default=DecisionStatus.OPEN, max_length=16, index=True)
    done_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class CertificateNotice(SQLModel, table=True):
    """One row per (holder, expiry date, threshold): each reminder is sent exactly once."""

    __table_args__ = (UniqueConstraint("person_id", "expires_on", "threshold_days"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    expires_on: date
    threshold_days: int
    notified: bool = True  # False: threshold passed before the first scan saw it (a tighter one was sent)
    at: datetime = Field(default_factory=utcnow)


# ------------------------------------------------------------------ input parsing


class MeetingInputError(ValueError):
    """Bad organiser input; the message is Chinese and shown as is."""


@dataclass
class Audience:
    people: list[Person] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    outside: list[Person] = field(default_factory=list)  # named explicitly but outside the organiser's zone


def resolve_audience(*, session: Session, text: str, zone: str | None = None) -> Audience:
    """Zone, street, role, 全部 and names (mixed, separated by spaces or 、，,) -> active people.

    Resolved once at creation: a later roster change does not silently change who was invited.
    With `zone` (a squadron coordinator's own zone; the dispatch rule) 全部 and role words mean the
    people of that zone, and anyone named by zone, street or name outside it is in `outside`, for the
    caller to refuse. People without a zone (district-wide) may be invited by anyone.
    """
    active = list(session.exec(select(Person).where(Person.active == True).order_by(Person.id)).all())  # noqa: E712

    def mine(person: Person) -> bool:
        return zone is None or person.zone is None or person.zone == zone

    chosen: dict[int, Person] = {}
    outside: dict[int, Person] = {}
    unknown: list[str] = []
    for token in (t for t in re.split(r"[\s、，,；;]+", text.strip()) if t):
        implicit = False
        if token in EVERYONE_WORDS:
            matches, implicit = active, True
        elif token in ZONES:
            matches = [p for p in active if p.zone == token]
        elif token in ROLE_WORDS:
            matches, implicit = [p for p in active if p.role == ROLE_WORDS[token]], True
        elif (street := normalize_street(token)) is not None:
            matches = [p for p in active if p.street == street]
        else:
            matches = [p for p in active if p.name == token]
            if not matches:
                unknown.append(token)
        for person in matches:
            assert person.id is not None
            if mine(person):
                chosen[person.id] = person
            elif not implicit:
                outside[person.id] = person
    return Audience(people=sorted(chosen.values(), key=lambda p: p.id or 0), unknown=unknown,
                    outside=sorted(outside.values(), key=lambda p: p.id or 0))


def parse_offsets(text: str) -> list[int]:
    """`1440,60,1` -> [1440, 60, 1] (minutes before the start, largest first, no repeats)."""
    parts = [p for p in re.split(r"[\s,，、]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise MeetingInputError("提醒时间请写成分钟数，用逗号分隔，例如 1440,60,1。")
    values = sorted({int(p) for p in parts}, reverse=True)
    if len(values) > MAX_OFFSETS or any(v < 1 or v > MAX_OFFSET_MINUTES for v in values):
        raise MeetingInputError(f"最多 {MAX_OFFSETS} 个提醒，每个在 1 到 {MAX_OFFSET_MINUTES} 分钟之间。")
    return values


@dataclass(frozen=True)
class When:
    starts_at: datetime  # UTC
    recurrence: str | None


def parse_meeting_time(text: str, *, now: datetime, tz: Any) -> When:
    """A one-off time (interface forms) or a rule starting with 每; the first start is in the future."""
    text = text.strip()
    if text.startswith("每"):
        rule = parse_recurrence(text, tz=tz, now=now)
        first = rule.next_after(now.astimezone(tz))
        return When(first.astimezone(UTC), text)
    when = parse_when(text, now=now.astimezone(tz), tz=tz)
    if when <= now:
        raise MeetingInputError("会议时间已经过去，请输入将来的时间。")
    if when - now > timedelta(days=366):
        raise MeetingInputError("会议时间太远（超过一年），请检查。")
    return When(when.astimezone(UTC), None)


def next_occurrence(rule_text: str, after: datetime, tz: Any, anchor: datetime | None = None) -> datetime:
    """The next start of a recurring meeting after `after`, computed in local time, returned in UTC.

    `anchor` (the series' first start) keeps 每两周 on its own weeks.
    """
    rule = parse_recurrence(rule_text, tz=tz)
    if anchor is not None:
        rule = rule.with_anchor(anchor)
    return rule.next_after(after.astimezone(tz)).astimezone(UTC)


# ------------------------------------------------------------------ meetings


def create_meeting(
    *,
    session: Session,
    organiser: Person,
    kind: str,
    title: str,
    starts_at: datetime,
    attendees: list[Person],
    place: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    agenda: list[str] | None = None,
    offsets: list[int] | None = None,
    recurrence: str | None = None,
    audience: str = "",
    series_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Meeting:
    """Insert the meeting and its attendees (the organiser attends by default); audited."""
    if kind not in KINDS:
        raise MeetingInputError("会议类型无效。")
    meeting = Meeting(
        kind=kind, title=title, organiser_id=organiser.id or 0, starts_at=starts_at, place=place,
        latitude=latitude, longitude=longitude, agenda=list(agenda or []),
        offsets=list(offsets if offsets is not None else DEFAULT_OFFSETS), recurrence=recurrence,
        audience=audience, series_id=series_id,
    )
    session.add(meeting)
    session.flush()
    if meeting.series_id is None and recurrence:
        meeting.series_id = meeting.id
    ids = {p.id for p in attendees} | {organiser.id}
    for person_id in sorted(i for i in ids if i is not None):
        status = Attendance.ATTENDING if person_id == organiser.id else Attendance.INVITED
        session.add(MeetingAttendee(meeting_id=meeting.id or 0, person_id=person_id, status=status))
    session.flush()
    audit.record(
        session=session, actor_person_id=organiser.id, actor_telegram_id=actor_telegram_id, action="meeting.create",
        entity_type="meeting", entity_id=meeting.id or 0,
        after={"kind": kind, "title": title, "starts_at": starts_at, "recurrence": recurrence,
               "attendees": len(ids), "offsets": ",".join(map(str, meeting.offsets))},
    )
    return meeting


def attendees(*, session: Session, meeting_id: int) -> list[tuple[MeetingAttendee, Person]]:
    query = (
        select(MeetingAttendee, Person)
        .where(MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.person_id == Person.id)
        .order_by(MeetingAttendee.id)
    )
    return [(a, p) for a, p in session.exec(query).all()]


def attendee(*, session: Session, meeting_id: int, person_id: int) -> MeetingAttendee | None:
    return session.exec(
        select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.person_id == person_id)
    ).first()


def respond(
    *, session: Session, meeting: Meeting, person_id: int, status: Attendance, reason: str | None,
    actor_telegram_id: int | None,
) -> MeetingAttendee | None:
    """Record 参加 / 请假 of an invited person; None when they were not invited."""
    row = attendee(session=session, meeting_id=meeting.id or 0, person_id=person_id)
    if row is None:
        return None
    before = {"status": row.status, "reason": row.reason}
    row.status = status
    row.reason = reason if status == Attendance.LEAVE else None
    row.responded_at = utcnow()
    session.add(row)
    audit.record(
        session=session, actor_person_id=person_id, actor_telegram_id=actor_telegram_id,
        action=f"meeting.{status}", entity_type="meeting", entity_id=meeting.id or 0,
        before=before, after={"status": status, "reason": row.reason},
    )
    return row


def reset_answers(*, session: Session, meeting: Meeting, actor_person_id: int | None,
                  actor_telegram_id: int | None) -> int:
    """A new time voids every 参加 / 请假 (the organiser still attends): everyone is asked again.
    Returns how many answers were reset; audited once."""
    reset = 0
    for row in session.exec(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)).all():
        if row.person_id == meeting.organiser_id or row.status == Attendance.INVITED:
            continue
        row.status, row.reason, row.responded_at = Attendance.INVITED, None, None
        session.add(row)
        reset += 1
    if reset:
        audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                     action="meeting.reset_answers", entity_type="meeting", entity_id=meeting.id or 0,
                     after={"reset": reset})
    return reset


def update_meeting(
    *, session: Session, meeting: Meeting, actor: Person, changes: dict[str, Any], actor_telegram_id: int | None
) -> dict[str, Any]:
    """Apply time/place/status changes, bump the version, audit; returns the previous values."""
    before = {key: getattr(meeting, key) for key in changes}
    for key, value in changes.items():
        setattr(meeting, key, value)
    meeting.version += 1
    meeting.updated_at = utcnow()
    session.add(meeting)
    action = "meeting.cancel" if changes.get("status") == MeetingStatus.CANCELLED else "meeting.change"
    audit.record(
        session=session, actor_person_id=actor.id, actor_telegram_id=actor_telegram_id, action=action,
        entity_type="meeting", entity_id=meeting.id or 0, before=before, after=dict(changes),
    )
    return before


def organised_by(*, session: Session, person_id: int | None, now: datetime, is_admin: bool = False) -> list[Meeting]:
    """Upcoming (and started within the last day) meetings the person organises; admins see all."""
    query = select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at >= now - timedelta(days=1)
    )
    if not is_admin:
        query = query.where(Meeting.organiser_id == person_id)
    return list(session.exec(query.order_by(Meeting.starts_at).limit(20)).all())


def recent_for_decisions(*, session: Session, person_id: int | None, now: datetime, is_admin: bool) -> list[Meeting]:
    """Meetings that already started (last 30 days), for recording decisions."""
    query = select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at <= now,
        Meeting.starts_at >= now - timedelta(days=30),
    )
    if not is_admin:
        query = query.where(Meeting.organiser_id == person_id)
    return list(session.exec(query.order_by(Meeting.starts_at.desc()).limit(10)).all())  # type: ignore[attr-defined]


def upcoming_for(*, session: Session, person_id: int, now: datetime, limit: int = 20) -> list[tuple[Meeting, MeetingAttendee]]:
    query = (
        select(Meeting, MeetingAttendee)
        .where(
            MeetingAttendee.person_id == person_id, MeetingAttendee.meeting_id == Meeting.id,
            Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at >= now,
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return [(m, a) for m, a in session.exec(query).all()]


def attendance_counts(*, session: Session, meeting_id: int) -> dict[str, int]:
    counts = {status.value: 0 for status in Attendance}
    for row, _person in attendees(session=session, meeting_id=meeting_id):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def linked_references(agenda: list[str]) -> list[str]:
    """Case lead numbers mentioned in the agenda (linked once the cases feature is on main)."""
    return sorted({m.group(0) for item in agenda for m in CASE_LEAD.finditer(item)})


# ------------------------------------------------------------------ decisions


def add_decision(
    *, session: Session, meeting: Meeting, text: str, owner: Person, deadline_at: datetime, actor: Person,
    actor_telegram_id: int | None,
) -> Decision:
    decision = Decision(meeting_id=meeting.id or 0, text=text, owner_id=owner.id or 0, deadline_at=deadline_at,
                        created_by=actor.id)
    session.add(decision)
    session.flush()
    audit.record(
        session=session, actor_person_id=actor.id, actor_telegram_id=actor_telegram_id, action="decision.create",
        entity_type="decision", entity_id=decision.id or 0,
        after={"meeting_id": meeting.id, "owner_id": owner.id, "deadline_at": deadline_at, "text": text[:100]},
    )
    return decision


def mark_decision_done(*, session: Session, decision: Decision, actor_person_id: int | None,
                       actor_telegram_id: int | None) -> bool:
    """False when it was already done (a second press changes nothing)."""
    if decision.status == DecisionStatus.DONE:
        return False
    decision.status = DecisionStatus.DONE
    decision.done_at = utcnow()
    session.add(decision)
    audit.record(
        session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
        action="decision.done", entity_type="decision", entity_id=decision.id or 0,
        before={"status": DecisionStatus.OPEN}, after={"status": DecisionStatus.DONE},
    )
    return True


def open_decisions_of(*, session: Session, owner_id: int) -> list[Decision]:
    query = select(Decision).where(Decision.owner_id == owner_id, Decision.status == DecisionStatus.OPEN)
    return list(session.exec(query.order_by(Decision.deadline_at)).all())


def decisions_of_meeting(*, session: Session, meeting_id: int) -> list[Decision]:
    return list(session.exec(select(Decision).where(Decision.meeting_id == meeting_id).order_by(Decision.id)).all())


# ------------------------------------------------------------------ certificates


def expired_certificates(session: Session, person_ids: list[int], on: date) -> list[Person]:
    """People among `person_ids` whose 执法资格证 has expired by `on` (for 持证上岗 in dispatch previews).

    A person with no expiry date on the roster is not listed (unknown, not expired).
    """
    if not person_ids:
        return []
    query = select(Person).where(
        Person.id.in_(person_ids),  # type: ignore[union-attr]
        Person.certificate_expires != None,  # noqa: E711
        Person.certificate_expires < on,  # type: ignore[operator]
    )
    return list(session.exec(query.order_by(Person.id)).all())


@dataclass(frozen=True)
class CertificateDue:
    holder: Person
    threshold_days: int
    days_left: int
    coordinators: list[Person]


def certificate_reminders_due(*, session: Session, today: date) -> list[CertificateDue]:
    """Record every threshold (60/30/7 days) newly crossed; return the ones to notify now.

    When one scan crosses several thresholds at once (a roster imported late), only the tightest
    is notified and the wider ones are recorded as passed, so nobody gets three messages at once.
    """
    horizon = today + timedelta(days=max(CERT_THRESHOLDS))
    holders = session.exec(
        select(Person).where(
            Person.active == True, Person.certificate_expires != None,  # noqa: E711,E712
            Person.certificate_expires >= today, Person.certificate_expires <= horizon,  # type: ignore[operator]
        )
    ).all()
    due: list[CertificateDue] = []
    for holder in holders:
        assert holder.certificate_expires is not None
        days_left = (holder.certificate_expires - today).days
        crossed = [t for t in CERT_THRESHOLDS if days_left <= t]
        done = set(session.exec(
            select(CertificateNotice.threshold_days).where(
                CertificateNotice.person_id == holder.id, CertificateNotice.expires_on == holder.certificate_expires
            )
        ).all())
        new = [t for t in crossed if t not in done]
        if not new:
            continue
        tightest = min(new)
        for threshold in new:
            session.add(CertificateNotice(person_id=holder.id or 0, expires_on=holder.certificate_expires,
                                          threshold_days=threshold, notified=threshold == tightest))
        coordinators = list(session.exec(
            select(Person).where(Person.active == True, Person.role == Role.COORDINATOR,  # noqa: E712
                                 Person.zone == holder.zone, Person.id != holder.id)
        ).all()) if holder.zone else []
        due.append(CertificateDue(holder=holder, threshold_days=tightest, days_left=days_left, coordinators=coordinators))
    session.flush()
    return due
