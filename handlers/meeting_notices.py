"""Words and outbox rows of the meetings feature, and its clock kinds.

Kept apart from the chat handlers so the clock, the bench and db tests can use them without a
running Application. Every notice goes through the outbox in the caller's transaction, with a
dedupe key, so a reminder is queued at most once whatever happens to the process.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

import texts
from db import meetings as mdb
from db import outbox
from db.meetings import Attendance, Decision, DecisionStatus, Meeting, MeetingStatus
from db.models import ClockItem, OutboxMessage, Person
from handlers.callbacks import encode
from handlers.common import esc
from jobs import clock
from jobs.delivery import register_version_lookup
from knowledge.timeparse import format_duration_zh, format_local

log = logging.getLogger(__name__)

FEATURE = "mt"
REMIND = "meeting.remind"
NEXT = "meeting.next"
DECISION_REMIND = "decision.remind"
DECISION_OVERDUE = "decision.overdue"
DECISION_OFFSETS = (timedelta(days=1), timedelta(0))  # before the deadline
CERT_SCAN_EVERY = timedelta(minutes=10)

TZ: tzinfo = ZoneInfo("Asia/Shanghai")  # set from Settings by handlers.meetings.register
_last_cert_scan: dict[str, datetime] = {}


def configure(tz: tzinfo) -> None:
    global TZ
    TZ = tz


def when_text(dt: datetime) -> str:
    return format_local(dt, TZ)


def offset_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return texts.MT_OFFSET_DAY.format(n=minutes // 1440)
    if minutes % 60 == 0:
        return texts.MT_OFFSET_HOUR.format(n=minutes // 60)
    return texts.MT_OFFSET_MIN.format(n=minutes)


def duration_text(delta: timedelta) -> str:
    """Rounded to the minute: a reminder fired 0.3 s late still says 1小时, not 59分钟."""
    return format_duration_zh(timedelta(minutes=round(delta.total_seconds() / 60)))


def place_text(meeting: Meeting) -> str:
    if meeting.place:
        return esc(meeting.place)
    if meeting.latitude is not None and meeting.longitude is not None:
        return texts.MT_PLACE_LOCATION.format(lat=meeting.latitude, lon=meeting.longitude)
    return texts.MT_PLACE_NONE


def card(meeting: Meeting) -> str:
    agenda = ""
    if meeting.agenda:
        agenda = texts.MT_CARD_AGENDA.format(items="\n".join(f"{i}. {esc(a)}" for i, a in enumerate(meeting.agenda, 1)))
    repeat = texts.MT_CARD_REPEAT.format(rule=esc(meeting.recurrence)) if meeting.recurrence else ""
    return texts.MT_CARD.format(title=esc(meeting.title), kind=meeting.kind, when=when_text(meeting.starts_at),
                                repeat=repeat, place=place_text(meeting), agenda=agenda)


def invitation_markup(meeting_id: int, version: int) -> dict:
    """参加 / 请假 for one version of the meeting's time and place (like dispatch notices): a press
    on an invitation from before a change is refused instead of confirming a time never seen."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.MT_BTN_ATTEND, callback_data=encode(FEATURE, "yes", meeting_id, version)),
        InlineKeyboardButton(texts.MT_BTN_LEAVE, callback_data=encode(FEATURE, "no", meeting_id, version)),
    ]]).to_dict()


def decision_markup(decision_id: int) -> dict:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.MT_BTN_DECISION_DONE, callback_data=encode(FEATURE, "dd", decision_id)),
    ]]).to_dict()


def _send(session: Session, person: Person, text: str, *, ref_type: str, ref_id: int, key: str,
          markup: dict | None = None, version: int | None = None) -> bool:
    """`version`: the meeting version the text describes; the outbox drops the row if the meeting
    changed or was called off before it went out (a delayed reminder must not give the old time)."""
    if person.telegram_id is None or not person.active:
        return False
    row = outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text,
                         reply_markup=markup, ref_type=ref_type, ref_id=ref_id, dedupe_key=key, ref_version=version)
    return row is not None


def _meeting_version(session: Session, row: OutboxMessage) -> int | None:
    """Asked by the outbox worker before each send of a row with a meeting version: still this one?"""
    meeting = session.get(Meeting, int(row.ref_id)) if (row.ref_id or "").isdigit() else None
    return meeting.version if meeting is not None and meeting.status == MeetingStatus.SCHEDULED else None


register_version_lookup("meeting", _meeting_version)


# ------------------------------------------------------------------ meetings


def invite_all(session: Session, meeting: Meeting) -> int:
    """Invitation with 参加 / 请假 to every invited person except the organiser."""
    organiser = session.get(Person, meeting.organiser_id)
    text = texts.MT_INVITE.format(organiser=esc(organiser.name if organiser else ""), card=card(meeting))
    sent = 0
    for _row, person in mdb.attendees(session=session, meeting_id=meeting.id or 0):
        if person.id == meeting.organiser_id:
            continue
        sent += _send(session, person, text, ref_type="meeting", ref_id=meeting.id or 0,
                      key=f"mt:{meeting.id}:inv:{person.id}", markup=invitation_markup(meeting.id or 0, meeting.version),
                      version=meeting.version)
    return sent


def plan_reminders(session: Session, meeting: Meeting, now: datetime) -> int:
    """(Re)plan the reminders of one occurrence; past offsets are skipped. Returns how many."""
    clock.cancel(session=session, ref_type="meeting", ref_id=meeting.id or 0, kind=REMIND)
    if meeting.status != MeetingStatus.SCHEDULED:
        return 0
    planned = 0
    for minutes in meeting.offsets:
        due = meeting.starts_at - timedelta(minutes=minutes)
        if due <= now:
            continue
        clock.schedule(session=session, kind=REMIND, due_at=due, event_at=meeting.starts_at, ref_type="meeting",
                       ref_id=meeting.id, payload={"offset": minutes, "starts": meeting.starts_at.isoformat()})
        planned += 1
    return planned


def plan_next_occurrence(session: Session, meeting: Meeting, rule_at: datetime | None = None) -> None:
    """A recurring meeting creates its next occurrence when this one starts."""
    if not meeting.recurrence:
        return
    clock.cancel(session=session, ref_type="meeting", ref_id=meeting.id or 0, kind=NEXT)
    clock.schedule(session=session, kind=NEXT, due_at=meeting.starts_at, ref_type="meeting", ref_id=meeting.id,
                   payload={"rule_at": (rule_at or meeting.starts_at).isoformat()})


def notify_change(session: Session, meeting: Meeting, what: str, *, reask: bool = False) -> int:
    """Tell everyone invited (also those on leave: the new time may suit them) about a change, with
    buttons of the new version; `reask` (a new time) says the old answers no longer count."""
    text = texts.MT_NOTICE_CHANGED.format(title=esc(meeting.title), what=what, card=card(meeting))
    if reask:
        text += texts.MT_NOTICE_REASK
    sent = 0
    for _row, person in mdb.attendees(session=session, meeting_id=meeting.id or 0):
        if person.id == meeting.organiser_id:
            continue
        sent += _send(session, person, text, ref_type="meeting", ref_id=meeting.id or 0,
                      key=f"mt:{meeting.id}:chg:{meeting.version}:{person.id}",
                      markup=invitation_markup(meeting.id or 0, meeting.version), version=meeting.version)
    return sent


def notify_cancel(session: Session, meeting: Meeting) -> int:
    organiser = session.get(Person, meeting.organiser_id)
    text = texts.MT_NOTICE_CANCELLED.format(title=esc(meeting.title), when=when_text(meeting.starts_at),
                                            organiser=esc(organiser.name if organiser else ""))
    sent = 0
    for _row, person in mdb.attendees(session=session, meeting_id=meeting.id or 0):
        if person.id == meeting.organiser_id:
            continue
        sent += _send(session, person, text, ref_type="meeting", ref_id=meeting.id or 0,
                      key=f"mt:{meeting.id}:cancel:{person.id}")
    return sent


def _overtaken(session: Session, item: ClockItem, now: datetime) -> bool:
    """A later reminder of the same meeting or decision is due too (the bot was down across both):
    only the latest goes out, so nobody gets two 【补发】 reminders at once."""
    later = select(ClockItem.id).where(
        ClockItem.kind == item.kind, ClockItem.ref_type == item.ref_type, ClockItem.ref_id == item.ref_id,
        ClockItem.done_at == None, ClockItem.due_at > item.due_at, ClockItem.due_at <= now)  # noqa: E711
    return session.exec(later).first() is not None


def _remind(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    meeting = session.get(Meeting, int(item.ref_id or 0))
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        return "skipped"
    if firing.late and _overtaken(session, item, firing.now):
        return "skipped"
    minutes = int(item.payload.get("offset", 0))
    prefix = texts.MT_REMIND_LATE if firing.late else ""
    left = duration_text(meeting.starts_at - firing.now) if meeting.starts_at > firing.now else offset_text(minutes)
    text = prefix + texts.MT_REMIND.format(title=esc(meeting.title), left=left, when=when_text(meeting.starts_at),
                                           place=place_text(meeting))
    stamp = int(meeting.starts_at.timestamp())
    for row, person in mdb.attendees(session=session, meeting_id=meeting.id or 0):
        if row.status == Attendance.LEAVE:
            continue
        _send(session, person, text, ref_type="meeting", ref_id=meeting.id or 0,
              key=f"mt:{meeting.id}:r{minutes}:{stamp}:{person.id}", version=meeting.version)
    return None


def _remind_missed(session: Session, item: ClockItem, firing: clock.Firing) -> None:
    meeting = session.get(Meeting, int(item.ref_id or 0))
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        return
    organiser = session.get(Person, meeting.organiser_id)
    if organiser is None:
        return
    minutes = int(item.payload.get("offset", 0))
    text = texts.MT_MISSED_TO_ORGANISER.format(title=esc(meeting.title), when=when_text(meeting.starts_at),
                                               offset=offset_text(minutes))
    _send(session, organiser, text, ref_type="meeting", ref_id=meeting.id or 0,
          key=f"mt:{meeting.id}:miss{minutes}:{int(meeting.starts_at.timestamp())}")


def materialize_next(session: Session, meeting: Meeting, rule_at: datetime, now: datetime) -> Meeting | None:
    """Create the following occurrence of a series (once), invite and plan its reminders."""
    if not meeting.recurrence:
        return None
    series = meeting.series_id or meeting.id
    first = session.get(Meeting, series)
    anchor = first.starts_at if first is not None else None
    start = mdb.next_occurrence(meeting.recurrence, rule_at, TZ, anchor)
    while start <= now:  # the bot was down across several occurrences: skip to the future
        start = mdb.next_occurrence(meeting.recurrence, start, TZ, anchor)
    exists = session.exec(select(Meeting).where(Meeting.series_id == series, Meeting.starts_at == start)).first()
    if exists is not None:
        return None
    organiser = session.get(Person, meeting.organiser_id)
    if organiser is None or not organiser.active:
        return None
    people = [p for _a, p in mdb.attendees(session=session, meeting_id=meeting.id or 0) if p.active]
    nxt = mdb.create_meeting(
        session=session, organiser=organiser, kind=meeting.kind, title=meeting.title, starts_at=start,
        attendees=people, place=meeting.place, latitude=meeting.latitude, longitude=meeting.longitude,
        agenda=meeting.agenda, offsets=meeting.offsets, recurrence=meeting.recurrence, audience=meeting.audience,
        series_id=series,
    )
    invite_all(session, nxt)
    plan_reminders(session, nxt, now)
    plan_next_occurrence(session, nxt)
    return nxt


def _next(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    meeting = session.get(Meeting, int(item.ref_id or 0))
    if meeting is None:
        return "skipped"
    rule_at = datetime.fromisoformat(item.payload.get("rule_at") or meeting.starts_at.isoformat())
    return None if materialize_next(session, meeting, rule_at, firing.now) is not None else "skipped"


# ------------------------------------------------------------------ decisions


def announce_decision(session: Session, decision: Decision, meeting: Meeting, now: datetime) -> None:
    owner = session.get(Person, decision.owner_id)
    if owner is None:
        return
    text = texts.MT_DECISION_NOTICE.format(meeting=esc(meeting.title), text=esc(decision.text), owner=esc(owner.name),
                                           deadline=when_text(decision.deadline_at))
    _send(session, owner, text, ref_type="decision", ref_id=decision.id or 0, key=f"dc:{decision.id}:new",
          markup=decision_markup(decision.id or 0))
    for before in DECISION_OFFSETS:
        due = decision.deadline_at - before
        if due > now:
            clock.schedule(session=session, kind=DECISION_REMIND, due_at=due, ref_type="decision", ref_id=decision.id,
                           person_id=owner.id, event_at=decision.deadline_at,  # after the deadline: the overdue notice
                           payload={"before_min": int(before.total_seconds() // 60)})
    clock.schedule(session=session, kind=DECISION_OVERDUE, due_at=max(decision.deadline_at, now), ref_type="decision",
                   ref_id=decision.id, person_id=meeting.organiser_id)


def _decision_remind(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    decision = session.get(Decision, int(item.ref_id or 0))
    if decision is None or decision.status != DecisionStatus.OPEN:
        return "skipped"
    if firing.late and _overtaken(session, item, firing.now):
        return "skipped"
    owner = session.get(Person, decision.owner_id)
    if owner is None:
        return "skipped"
    remaining = decision.deadline_at - firing.now
    left = texts.MT_DECISION_LEFT.format(left=duration_text(remaining)) if remaining > timedelta(minutes=1) \
        else texts.MT_DECISION_DUE_NOW
    text = (texts.MT_REMIND_LATE if firing.late else "") + texts.MT_DECISION_REMIND.format(
        text=esc(decision.text), deadline=when_text(decision.deadline_at), left=left)
    _send(session, owner, text, ref_type="decision", ref_id=decision.id or 0,
          key=f"dc:{decision.id}:r{item.payload.get('before_min')}", markup=decision_markup(decision.id or 0))
    return None


def _decision_overdue(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    decision = session.get(Decision, int(item.ref_id or 0))
    if decision is None or decision.status != DecisionStatus.OPEN:
        return "skipped"
    meeting = session.get(Meeting, decision.meeting_id)
    owner = session.get(Person, decision.owner_id)
    organiser = session.get(Person, meeting.organiser_id) if meeting else None
    if meeting is None or owner is None or organiser is None:
        return "skipped"
    text = texts.MT_DECISION_OVERDUE.format(text=esc(decision.text), owner=esc(owner.name),
                                            deadline=when_text(decision.deadline_at), meeting=esc(meeting.title))
    _send(session, organiser, text, ref_type="decision", ref_id=decision.id or 0, key=f"dc:{decision.id}:overdue")
    return None


def notify_decision_done(session: Session, decision: Decision) -> None:
    meeting = session.get(Meeting, decision.meeting_id)
    owner = session.get(Person, decision.owner_id)
    organiser = session.get(Person, meeting.organiser_id) if meeting else None
    if organiser is None or owner is None or organiser.id == owner.id:
        return
    _send(session, organiser, texts.MT_DECISION_DONE_NOTICE.format(text=esc(decision.text), owner=esc(owner.name)),
          ref_type="decision", ref_id=decision.id or 0, key=f"dc:{decision.id}:done")


# ------------------------------------------------------------------ certificates


def scan_certificates(session: Session, now: datetime) -> int:
    """Remind holders and their zone coordinators 60/30/7 days before expiry; returns notices queued."""
    today: date = now.astimezone(TZ).date()
    queued = 0
    for due in mdb.certificate_reminders_due(session=session, today=today):
        holder = due.holder
        expires = holder.certificate_expires.isoformat() if holder.certificate_expires else ""
        number = esc(holder.certificate_no) if holder.certificate_no else texts.CERT_NO_NUMBER
        key = f"cert:{holder.id}:{expires}:{due.threshold_days}"
        queued += _send(session, holder, texts.CERT_REMIND_HOLDER.format(number=number, expires=expires, days=due.days_left),
                        ref_type="person", ref_id=holder.id or 0, key=f"{key}:{holder.id}")
        place = esc(holder.street or holder.zone or "")
        for coordinator in due.coordinators:
            queued += _send(session, coordinator, texts.CERT_REMIND_COORDINATOR.format(
                name=esc(holder.name), place=place, expires=expires, days=due.days_left),
                ref_type="person", ref_id=holder.id or 0, key=f"{key}:{coordinator.id}")
    return queued


def _certificate_periodic(session: Session, now: datetime) -> None:
    """Throttled: the thresholds are days apart, a scan every few minutes is plenty."""
    last = _last_cert_scan.get("at")
    if last is not None and now - last < CERT_SCAN_EVERY:
        return
    _last_cert_scan["at"] = now
    scan_certificates(session, now)


clock.register_kind(REMIND, _remind, _remind_missed)
clock.register_kind(NEXT, _next)
clock.register_kind(DECISION_REMIND, _decision_remind)
clock.register_kind(DECISION_OVERDUE, _decision_overdue)
clock.register_periodic(_certificate_periodic)


def replan_next(session: Session, meeting: Meeting) -> None:
    """A moved occurrence keeps its series on the rule: the next one follows the original time."""
    if not meeting.recurrence:
        return
    pending = session.exec(select(ClockItem).where(
        ClockItem.ref_type == "meeting", ClockItem.ref_id == str(meeting.id), ClockItem.kind == NEXT,
        ClockItem.done_at == None,  # noqa: E711
    )).first()
    rule_at = datetime.fromisoformat(pending.payload["rule_at"]) if pending and pending.payload.get("rule_at") else None
    plan_next_occurrence(session, meeting, rule_at)
