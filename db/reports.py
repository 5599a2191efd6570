"""Statistics, the 闽执法 export and the weekly summaries: read the feature tables, store summaries.

Scopes: a zone (None = district), a street, an item class. The street filter applies to leads,
disputes and actions (an action counts for a street it was sent to); the class filter to leads and
disputes (actions and meetings carry no class). Meetings belong to their organiser's zone.
Counts of leads and actions are for the period; overdue decisions and disputes are the backlog
as of `now` (what is late today matters, whenever it was set).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, UniqueConstraint, inspect
from sqlmodel import Column, Field, Session, SQLModel, select

import texts
from db.actions import ActionRecipient, ActionResult, ActionStatus, JointAction, PlanEntry, Response
from db.cases import Lead, LeadDispute, LeadPhoto, LeadStatusChange
from db.catalogue import CatalogueEntry
from db.meetings import Attendance, Decision, DecisionStatus, Meeting, MeetingAttendee, MeetingStatus
from db.models import AuditEntry, Person, utcnow
from knowledge.cases import LeadState
from knowledge.export import Sheet
from knowledge.stats import Period, Stats, StatsScope, median_duration


class WeeklySummary(SQLModel, table=True):
    """One weekly summary per (ISO week, scope), kept with its chart.

    Why store the PNG: the outbox payload is JSON, and the summary must show the figures as of
    the scheduled moment even when it is delivered late; ~60 KB a week per scope is nothing.
    The unique key makes the weekly scan create each summary exactly once, across restarts.
    """

    __table_args__ = (UniqueConstraint("week", "scope_key", name="uq_weeklysummary_week_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=10, index=True)  # 2026-W48
    scope_key: str = Field(max_length=16)  # zone name, or "全区"
    caption: str = Field(max_length=1024)
    png: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow)


def as_utc(moment: datetime | None) -> datetime | None:
    """Columns come back naive (UTC) on both backends; make them aware."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start, end = period.bounds(tz)
    return start.astimezone(UTC), end.astimezone(UTC)


# ---------------------------------------------------------------- selections shared by stats and export


def leads_in(*, session: Session, scope: StatsScope, start: datetime, end: datetime) -> list[Lead]:
    query = select(Lead).where(Lead.reported_at >= start, Lead.reported_at < end)
    if scope.zone:
        query = query.where(Lead.zone == scope.zone)
    if scope.street:
        query = query.where(Lead.street == scope.street)
    if scope.item_class:
        query = query.where(Lead.item_class == scope.item_class)
    return list(session.exec(query.order_by(Lead.reported_at, Lead.id)).all())


def _zones_of_people(session: Session, ids: Iterable[int | None]) -> dict[int, str | None]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.zone).where(Person.id.in_(wanted))).all()  # type: ignore[union-attr]
    return {pid: zone for pid, zone in rows if pid is not None}


def actions_in(*, session: Session, scope: StatsScope, start: datetime, end: datetime,
               include_cancelled: bool = False) -> list[JointAction]:
    """Actions starting in [start, end); an action sent to named people belongs to its sender's zone."""
    query = select(JointAction).where(JointAction.starts_at >= start, JointAction.starts_at < end)
    if not include_cancelled:
        query = query.where(JointAction.status == ActionStatus.ACTIVE)
    actions = list(session.exec(query.order_by(JointAction.starts_at, JointAction.id)).all())
    creators = _zones_of_people(session, (a.created_by for a in actions))

    def fits(action: JointAction) -> bool:
        zone = action.zone or creators.get(action.created_by or 0)
        if scope.zone and zone != scope.zone:
            return False
        return not scope.street or scope.street in (action.streets or [])

    return [a for a in actions if fits(a)]


def meetings_in(*, session: Session, zone: str | None, start: datetime, end: datetime,
                include_cancelled: bool = False) -> list[Meeting]:
    query = select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at < end)
    if not include_cancelled:
        query = query.where(Meeting.status == MeetingStatus.SCHEDULED)
    meetings = list(session.exec(query.order_by(Meeting.starts_at, Meeting.id)).all())
    if zone is None:
        return meetings
    organisers = _zones_of_people(session, (m.organiser_id for m in meetings))
    return [m for m in meetings if organisers.get(m.organiser_id) == zone]


def _lead_filter(query, scope: StatsScope):  # type: ignore[no-untyped-def]
    if scope.zone:
        query = query.where(Lead.zone == scope.zone)
    if scope.street:
        query = query.where(Lead.street == scope.street)
    if scope.item_class:
        query = query.where(Lead.item_class == scope.item_class)
    return query


# ---------------------------------------------------------------- statistics


def compute_stats(*, session: Session, scope: StatsScope, period: Period, now: datetime, tz: ZoneInfo) -> Stats:
    """Every figure of /stats and the weekly summary for one scope and period."""
    start, end = _utc_bounds(period, tz)
    now = now.astimezone(UTC)
    stats = Stats(scope=scope, period=period)

    leads = leads_in(session=session, scope=scope, start=start, end=end)
    stats.leads_by_state = {state.value: 0 for state in LeadState}
    for lead in leads:
        stats.leads_by_state[lead.state] = stats.leads_by_state.get(lead.state, 0) + 1
    firsts = _first_reached(session, [lead.id for lead in leads if lead.id is not None])
    to_accept, to_close = [], []
    for lead in leads:
        reported = as_utc(lead.reported_at)
        accepted = firsts.get((lead.id or 0, LeadState.ACCEPTED.value))
        closed = firsts.get((lead.id or 0, LeadState.CLOSED.value))
        if accepted and reported:
            to_accept.append(accepted - reported)
        if closed and reported:
            to_close.append(closed - reported)
    stats.median_to_accept = median_duration(to_accept)
    stats.median_to_close = median_duration(to_close)

    actions = actions_in(session=session, scope=scope, start=start, end=end)
    stats.actions_planned = sum(1 for a in actions if a.plan_entry_id is not None)
    stats.actions_off_plan = len(actions) - stats.actions_planned
    action_ids = [a.id for a in actions if a.id is not None]
    if action_ids:
        responses = session.exec(
            select(ActionRecipient.response).where(ActionRecipient.action_id.in_(action_ids))  # type: ignore[attr-defined]
        ).all()
        stats.recipients = len(responses)
        stats.acknowledged = sum(1 for r in responses if r == Response.ACK)
        stats.declined = sum(1 for r in responses if r == Response.DECLINE)

    meeting_zone = scope.zone
    meetings = meetings_in(session=session, zone=meeting_zone, start=start, end=end)
    stats.meetings = len(meetings)
    meeting_ids = [m.id for m in meetings if m.id is not None]
    if meeting_ids:
        answers = session.exec(
            select(MeetingAttendee.status).where(MeetingAttendee.meeting_id.in_(meeting_ids))  # type: ignore[attr-defined]
        ).all()
        stats.invited = len(answers)
        stats.attending = sum(1 for a in answers if a == Attendance.ATTENDING)

    open_decisions = session.exec(
        select(Decision, Meeting).join(Meeting, Meeting.id == Decision.meeting_id)  # type: ignore[arg-type]
        .where(Decision.status == DecisionStatus.OPEN)
    ).all()
    organisers = _zones_of_people(session, (m.organiser_id for _d, m in open_decisions))
    in_scope = [d for d, m in open_decisions if meeting_zone is None or organisers.get(m.organiser_id) == meeting_zone]
    stats.decisions_open = len(in_scope)
    stats.decisions_overdue = sum(1 for d in in_scope if (as_utc(d.deadline_at) or now) < now)

    disputes = session.exec(
        _lead_filter(select(LeadDispute).join(Lead, Lead.id == LeadDispute.lead_id), scope)  # type: ignore[arg-type]
        .where(LeadDispute.decided_at == None)  # noqa: E711
    ).all()
    stats.disputes_open = len(disputes)
    stats.disputes_overdue = sum(1 for d in disputes if (as_utc(d.deadline) or now) < now)
    return stats


def _first_reached(session: Session, lead_ids: list[int]) -> dict[tuple[int, str], datetime]:
    """(lead id, state) -> when the lead first reached that state (受理 / 办结)."""
    if not lead_ids:
        return {}
    rows = session.exec(
        select(LeadStatusChange.lead_id, LeadStatusChange.to_state, LeadStatusChange.at)
        .where(LeadStatusChange.lead_id.in_(lead_ids),  # type: ignore[attr-defined]
               LeadStatusChange.to_state.in_([LeadState.ACCEPTED.value, LeadState.CLOSED.value]))  # type: ignore[attr-defined]
    ).all()
    firsts: dict[tuple[int, str], datetime] = {}
    for lead_id, state, at in rows:
        moment = as_utc(at)
        key = (lead_id, state)
        if moment is not None and (key not in firsts or moment < firsts[key]):
            firsts[key] = moment
    return firsts


# ---------------------------------------------------------------- export


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    aware = as_utc(moment)
    return None if aware is None else aware.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _yes(flag: bool) -> str:
    return texts.EXPORT_YES if flag else texts.EXPORT_NO


def _people(session: Session, ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in session.exec(select(Person).where(Person.id.in_(wanted))).all() if p.id is not None}  # type: ignore[union-attr]


def _catalogue(session: Session, codes: Iterable[str | None]) -> dict[str, CatalogueEntry]:
    """Newest catalogue entry of each code (name and legal basis for the export)."""
    wanted = {c for c in codes if c}
    if not wanted or not inspect(session.connection()).has_table(CatalogueEntry.__tablename__):
        return {}  # the catalogue's own migration may not have run yet: export without the basis
    rows = session.exec(
        select(CatalogueEntry).where(CatalogueEntry.code.in_(wanted)).order_by(CatalogueEntry.version_id)  # type: ignore[attr-defined]
    ).all()
    return {row.code: row for row in rows}  # later versions overwrite earlier ones


def _name_cert(person: Person | None) -> str:
    if person is None:
        return ""
    return f"{person.name}（{person.certificate_no}）" if person.certificate_no else person.name


def export_sheets(*, session: Session, zone: str | None, since: datetime, until: datetime, tz: ZoneInfo) -> list[Sheet]:
    """The four sheets for [since, until): leads by report time, actions and meetings by start,
    disputes by the time they were raised."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    scope = StatsScope(zone=zone)
    return [
        _lead_sheet(session, leads_in(session=session, scope=scope, start=since, end=until), tz),
        _action_sheet(session, actions_in(session=session, scope=scope, start=since, end=until,
                                          include_cancelled=True), tz),
        _meeting_sheet(session, meetings_in(session=session, zone=zone, start=since, end=until,
                                            include_cancelled=True), tz),
        _dispute_sheet(session, zone, since, until, tz),
    ]


def _lead_sheet(session: Session, leads: list[Lead], tz: ZoneInfo) -> Sheet:
    ids = [lead.id for lead in leads if lead.id is not None]
    photos: dict[int, list[str]] = defaultdict(list)
    firsts = _first_reached(session, ids)
    if ids:
        for photo in session.exec(select(LeadPhoto).where(LeadPhoto.lead_id.in_(ids)).order_by(LeadPhoto.id)).all():  # type: ignore[attr-defined]
            photos[photo.lead_id].append(photo.sha256)
    people = _people(session, [lead.reporter_id for lead in leads] + [lead.assignee_id for lead in leads])
    catalogue = _catalogue(session, (lead.item_code for lead in leads))
    sheet = Sheet(texts.EXPORT_SHEET_LEADS, texts.EXPORT_LEAD_COLUMNS)
    for lead in leads:
        reporter, assignee = people.get(lead.reporter_id), people.get(lead.assignee_id or 0)
        entry = catalogue.get(lead.item_code or "")
        shas = photos.get(lead.id or 0, [])
        sheet.rows.append([
            lead.number, _local(lead.discovered_at, tz), _local(lead.reported_at, tz),
            reporter.name if reporter else None, reporter.certificate_no if reporter else None,
            lead.zone, lead.street, lead.community, lead.area, lead.address, lead.lat, lead.lon, lead.accuracy_m,
            _yes(lead.outside_district), lead.description, lead.item_code,
            lead.item_name or (entry.name if entry else None), lead.item_class,
            lead.item_department or (entry.department if entry else None), entry.legal_basis if entry else None,
            lead.catalogue_version, lead.status_at_filing, lead.basis, lead.enforcing_subject, lead.state,
            assignee.name if assignee else None, assignee.certificate_no if assignee else None,
            _local(firsts.get((lead.id or 0, LeadState.ACCEPTED.value)), tz),
            _local(firsts.get((lead.id or 0, LeadState.CLOSED.value)), tz),
            lead.transfer_to, lead.rejection_reason, _yes(lead.disputed), len(shas), ";".join(shas),
        ])
    return sheet


def _action_sheet(session: Session, actions: list[JointAction], tz: ZoneInfo) -> Sheet:
    ids = [a.id for a in actions if a.id is not None]
    recipients: dict[int, list[tuple[ActionRecipient, Person]]] = defaultdict(list)
    results: dict[int, ActionResult] = {}
    if ids:
        rows = session.exec(
            select(ActionRecipient, Person).where(ActionRecipient.action_id.in_(ids),  # type: ignore[attr-defined]
                                                  ActionRecipient.person_id == Person.id).order_by(ActionRecipient.id)
        ).all()
        for recipient, person in rows:
            recipients[recipient.action_id].append((recipient, person))
        results = {r.action_id: r for r in session.exec(select(ActionResult).where(ActionResult.action_id.in_(ids))).all()}  # type: ignore[attr-defined]
    plan_ids = {a.plan_entry_id for a in actions if a.plan_entry_id is not None}
    plans = {p.id: p for p in session.exec(select(PlanEntry).where(PlanEntry.id.in_(plan_ids))).all()} if plan_ids else {}  # type: ignore[union-attr]
    catalogue = _catalogue(session, (p.item_code for p in plans.values()))
    creators = _people(session, (a.created_by for a in actions))
    sheet = Sheet(texts.EXPORT_SHEET_ACTIONS, texts.EXPORT_ACTION_COLUMNS)
    for action in actions:
        called = recipients.get(action.id or 0, [])
        plan = plans.get(action.plan_entry_id or 0)
        entry = catalogue.get(plan.item_code) if plan else None
        result = results.get(action.id or 0)
        creator = creators.get(action.created_by or 0)
        acked = [p.name for r, p in called if r.response == Response.ACK]
        declined = [f"{p.name}（{r.decline_reason or ''}）" for r, p in called if r.response == Response.DECLINE]
        silent = [p.name for r, p in called if r.response == Response.NONE and r.delivery != "failed"]
        failed = [p.name for r, p in called if r.response == Response.NONE and r.delivery == "failed"]
        sheet.rows.append([
            action.number, _local(action.created_at, tz), _local(action.starts_at, tz), action.place_text,
            action.latitude, action.longitude, action.zone, "、".join(action.streets or []), action.lead_department,
            action.task, texts.EXPORT_ACTION_STATUS.get(action.status, action.status), _yes(plan is not None),
            plan.item_code if plan else None, entry.name if entry else None, entry.legal_basis if entry else None,
            plan.frequency if plan else None, action.off_plan_reason, creator.name if creator else None,
            "；".join(_name_cert(p) for _r, p in called), "、".join(acked), "、".join(declined), "、".join(silent),
            "、".join(failed),
            result.households_checked if result else None, result.problems_found if result else None,
            result.cases_opened if result else None, result.notes if result else None,
            len(result.photo_file_ids) if result else None, ";".join(result.photo_file_ids) if result else None,
            _local(result.recorded_at, tz) if result else None,
        ])
    return sheet


def _meeting_sheet(session: Session, meetings: list[Meeting], tz: ZoneInfo) -> Sheet:
    ids = [m.id for m in meetings if m.id is not None]
    attendees: dict[int, list[tuple[MeetingAttendee, Person]]] = defaultdict(list)
    decisions: dict[int, list[Decision]] = defaultdict(list)
    if ids:
        rows = session.exec(
            select(MeetingAttendee, Person).where(MeetingAttendee.meeting_id.in_(ids),  # type: ignore[attr-defined]
                                                  MeetingAttendee.person_id == Person.id).order_by(MeetingAttendee.id)
        ).all()
        for row, person in rows:
            attendees[row.meeting_id].append((row, person))
        for decision in session.exec(select(Decision).where(Decision.meeting_id.in_(ids)).order_by(Decision.id)).all():  # type: ignore[attr-defined]
            decisions[decision.meeting_id].append(decision)
    owners = _people(session, [d.owner_id for ds in decisions.values() for d in ds] + [m.organiser_id for m in meetings])
    now = utcnow()
    sheet = Sheet(texts.EXPORT_SHEET_MEETINGS, texts.EXPORT_MEETING_COLUMNS)
    for meeting in meetings:
        rows = attendees.get(meeting.id or 0, [])
        own = decisions.get(meeting.id or 0, [])
        decision_lines = [
            f"{d.text}｜{owners[d.owner_id].name if d.owner_id in owners else ''}｜{_local(d.deadline_at, tz)}"
            f"｜{texts.EXPORT_DECISION_STATUS.get(d.status, d.status)}"
            for d in own
        ]
        overdue = sum(1 for d in own if d.status == DecisionStatus.OPEN and (as_utc(d.deadline_at) or now) < now)
        organiser = owners.get(meeting.organiser_id)
        sheet.rows.append([
            f"HY-{meeting.id}", meeting.kind, meeting.title, _local(meeting.starts_at, tz), meeting.place,
            meeting.latitude, meeting.longitude, organiser.name if organiser else None,
            texts.EXPORT_MEETING_STATUS.get(meeting.status, meeting.status), meeting.audience,
            "；".join(meeting.agenda or []), len(rows),
            "、".join(p.name for r, p in rows if r.status == Attendance.ATTENDING),
            "、".join(f"{p.name}（{r.reason or ''}）" for r, p in rows if r.status == Attendance.LEAVE),
            "、".join(p.name for r, p in rows if r.status == Attendance.INVITED),
            "\n".join(decision_lines), overdue,
        ])
    return sheet


def _dispute_sheet(session: Session, zone: str | None, since: datetime, until: datetime, tz: ZoneInfo) -> Sheet:
    query = (
        select(LeadDispute, Lead).join(Lead, Lead.id == LeadDispute.lead_id)  # type: ignore[arg-type]
        .where(LeadDispute.raised_at >= since, LeadDispute.raised_at < until)
        .order_by(LeadDispute.raised_at, LeadDispute.id)
    )
    if zone:
        query = query.where(Lead.zone == zone)
    rows = session.exec(query).all()
    people = _people(session, [d.raised_by for d, _l in rows] + [d.decided_by for d, _l in rows])
    now = utcnow()
    sheet = Sheet(texts.EXPORT_SHEET_DISPUTES, texts.EXPORT_DISPUTE_COLUMNS)
    for dispute, lead in rows:
        raiser, decider = people.get(dispute.raised_by or 0), people.get(dispute.decided_by or 0)
        deadline = as_utc(dispute.deadline)
        decided = as_utc(dispute.decided_at)
        late = deadline is not None and (decided or now) > deadline
        sheet.rows.append([
            lead.number, lead.zone, lead.street, lead.item_name, _local(dispute.raised_at, tz),
            raiser.name if raiser else None, dispute.reason, _local(dispute.deadline, tz), _local(dispute.decided_at, tz),
            decider.name if decider else None, decider.certificate_no if decider else None,
            texts.EXPORT_DECISION_WORDS.get(dispute.decision or "", dispute.decision), dispute.subject, dispute.why,
            _yes(late),
        ])
    return sheet


def sheet_counts(sheets: list[Sheet]) -> dict[str, int]:
    return {sheet.name: len(sheet.rows) for sheet in sheets}


# ---------------------------------------------------------------- audit view


def audit_trail(*, session: Session, number: str) -> list[AuditEntry] | None:
    """The append-only history behind a number: XS-… lead, XD-… action (with its recipients'
    answers), HY-<id> meeting (with its decisions). None when no such record exists."""
    number = number.strip().upper()
    if number.startswith("XS-"):
        if session.exec(select(Lead.id).where(Lead.number == number)).first() is None:
            return None
        return _entries(session, [("lead", number)])
    if number.startswith("XD-"):
        action_id = session.exec(select(JointAction.id).where(JointAction.number == number)).first()
        if action_id is None:
            return None
        recipient_ids = session.exec(select(ActionRecipient.id).where(ActionRecipient.action_id == action_id)).all()
        return _entries(session, [("action", number)] + [("recipient", str(i)) for i in recipient_ids])
    if number.startswith("HY-") and number[3:].isdigit():
        meeting = session.get(Meeting, int(number[3:]))
        if meeting is None:
            return None
        decision_ids = session.exec(select(Decision.id).where(Decision.meeting_id == meeting.id)).all()
        return _entries(session, [("meeting", str(meeting.id))] + [("decision", str(i)) for i in decision_ids])
    return None


def _entries(session: Session, keys: list[tuple[str, str]]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    by_type: dict[str, list[str]] = defaultdict(list)
    for entity_type, entity_id in keys:
        by_type[entity_type].append(entity_id)
    for entity_type, entity_ids in by_type.items():
        entries += session.exec(
            select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                     AuditEntry.entity_id.in_(entity_ids))  # type: ignore[attr-defined]
        ).all()
    return sorted(entries, key=lambda e: e.id or 0)


def person_names(*, session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return {pid: p.name for pid, p in _people(session, ids).items()}
