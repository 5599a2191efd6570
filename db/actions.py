"""Joint actions: the joint item list, plan entries, dispatched actions, answers and results.

Column names are chosen for the export (reports read these tables directly):
`jointaction.number` is the XD number, `actionrecipient.response` is 'none'/'ack'/'decline',
`actionresult.households_checked / problems_found / cases_opened` are 检查户数 / 发现问题数 / 立案数.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, select

from db import audit
from db.models import OutboxMessage, OutboxStatus, Person, Role, utcnow


class JointListItem(SQLModel, table=True):
    """片区联合执法基础事项清单: a catalogue item code admitted to joint enforcement (by 区城管局)."""

    id: int | None = Field(default=None, primary_key=True)
    item_code: str = Field(max_length=64, unique=True, index=True)
    active: bool = True
    added_by: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None


class PlanEntry(SQLModel, table=True):
    """One line of the joint-enforcement plan: 计划之外无检查."""

    id: int | None = Field(default=None, primary_key=True)
    item_code: str = Field(max_length=64, index=True)
    zone: str = Field(max_length=8, index=True)
    frequency: str = Field(max_length=32)  # e.g. 每月一次
    lead_department: str = Field(max_length=64)
    period_start: date
    period_end: date
    active: bool = True
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class ActionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class JointAction(SQLModel, table=True):
    """One dispatched joint action (XD-YYYYMMDD-NN)."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_by_telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    scope_kind: str = Field(max_length=8)  # zone / streets / people
    zone: str | None = Field(default=None, max_length=8, index=True)
    streets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(index=True)
    place_text: str = Field(max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    plan_entry_id: int | None = Field(default=None, foreign_key="planentry.id", index=True)
    off_plan_reason: str | None = Field(default=None, max_length=300)  # 临时任务：… when not in the plan
    lead_department: str = Field(max_length=64)
    task: str = Field(max_length=1000)
    status: str = Field(default=ActionStatus.ACTIVE, max_length=12, index=True)
    version: int = 1  # bumped by every change of time or place
    board_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    board_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    cancelled_at: datetime | None = None

    @property
    def off_plan(self) -> bool:
        return self.plan_entry_id is None


class Response(StrEnum):
    NONE = "none"
    ACK = "ack"
    DECLINE = "decline"


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ActionRecipient(SQLModel, table=True):
    """One person called to one action, with their answer."""

    __table_args__ = (UniqueConstraint("action_id", "person_id", name="uq_actionrecipient_action_person"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="jointaction.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    response: str = Field(default=Response.NONE, max_length=8)
    decline_reason: str | None = Field(default=None, max_length=300)  # 请假 / 另有任务 / free text
    responded_at: datetime | None = None
    delivery: str = Field(default=Delivery.PENDING, max_length=8)
    delivery_error: str | None = Field(default=None, max_length=300)
    nudges_sent: int = 0
    escalated_at: datetime | None = None


class ActionResult(SQLModel, table=True):
    """What the action achieved, recorded by the coordinator afterwards."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="jointaction.id", unique=True, index=True)
    households_checked: int  # 检查户数
    problems_found: int  # 发现问题数
    cases_opened: int  # 立案数
    notes: str | None = Field(default=None, max_length=2000)
    photo_file_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow)


# ------------------------------------------------------------------------------ errors


class ActionError(Exception):
    """A rule refused the change; the message is Chinese and shown as is."""


# ------------------------------------------------------------------------------ joint list and plan


def joint_list(*, session: Session) -> list[JointListItem]:
    query = select(JointListItem).where(JointListItem.active == True).order_by(JointListItem.item_code)  # noqa: E712
    return list(session.exec(query).all())


def add_to_joint_list(*, session: Session, item_code: str, actor_person_id: int | None, actor_telegram_id: int | None) -> bool:
    """Admit an item; False when it is already in the list."""
    row = session.exec(select(JointListItem).where(JointListItem.item_code == item_code)).first()
    if row is not None and row.active:
        return False
    if row is None:
        row = JointListItem(item_code=item_code, added_by=actor_person_id)
    row.active, row.removed_at, row.added_at, row.added_by = True, None, utcnow(), actor_person_id
    session.add(row)
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                 action="jointlist.add", entity_type="jointlist", entity_id=item_code, after={"active": True})
    return True


def remove_from_joint_list(*, session: Session, item_code: str, actor_person_id: int | None, actor_telegram_id: int | None) -> bool:
    row = session.exec(select(JointListItem).where(JointListItem.item_code == item_code)).first()
    if row is None or not row.active:
        return False
    row.active, row.removed_at = False, utcnow()
    session.add(row)
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                 action="jointlist.remove", entity_type="jointlist", entity_id=item_code,
                 before={"active": True}, after={"active": False})
    return True


def in_joint_list(*, session: Session, item_code: str) -> bool:
    return session.exec(
        select(JointListItem.id).where(JointListItem.item_code == item_code, JointListItem.active == True)  # noqa: E712
    ).first() is not None


def add_plan_entry(
    *, session: Session, item_code: str, zone: str, frequency: str, lead_department: str,
    period_start: date, period_end: date, actor_person_id: int | None, actor_telegram_id: int | None,
    not_in_list_message: str, bad_period_message: str,
) -> PlanEntry:
    """Only items of the joint list can be planned; the period must not run backwards."""
    if not in_joint_list(session=session, item_code=item_code):
        raise ActionError(not_in_list_message)
    if period_end < period_start:
        raise ActionError(bad_period_message)
    entry = PlanEntry(item_code=item_code, zone=zone, frequency=frequency, lead_department=lead_department,
                      period_start=period_start, period_end=period_end, created_by=actor_person_id)
    session.add(entry)
    session.flush()
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                 action="plan.add", entity_type="plan", entity_id=entry.id or 0,
                 after={"item_code": item_code, "zone": zone, "frequency": frequency})
    return entry


def remove_plan_entry(*, session: Session, entry_id: int, actor_person_id: int | None, actor_telegram_id: int | None) -> bool:
    entry = session.get(PlanEntry, entry_id)
    if entry is None or not entry.active:
        return False
    entry.active = False
    session.add(entry)
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                 action="plan.remove", entity_type="plan", entity_id=entry_id, before={"active": True}, after={"active": False})
    return True


@dataclass(frozen=True)
class PlanDue:
    entry: PlanEntry
    actions_this_month: int


def plan_due_in_month(*, session: Session, zone: str | None, today: date, tz: ZoneInfo) -> list[PlanDue]:
    """Active entries whose period covers this month (zone=None: both zones), with how many
    actions referencing them started this month."""
    first = today.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    query = select(PlanEntry).where(
        PlanEntry.active == True, PlanEntry.period_start < nxt, PlanEntry.period_end >= first  # noqa: E712
    )
    if zone is not None:
        query = query.where(PlanEntry.zone == zone)
    entries = list(session.exec(query.order_by(PlanEntry.zone, PlanEntry.id)).all())
    start = datetime(first.year, first.month, 1, tzinfo=tz)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
    counts: dict[int, int] = dict(
        session.exec(
            select(JointAction.plan_entry_id, func.count())
            .where(JointAction.status == ActionStatus.ACTIVE, JointAction.starts_at >= start, JointAction.starts_at < end,
                   JointAction.plan_entry_id != None)  # noqa: E711
            .group_by(JointAction.plan_entry_id)
        ).all()
    )
    return [PlanDue(entry, counts.get(entry.id or 0, 0)) for entry in entries]


def plan_entries_for(*, session: Session, zone: str | None, on: date) -> list[PlanEntry]:
    """Entries a dispatch may reference: active, period covering `on`, in the zone (None: any)."""
    query = select(PlanEntry).where(PlanEntry.active == True, PlanEntry.period_start <= on, PlanEntry.period_end >= on)  # noqa: E712
    if zone is not None:
        query = query.where(PlanEntry.zone == zone)
    return list(session.exec(query.order_by(PlanEntry.id)).all())


# ------------------------------------------------------------------------------ recipients


@dataclass
class Scope:
    """Who a dispatch calls: a zone, some streets, or named people."""

    kind: str  # zone / streets / people
    zone: str | None = None
    streets: list[str] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)


def resolve_recipients(*, session: Session, scope: Scope, zone_of: Any) -> list[Person]:
    """Every active officer of the zone or streets (district staff of that zone included);
    coordinators, legal reviewers and admins only when named."""
    active = select(Person).where(Person.active == True)  # noqa: E712
    if scope.kind == "people":
        if not scope.person_ids:
            return []
        return list(session.exec(active.where(Person.id.in_(scope.person_ids)).order_by(Person.id)).all())  # type: ignore[union-attr]
    officers = active.where(Person.role == Role.OFFICER)
    if scope.kind == "zone":
        return list(session.exec(officers.where(Person.zone == scope.zone).order_by(Person.id)).all())
    zones = {zone_of(street) for street in scope.streets} - {None}
    rows = session.exec(officers.where(Person.zone.in_(zones)).order_by(Person.id)).all()  # type: ignore[union-attr]
    return [p for p in rows if p.street in scope.streets or p.street is None]


def people_by_names(*, session: Session, names: list[str]) -> tuple[list[Person], list[str]]:
    """Active people with exactly these names, and the names nobody has."""
    found = list(session.exec(select(Person).where(Person.active == True, Person.name.in_(names)).order_by(Person.id)).all())  # type: ignore[attr-defined]  # noqa: E712
    known = {p.name for p in found}
    return found, [n for n in names if n not in known]


# ------------------------------------------------------------------------------ actions


def next_number(*, session: Session, local_day: date) -> str:
    """XD-YYYYMMDD-NN from a per-day counter row (two coordinators confirming at once get two numbers)."""
    from db.cases import next_in_day

    return f"XD-{local_day:%Y%m%d}-{next_in_day(session=session, key=f'XD{local_day:%Y%m%d}'):02d}"


def create_action(
    *, session: Session, action: JointAction, recipients: list[Person], local_day: date, actor_person_id: int | None,
) -> tuple[JointAction, list[ActionRecipient]]:
    """Insert the action and one recipient row per person; the caller adds outbox rows."""
    action.number = next_number(session=session, local_day=local_day)
    session.add(action)
    session.flush()
    rows = []
    for person in recipients:
        row = ActionRecipient(action_id=action.id or 0, person_id=person.id or 0)
        if person.telegram_id is None:
            row.delivery, row.delivery_error = Delivery.FAILED, "unbound"
        session.add(row)
        rows.append(row)
    session.flush()
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=action.created_by_telegram_id,
                 action="dispatch.create", entity_type="action", entity_id=action.number,
                 after={"recipients": len(rows), "starts_at": action.starts_at.isoformat(), "zone": action.zone,
                        "plan_entry_id": action.plan_entry_id, "off_plan_reason": action.off_plan_reason})
    return action, rows


def action_by_id(*, session: Session, action_id: int) -> JointAction | None:
    return session.get(JointAction, action_id)


def live_version(*, session: Session, action_id: int) -> int | None:
    """The action's current version while it is active; None once cancelled or gone. The
    delivery worker drops a notice queued for another version (issue 13.12)."""
    action = session.get(JointAction, action_id)
    return action.version if action is not None and action.status == ActionStatus.ACTIVE else None


def action_by_number(*, session: Session, number: str) -> JointAction | None:
    return session.exec(select(JointAction).where(JointAction.number == number)).first()


def recipients_of(*, session: Session, action_id: int) -> list[tuple[ActionRecipient, Person]]:
    query = (
        select(ActionRecipient, Person)
        .where(ActionRecipient.action_id == action_id, ActionRecipient.person_id == Person.id)
        .order_by(ActionRecipient.id)
    )
    return [(r, p) for r, p in session.exec(query).all()]


def answer(
    *, session: Session, recipient: ActionRecipient, response: Response, reason: str | None, actor_telegram_id: int,
) -> None:
    before = {"response": recipient.response, "reason": recipient.decline_reason}
    recipient.response = response
    recipient.decline_reason = reason if response == Response.DECLINE else None
    recipient.responded_at = utcnow()
    session.add(recipient)
    audit.record(session=session, actor_person_id=recipient.person_id, actor_telegram_id=actor_telegram_id,
                 action=f"dispatch.{response}", entity_type="recipient", entity_id=recipient.id or 0,
                 before=before, after={"response": response, "reason": recipient.decline_reason})


@dataclass(frozen=True)
class BoardCounts:
    acked: list[str]
    declined: list[tuple[str, str | None]]
    silent: list[str]
    failed: list[str]
    delayed: list[tuple[str, datetime]] = field(default_factory=list)  # name, expected send time


def delayed_notices(*, session: Session, action_id: int, now: datetime) -> dict[int, datetime]:
    """recipient id -> when its message will be tried again, for messages Telegram is holding back
    (a 429 with retry_after, or a backoff after a 5xx): pending, tried, next attempt in the future."""
    query = select(OutboxMessage.ref_id, OutboxMessage.next_attempt_at).where(
        OutboxMessage.ref_type == "dispatch", OutboxMessage.ref_id.like(f"{action_id}:%"),  # type: ignore[union-attr]
        OutboxMessage.method == "send_message", OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at > now,
    )
    delayed: dict[int, datetime] = {}
    for ref_id, next_at in session.exec(query).all():
        recipient_id = int((ref_id or "0:0").split(":")[1])
        delayed[recipient_id] = max(next_at, delayed.get(recipient_id, next_at))
    return delayed


def board_counts(*, session: Session, action_id: int, now: datetime | None = None) -> BoardCounts:
    """Who answered what; the silent whose message is still held back by Telegram are `delayed`,
    not silent, so the board never claims a notice arrived before it did."""
    delayed_until = delayed_notices(session=session, action_id=action_id, now=now or utcnow())
    acked, declined, silent, failed, delayed = [], [], [], [], []
    for row, person in recipients_of(session=session, action_id=action_id):
        if row.response == Response.ACK:
            acked.append(person.name)
        elif row.response == Response.DECLINE:
            declined.append((person.name, row.decline_reason))
        elif row.delivery == Delivery.FAILED:
            failed.append(person.name)
        elif (row.id or 0) in delayed_until:
            delayed.append((person.name, delayed_until[row.id or 0]))
        else:
            silent.append(person.name)
    return BoardCounts(acked, declined, silent, failed, delayed)


def reset_answers(*, session: Session, action: JointAction, actor_person_id: int | None, actor_telegram_id: int) -> int:
    """The time changed: every answer is asked again (the audit keeps the old ones)."""
    count = 0
    for row, _person in recipients_of(session=session, action_id=action.id or 0):
        if row.response == Response.NONE:
            continue
        before = {"response": row.response, "reason": row.decline_reason}
        row.response, row.decline_reason, row.responded_at = Response.NONE, None, None
        row.nudges_sent, row.escalated_at = 0, None
        session.add(row)
        audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                     action="dispatch.reconfirm", entity_type="recipient", entity_id=row.id or 0,
                     before=before, after={"response": Response.NONE})
        count += 1
    return count


@dataclass(frozen=True)
class UpcomingAction:
    """One line of someone's /agenda: an action they were called to (and did not decline) or dispatched."""

    action: JointAction
    dispatched: bool
    response: str | None  # None when only dispatched by them


def upcoming_for(*, session: Session, person_id: int, now: datetime, limit: int = 20) -> list[UpcomingAction]:
    """Active actions starting after `now` that concern this person, soonest first."""
    live = (JointAction.status == ActionStatus.ACTIVE, JointAction.starts_at > now)
    called = session.exec(
        select(JointAction, ActionRecipient)
        .where(*live, ActionRecipient.action_id == JointAction.id, ActionRecipient.person_id == person_id,
               ActionRecipient.response != Response.DECLINE)
        .order_by(JointAction.starts_at).limit(limit)
    ).all()
    mine = session.exec(
        select(JointAction).where(*live, JointAction.created_by == person_id).order_by(JointAction.starts_at).limit(limit)
    ).all()
    found: dict[int, UpcomingAction] = {a.id or 0: UpcomingAction(a, True, None) for a in mine}
    for action, row in called:
        found[action.id or 0] = UpcomingAction(action, (action.id or 0) in found, row.response)
    return sorted(found.values(), key=lambda u: u.action.starts_at)[:limit]


def save_result(
    *, session: Session, action: JointAction, households_checked: int, problems_found: int, cases_opened: int,
    notes: str | None, photo_file_ids: list[str], actor_person_id: int | None, actor_telegram_id: int,
) -> ActionResult:
    """One result per action; recording again replaces the figures (kept in the audit)."""
    result = session.exec(select(ActionResult).where(ActionResult.action_id == action.id)).first()
    before = None
    if result is None:
        result = ActionResult(action_id=action.id or 0, households_checked=0, problems_found=0, cases_opened=0)
    else:
        before = {"households_checked": result.households_checked, "problems_found": result.problems_found,
                  "cases_opened": result.cases_opened}
    result.households_checked, result.problems_found, result.cases_opened = households_checked, problems_found, cases_opened
    result.notes, result.photo_file_ids = notes, photo_file_ids
    result.recorded_by, result.recorded_at = actor_person_id, utcnow()
    session.add(result)
    audit.record(session=session, actor_person_id=actor_person_id, actor_telegram_id=actor_telegram_id,
                 action="dispatch.result", entity_type="action", entity_id=action.number, before=before,
                 after={"households_checked": households_checked, "problems_found": problems_found,
                        "cases_opened": cases_opened, "photos": len(photo_file_ids)})
    return result


def result_of(*, session: Session, action_id: int) -> ActionResult | None:
    return session.exec(select(ActionResult).where(ActionResult.action_id == action_id)).first()


def notice_rows(*, session: Session, action_id: int) -> list[OutboxMessage]:
    """Outbox rows of the notices (and their locations, nudges, reminders) of one action."""
    query = select(OutboxMessage).where(
        OutboxMessage.ref_type == "dispatch", OutboxMessage.ref_id.like(f"{action_id}:%")  # type: ignore[union-attr]
    )
    return list(session.exec(query.order_by(OutboxMessage.id)).all())
