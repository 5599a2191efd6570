"""Meetings in the chat: /meeting (coordinators, admins), invitations 参加 / 请假, changes,
decisions (决议) and /agenda for everyone. Words and outbox rows: handlers/meeting_notices.py."""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

import texts
from db import actions as acts
from db import meetings as mdb
from db.meetings import Attendance, Decision, DecisionStatus, Meeting, MeetingInputError, MeetingStatus
from db.models import Person, Role, utcnow
from handlers import flows, keyboards
from handlers import meeting_notices as notices
from handlers.callbacks import decode, encode
from handlers.common import Refusal, clip, esc, name_list, press_a_button, refuse, requires, typed_text
from handlers.context import Actor, BotContext
from handlers.dispatch import may_use_zone
from knowledge.timeparse import TimeParseError

F = notices.FEATURE
(KIND, TITLE, WHEN, PLACE, ATTENDEES, AGENDA, OFFSETS, CONFIRM, NEW_TIME, NEW_PLACE, LEAVE_REASON,
 DEC_TEXT, DEC_OWNER, DEC_DEADLINE, LIST) = range(15)
DRAFT_KEYS = ("mt_new", "mt_edit", "mt_leave", "mt_dec")
TITLE_LIMIT = 100
PLACE_LIMIT = 200
REASON_LIMIT = 200
DECISION_LIMIT = 500
AGENDA_LIMIT = 10
AGENDA_ITEM_LIMIT = 200
AUDIENCE_LIMIT = 200
TEXT_INPUT = keyboards.TYPED


def _buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def _wake(context: BotContext) -> None:
    """New outbox rows and clock items were committed: let the workers look now."""
    delivery = context.services.extras.get("delivery")
    if delivery is not None:
        delivery.wake()
    runner = context.services.extras.get("clock")
    if runner is not None:
        runner.poke()


async def _say(update: Update, text: str, markup: Any = None) -> None:
    assert update.effective_chat is not None  # the pressed message may be inaccessible: send, not reply
    await update.get_bot().send_message(update.effective_chat.id, clip(text), reply_markup=markup)


def _own_zone(actor: Actor) -> str | None:
    """The zone a meeting organiser may invite from, by the dispatch rule (None: any zone)."""
    return None if actor.role == Role.ADMIN or actor.zone is None else actor.zone


def _may_manage(actor: Actor, meeting: Meeting) -> bool:
    return actor.role == Role.ADMIN or (actor.role == Role.COORDINATOR and actor.person_id == meeting.organiser_id)


# ------------------------------------------------------------------ list and detail


@requires(Role.COORDINATOR)
async def meeting_list(update: Update, context: BotContext) -> int:
    """My meetings with attendance counts, and the way to create one or record decisions. In a
    private chat the list is a step of the flow: typed text is answered, not looked up."""
    actor = context.require_actor()
    now = utcnow()
    with context.db.session() as session:
        found = mdb.organised_by(session=session, person_id=actor.person_id, now=now, is_admin=actor.role == Role.ADMIN)
        lines = [texts.MT_LIST_TITLE]
        for n, meeting in enumerate(found, 1):
            counts = mdb.attendance_counts(session=session, meeting_id=meeting.id or 0)
            lines.append(texts.MT_LIST_LINE.format(n=n, title=esc(meeting.title), kind=meeting.kind,
                                                   when=notices.when_text(meeting.starts_at), **counts))
    if not found:
        lines.append(texts.MT_LIST_EMPTY)
    rows = [[(texts.MT_BTN_DETAIL.format(n=n), encode(F, "d", m.id or 0))] for n, m in enumerate(found[:10], 1)]
    rows.append([(texts.MT_BTN_NEW, encode(F, "new")), (texts.MT_BTN_DECISIONS, encode(F, "dl"))])
    if context.user_data is not None:
        for key in DRAFT_KEYS:  # the list ends whatever meeting step came before
            context.user_data.pop(key, None)
    await _say(update, "\n".join(lines), _buttons(*rows))
    return LIST


def detail_text(session: Any, meeting: Meeting) -> str:
    by_status: dict[str, list[str]] = {s.value: [] for s in Attendance}
    for row, person in mdb.attendees(session=session, meeting_id=meeting.id or 0):
        name = esc(person.name)
        if row.status == Attendance.LEAVE and row.reason:
            name = texts.MT_DETAIL_LEAVE_NAME.format(name=name, reason=esc(row.reason))
        by_status[row.status].append(name)
    decisions = mdb.decisions_of_meeting(session=session, meeting_id=meeting.id or 0)
    decision_text = ""
    if decisions:
        items = []
        for d in decisions:
            owner = session.get(Person, d.owner_id)
            items.append(texts.MT_DECISION_LINE.format(
                text=esc(d.text), owner=esc(owner.name if owner else ""), deadline=notices.when_text(d.deadline_at),
                done=texts.MT_DECISION_DONE_MARK if d.status == DecisionStatus.DONE else ""))
        decision_text = texts.MT_DETAIL_DECISIONS.format(items="\n".join(items))
    return texts.MT_DETAIL.format(
        card=notices.card(meeting), decisions=decision_text,
        **{k: len(v) for k, v in by_status.items()},
        **{f"{k}_names": "、".join(v) or "—" for k, v in by_status.items()},
    )


def _detail_markup(meeting_id: int) -> InlineKeyboardMarkup:
    return _buttons(
        [(texts.MT_BTN_CHANGE_TIME, encode(F, "ct", meeting_id)), (texts.MT_BTN_CHANGE_PLACE, encode(F, "cp", meeting_id))],
        [(texts.MT_BTN_ADD_DECISION, encode(F, "dm", meeting_id)), (texts.MT_BTN_CANCEL_MEETING, encode(F, "cx", meeting_id))],
    )


def _load_managed(context: BotContext, meeting_id: str) -> tuple[Meeting | None, str | None]:
    """The meeting when the actor may manage it, else the refusal text."""
    actor = context.actor
    if actor is None or not meeting_id.isdigit():
        return None, texts.FORGED_BUTTON
    with context.db.session() as session:
        meeting = session.get(Meeting, int(meeting_id))
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        return None, texts.MT_GONE
    if not _may_manage(actor, meeting):
        return None, texts.NO_PERMISSION
    return meeting, None


# ------------------------------------------------------------------ buttons outside conversations


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    if data is None or data.feature != F:
        await refuse(update, texts.FORGED_BUTTON)
        return
    if data.action == "yes":
        await _attend(update, context, data.ident, data.version)
        return
    handler = {"d": _show_detail, "cx": _ask_cancel, "cy": _do_cancel, "dd": _decision_done}.get(data.action)
    if handler is None:
        await refuse(update, texts.FORGED_BUTTON)
        return
    await handler(update, context, data.ident)


async def _show_detail(update: Update, context: BotContext, ident: str) -> None:
    meeting, refusal = _load_managed(context, ident)
    if meeting is None:
        await refuse(update, refusal or texts.NO_PERMISSION)
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    with context.db.session() as session:
        text = detail_text(session, meeting)
    await _say(update, text, _detail_markup(meeting.id or 0))


async def _attend(update: Update, context: BotContext, ident: str, version: str = "") -> None:
    actor = context.actor
    assert update.callback_query is not None
    if actor is None or actor.person_id is None or not ident.isdigit():
        await refuse(update, texts.FORGED_BUTTON)
        return
    try:
        with context.db.session() as session:
            meeting = session.get(Meeting, int(ident))
            if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
                raise Refusal(texts.MT_GONE)
            if meeting.starts_at <= utcnow():
                raise Refusal(texts.MT_STARTED)
            if mdb.attendee(session=session, meeting_id=meeting.id or 0, person_id=actor.person_id) is None:
                raise Refusal(texts.MT_NOT_INVITED)
            if version != str(meeting.version):  # missing (forged, pre-version) or from before a change
                raise Refusal(texts.MT_STALE_INVITE)
            row = mdb.respond(session=session, meeting=meeting, person_id=actor.person_id, status=Attendance.ATTENDING,
                              reason=None, actor_telegram_id=actor.telegram_id)
            title = meeting.title
    except Refusal as refused:
        await refuse(update, refused.text)
        return
    if row is None:
        await refuse(update, texts.MT_NOT_INVITED)
        return
    await update.callback_query.answer(texts.MT_ATTEND_OK.format(title=title))
    await _say(update, texts.MT_ATTEND_OK.format(title=esc(title)))


async def _ask_cancel(update: Update, context: BotContext, ident: str) -> None:
    meeting, refusal = _load_managed(context, ident)
    if meeting is None:
        await refuse(update, refusal or texts.NO_PERMISSION)
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _say(update, texts.MT_ASK_CANCEL_CONFIRM.format(title=esc(meeting.title)),
               _buttons([(texts.MT_BTN_CANCEL_YES, encode(F, "cy", meeting.id or 0, meeting.version))]))


async def _do_cancel(update: Update, context: BotContext, ident: str) -> None:
    meeting, refusal = _load_managed(context, ident)
    if meeting is None:
        await refuse(update, refusal or texts.NO_PERMISSION)
        return
    actor = context.require_actor()
    try:
        with context.db.session() as session:
            meeting = session.get(Meeting, meeting.id)
            person = session.get(Person, actor.person_id) if actor.person_id else None
            assert meeting is not None
            if person is None:
                raise Refusal(texts.MT_NEED_ROSTER)
            mdb.update_meeting(session=session, meeting=meeting, actor=person, changes={"status": MeetingStatus.CANCELLED},
                               actor_telegram_id=actor.telegram_id)
            notices.plan_reminders(session, meeting, utcnow())
            count = notices.notify_cancel(session, meeting)
    except Refusal as refused:
        await refuse(update, refused.text)
        return
    _wake(context)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _say(update, texts.MT_CANCELLED_OK.format(count=count))


async def _decision_done(update: Update, context: BotContext, ident: str) -> None:
    actor = context.actor
    assert update.callback_query is not None
    if actor is None or not ident.isdigit():
        await refuse(update, texts.FORGED_BUTTON)
        return
    try:
        with context.db.session() as session:
            decision = session.get(Decision, int(ident))
            meeting = session.get(Meeting, decision.meeting_id) if decision else None
            if decision is None or meeting is None:
                raise Refusal(texts.FORGED_BUTTON)
            if actor.person_id not in (decision.owner_id, meeting.organiser_id) and actor.role != Role.ADMIN:
                raise Refusal(texts.MT_NOT_OWNER)
            changed = mdb.mark_decision_done(session=session, decision=decision, actor_person_id=actor.person_id,
                                             actor_telegram_id=actor.telegram_id)
            if changed:
                notices.notify_decision_done(session, decision)
            text = decision.text
    except Refusal as refused:
        await refuse(update, refused.text)
        return
    _wake(context)
    reply = texts.MT_DECISION_DONE_OK.format(text=esc(text)) if changed else texts.MT_DECISION_ALREADY_DONE
    await update.callback_query.answer(texts.MT_DONE_BUTTONS)
    await _say(update, reply)


# ------------------------------------------------------------------ create


async def new_start(update: Update, context: BotContext) -> int:
    actor = context.actor
    assert update.callback_query is not None
    if actor is None or not actor.has(Role.COORDINATOR):
        await refuse(update)
        return ConversationHandler.END
    if actor.person_id is None:
        await refuse(update, texts.MT_NEED_ROSTER)
        return ConversationHandler.END
    await update.callback_query.answer()
    context.user_data["mt_new"] = {}
    kinds = [(name, encode(F, "k", i)) for i, name in enumerate(mdb.KINDS)]
    await _say(update, texts.MT_ASK_KIND, _buttons(kinds[:2], kinds[2:], [(texts.MT_BTN_ABORT, encode(F, "ab"))]))
    return KIND


async def got_kind(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    if data is None or not data.ident.isdigit() or int(data.ident) >= len(mdb.KINDS):
        await refuse(update, texts.FORGED_BUTTON)
        return KIND
    await query.answer()
    context.user_data["mt_new"]["kind"] = mdb.KINDS[int(data.ident)]
    await _say(update, texts.MT_ASK_TITLE.format(limit=TITLE_LIMIT))
    return TITLE


async def got_kind_text(update: Update, context: BotContext) -> int:
    """The kind step waits for a button; a typed kind (联席会议, 培训 …) is a natural answer too."""
    kind = typed_text(update.effective_message.text if update.effective_message else None, 16, nfkc=True)
    if kind not in mdb.KINDS or "mt_new" not in context.user_data:
        await _say(update, texts.PRESS_A_BUTTON)
        return KIND
    context.user_data["mt_new"]["kind"] = kind
    await _say(update, texts.MT_ASK_TITLE.format(limit=TITLE_LIMIT))
    return TITLE


async def got_title(update: Update, context: BotContext) -> int:
    title = typed_text(update.effective_message.text if update.effective_message else None, TITLE_LIMIT)
    if title is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=TITLE_LIMIT))
        return TITLE
    context.user_data["mt_new"]["title"] = title
    await _say(update, texts.MT_ASK_WHEN)
    return WHEN


async def got_when(update: Update, context: BotContext) -> int:
    text = typed_text(update.effective_message.text if update.effective_message else None, 64)
    try:
        if text is None:
            raise MeetingInputError(texts.MT_TEXT_BAD.format(limit=64))
        when = mdb.parse_meeting_time(text, now=utcnow(), tz=context.settings.tz)
    except (TimeParseError, MeetingInputError) as exc:
        await _say(update, esc(str(exc)))
        return WHEN
    context.user_data["mt_new"].update(starts_at=when.starts_at, recurrence=when.recurrence)
    await _say(update, texts.MT_ASK_PLACE)
    return PLACE


async def got_place(update: Update, context: BotContext) -> int:
    place = _read_place(update)
    if place is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=PLACE_LIMIT))
        return PLACE
    context.user_data["mt_new"].update(place)
    await _say(update, texts.MT_ASK_ATTENDEES)
    return ATTENDEES


def _read_place(update: Update) -> dict[str, Any] | None:
    message = update.effective_message
    assert message is not None
    if message.location is not None:
        lat, lon = message.location.latitude, message.location.longitude
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        return {"place": None, "latitude": lat, "longitude": lon}
    text = typed_text(message.text, PLACE_LIMIT)
    return None if text is None else {"place": text, "latitude": None, "longitude": None}


async def got_attendees(update: Update, context: BotContext) -> int:
    text = typed_text(update.effective_message.text if update.effective_message else None, AUDIENCE_LIMIT)
    if text is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=AUDIENCE_LIMIT))
        return ATTENDEES
    actor = context.require_actor()
    with context.db.session() as session:
        audience = mdb.resolve_audience(session=session, text=text, zone=_own_zone(actor))
        ids = [p.id for p in audience.people]
        outside = [p.name for p in audience.outside]
    if audience.unknown:
        await _say(update, texts.MT_UNKNOWN_NAMES.format(names=esc("、".join(audience.unknown))))
        return ATTENDEES
    if outside:
        await _say(update, texts.MT_OTHER_ZONE.format(zone=esc(actor.zone or ""), names=name_list(outside)))
        return ATTENDEES
    if not ids:
        await _say(update, texts.MT_NO_ATTENDEES)
        return ATTENDEES
    context.user_data["mt_new"].update(audience=text, attendee_ids=ids)
    await _say(update, texts.MT_ASK_AGENDA, _buttons([(texts.MT_BTN_NO_AGENDA, encode(F, "na"))]))
    return AGENDA


async def got_agenda(update: Update, context: BotContext) -> int:
    agenda: list[str] = []
    if update.callback_query is not None:
        await update.callback_query.answer()
    else:
        raw = (update.effective_message.text if update.effective_message else "") or ""
        agenda = [line.strip(" -·•\t") for line in raw.splitlines() if line.strip(" -·•\t")]
        if len(agenda) > AGENDA_LIMIT:
            await _say(update, texts.MT_AGENDA_TOO_MANY.format(limit=AGENDA_LIMIT))
            return AGENDA
        if not agenda or any(len(item) > AGENDA_ITEM_LIMIT for item in agenda):
            await _say(update, texts.MT_TEXT_BAD.format(limit=AGENDA_ITEM_LIMIT))
            return AGENDA
    context.user_data["mt_new"]["agenda"] = agenda
    await _say(update, texts.MT_ASK_OFFSETS, _buttons([(texts.MT_BTN_DEFAULT_OFFSETS, encode(F, "od"))]))
    return OFFSETS


async def got_offsets(update: Update, context: BotContext) -> int:
    if update.callback_query is not None:
        await update.callback_query.answer()
        offsets = list(mdb.DEFAULT_OFFSETS)
    else:
        try:
            offsets = mdb.parse_offsets((update.effective_message.text if update.effective_message else "") or "")
        except MeetingInputError as exc:
            await _say(update, esc(str(exc)))
            return OFFSETS
    draft = context.user_data["mt_new"]
    draft["offsets"] = offsets
    preview = Meeting(kind=draft["kind"], title=draft["title"], organiser_id=0, starts_at=draft["starts_at"],
                      place=draft["place"], latitude=draft["latitude"], longitude=draft["longitude"],
                      agenda=draft["agenda"], offsets=offsets, recurrence=draft["recurrence"])
    await _say(update, texts.MT_CONFIRM.format(card=notices.card(preview), count=len(draft["attendee_ids"])),
               _buttons([(texts.MT_BTN_CONFIRM, encode(F, "ok")), (texts.MT_BTN_ABORT, encode(F, "ab"))]))
    return CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    actor = context.actor
    draft = context.user_data.get("mt_new")  # kept until the meeting is committed
    if actor is None or not actor.has(Role.COORDINATOR) or not draft:
        await refuse(update)
        return ConversationHandler.END
    await query.answer()
    now = utcnow()
    try:
        with context.db.session() as session:
            organiser = session.get(Person, actor.person_id) if actor.person_id else None
            if organiser is None or not organiser.active:
                raise Refusal(texts.MT_NEED_ROSTER)
            people = list(session.exec(select(Person).where(
                Person.id.in_(draft["attendee_ids"]), Person.active == True))  # type: ignore[union-attr]  # noqa: E712
            )
            if not all(may_use_zone(actor, p.zone) for p in people):  # the organiser's zone may have changed
                raise Refusal(texts.MT_OTHER_ZONE.format(zone=esc(actor.zone or ""), names=name_list(
                    [p.name for p in people if not may_use_zone(actor, p.zone)])))
            meeting = mdb.create_meeting(
                session=session, organiser=organiser, kind=draft["kind"], title=draft["title"],
                starts_at=draft["starts_at"], attendees=people, place=draft["place"], latitude=draft["latitude"],
                longitude=draft["longitude"], agenda=draft["agenda"], offsets=draft["offsets"],
                recurrence=draft["recurrence"], audience=draft["audience"], actor_telegram_id=actor.telegram_id,
            )
            count = notices.invite_all(session, meeting)
            notices.plan_reminders(session, meeting, now)
            notices.plan_next_occurrence(session, meeting)
    except Refusal as refused:
        await _say(update, refused.text)
        return ConversationHandler.END
    context.user_data.pop("mt_new", None)
    _wake(context)
    await _say(update, texts.MT_CREATED.format(count=count), keyboards.main_menu(actor.role))
    return ConversationHandler.END


# ------------------------------------------------------------------ change time / place


async def change_start(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    meeting, refusal = _load_managed(context, data.ident if data else "")
    if meeting is None or data is None:
        await refuse(update, refusal or texts.FORGED_BUTTON)
        return ConversationHandler.END
    await query.answer()
    context.user_data["mt_edit"] = meeting.id
    if data.action == "ct":
        await _say(update, texts.MT_ASK_NEW_TIME)
        return NEW_TIME
    await _say(update, texts.MT_ASK_NEW_PLACE)
    return NEW_PLACE


async def _one_off_time(update: Update, context: BotContext) -> datetime | None:
    """A typed one-off future time (no recurrence), or None after telling the user what is wrong."""
    text = typed_text(update.effective_message.text if update.effective_message else None, 64)
    try:
        if text is None or text.startswith("每"):
            raise MeetingInputError(texts.MT_NO_RECURRENCE_HERE)
        return mdb.parse_meeting_time(text, now=utcnow(), tz=context.settings.tz).starts_at
    except (TimeParseError, MeetingInputError) as exc:
        await _say(update, esc(str(exc)))
        return None


async def got_new_time(update: Update, context: BotContext) -> int:
    when = await _one_off_time(update, context)
    if when is None:
        return NEW_TIME
    return await _apply_change(update, context, {"starts_at": when})


async def got_new_place(update: Update, context: BotContext) -> int:
    place = _read_place(update)
    if place is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=PLACE_LIMIT))
        return NEW_PLACE
    return await _apply_change(update, context, place)


async def _apply_change(update: Update, context: BotContext, changes: dict[str, Any]) -> int:
    meeting, refusal = _load_managed(context, str(context.user_data.pop("mt_edit", "")))
    if meeting is None:
        await refuse(update, refusal or texts.NO_PERMISSION)
        return ConversationHandler.END
    actor = context.require_actor()
    try:
        with context.db.session() as session:
            meeting = session.get(Meeting, meeting.id)
            person = session.get(Person, actor.person_id) if actor.person_id else None
            assert meeting is not None
            if person is None:
                raise Refusal(texts.MT_NEED_ROSTER)
            old_when, old_place = notices.when_text(meeting.starts_at), notices.place_text(meeting)
            mdb.update_meeting(session=session, meeting=meeting, actor=person, changes=changes,
                               actor_telegram_id=actor.telegram_id)
            retimed = "starts_at" in changes
            if retimed:
                what = texts.MT_NOTICE_TIME.format(new=notices.when_text(meeting.starts_at), old=old_when)
                mdb.reset_answers(session=session, meeting=meeting, actor_person_id=person.id,
                                  actor_telegram_id=actor.telegram_id)
                notices.plan_reminders(session, meeting, utcnow())
                notices.replan_next(session, meeting)
            else:
                what = texts.MT_NOTICE_PLACE.format(new=notices.place_text(meeting), old=old_place)
            count = notices.notify_change(session, meeting, what, reask=retimed)
    except Refusal as refused:
        await refuse(update, refused.text)
        return ConversationHandler.END
    _wake(context)
    await _say(update, texts.MT_CHANGED.format(count=count))
    return ConversationHandler.END


# ------------------------------------------------------------------ leave


async def leave_start(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    actor = context.actor
    if data is None or actor is None or actor.person_id is None or not data.ident.isdigit():
        await refuse(update, texts.FORGED_BUTTON)
        return ConversationHandler.END
    with context.db.session() as session:
        meeting = session.get(Meeting, int(data.ident))
        invited = meeting is not None and mdb.attendee(session=session, meeting_id=meeting.id or 0,
                                                       person_id=actor.person_id) is not None
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        await refuse(update, texts.MT_GONE)
        return ConversationHandler.END
    if not invited:
        await refuse(update, texts.MT_NOT_INVITED)
        return ConversationHandler.END
    if data.version != str(meeting.version):  # missing (forged, pre-version) or from before a change
        await refuse(update, texts.MT_STALE_INVITE)
        return ConversationHandler.END
    if meeting.starts_at <= utcnow():
        await refuse(update, texts.MT_STARTED)
        return ConversationHandler.END
    await query.answer()
    context.user_data["mt_leave"] = (meeting.id, meeting.version)
    await _say(update, texts.MT_ASK_LEAVE_REASON.format(title=esc(meeting.title)))
    return LEAVE_REASON


async def got_leave_reason(update: Update, context: BotContext) -> int:
    reason = typed_text(update.effective_message.text if update.effective_message else None, REASON_LIMIT)
    if reason is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=REASON_LIMIT))
        return LEAVE_REASON
    actor = context.require_actor()
    meeting_id, version = context.user_data.pop("mt_leave", (None, None))
    refusal = texts.MT_GONE
    with context.db.session() as session:
        meeting = session.get(Meeting, meeting_id) if meeting_id else None
        row = None
        if meeting is not None and meeting.status == MeetingStatus.SCHEDULED and actor.person_id is not None:
            # Re-checked as at the press: the time may have changed, or the meeting begun, while the
            # reason was typed; a leave must answer the meeting the person last saw.
            if meeting.version != version:
                refusal = texts.MT_STALE_INVITE
            elif meeting.starts_at <= utcnow():
                refusal = texts.MT_STARTED
            else:
                row = mdb.respond(session=session, meeting=meeting, person_id=actor.person_id, status=Attendance.LEAVE,
                                  reason=reason, actor_telegram_id=actor.telegram_id)
        title = meeting.title if meeting else ""
    await _say(update, texts.MT_LEAVE_OK.format(title=esc(title)) if row is not None else refusal)
    return ConversationHandler.END


# ------------------------------------------------------------------ decisions


async def decision_pick(update: Update, context: BotContext) -> None:
    """The 📌 button of /meeting: started meetings of the last 30 days."""
    actor = context.actor
    assert update.callback_query is not None
    if actor is None or not actor.has(Role.COORDINATOR):
        await refuse(update)
        return
    with context.db.session() as session:
        found = mdb.recent_for_decisions(session=session, person_id=actor.person_id, now=utcnow(),
                                         is_admin=actor.role == Role.ADMIN)
    await update.callback_query.answer()
    if not found:
        await _say(update, texts.MT_NO_MEETING_FOR_DECISION)
        return
    rows = [[(f"{notices.when_text(m.starts_at)} {m.title}"[:40], encode(F, "dm", m.id or 0))] for m in found]
    await _say(update, texts.MT_PICK_MEETING_FOR_DECISION, _buttons(*rows))


async def decision_start(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    meeting, refusal = _load_managed(context, data.ident if data else "")
    if meeting is None:
        await refuse(update, refusal or texts.FORGED_BUTTON)
        return ConversationHandler.END
    await query.answer()
    context.user_data["mt_dec"] = {"meeting_id": meeting.id}
    await _say(update, texts.MT_ASK_DECISION_TEXT.format(title=esc(meeting.title)))
    return DEC_TEXT


async def got_decision_text(update: Update, context: BotContext) -> int:
    text = typed_text(update.effective_message.text if update.effective_message else None, DECISION_LIMIT)
    if text is None:
        await _say(update, texts.MT_TEXT_BAD.format(limit=DECISION_LIMIT))
        return DEC_TEXT
    context.user_data.setdefault("mt_dec", {})["text"] = text
    await _say(update, texts.MT_ASK_DECISION_OWNER)
    return DEC_OWNER


async def got_decision_owner(update: Update, context: BotContext) -> int:
    """The owner is one of the meeting's attendees, by name; only namesakes among them are told
    apart, by exactly the last 4 digits of the phone. Nobody else is searched and a lone name ignores
    any digits, so no phone number can be probed digit by digit and nobody outside is revealed."""
    raw = typed_text(update.effective_message.text if update.effective_message else None, 40, nfkc=True) or ""
    name, _, tail = raw.partition(" ")
    tail = tail.strip()
    meeting_id = (context.user_data.get("mt_dec") or {}).get("meeting_id")
    with context.db.session() as session:
        attending = [p for _row, p in mdb.attendees(session=session, meeting_id=int(meeting_id or 0)) if p.active]
    named = [p for p in attending if p.name == name]
    found = named
    if len(named) > 1 and len(tail) == 4 and tail.isdigit():
        found = [p for p in named if p.phone[-4:] == tail] or named
    if not named:
        await _say(update, texts.MT_OWNER_NOT_ATTENDEE.format(name=esc(name)))
        return DEC_OWNER
    if len(found) > 1:
        options = "、".join(esc(p.department or p.street or p.zone or "") for p in found)
        await _say(update, texts.MT_OWNER_AMBIGUOUS_TAIL.format(count=len(found), name=esc(name), options=options))
        return DEC_OWNER
    context.user_data.setdefault("mt_dec", {})["owner_id"] = found[0].id
    await _say(update, texts.MT_ASK_DECISION_DEADLINE)
    return DEC_DEADLINE


async def got_decision_deadline(update: Update, context: BotContext) -> int:
    deadline = await _one_off_time(update, context)
    if deadline is None:
        return DEC_DEADLINE
    draft = context.user_data.get("mt_dec") or {}
    meeting, refusal = _load_managed(context, str(draft.get("meeting_id", "")))
    if meeting is None or "text" not in draft or "owner_id" not in draft:
        await refuse(update, refusal or texts.NO_PERMISSION)
        return ConversationHandler.END
    actor = context.require_actor()
    now = utcnow()
    try:
        with context.db.session() as session:
            meeting = session.get(Meeting, meeting.id)
            owner = session.get(Person, draft["owner_id"])
            me = session.get(Person, actor.person_id) if actor.person_id else None
            if meeting is None or owner is None or me is None:
                raise Refusal(texts.MT_NEED_ROSTER)
            decision = mdb.add_decision(session=session, meeting=meeting, text=draft["text"], owner=owner,
                                        deadline_at=deadline, actor=me, actor_telegram_id=actor.telegram_id)
            notices.announce_decision(session, decision, meeting, now)
            owner_name = owner.name
    except Refusal as refused:
        await refuse(update, refused.text)
        return ConversationHandler.END
    _wake(context)
    context.user_data["mt_dec"] = {"meeting_id": meeting.id}
    await _say(update, texts.MT_DECISION_SAVED.format(owner=esc(owner_name), deadline=notices.when_text(deadline)))
    return DEC_TEXT


# ------------------------------------------------------------------ agenda


async def agenda(update: Update, context: BotContext) -> None:
    """My upcoming meetings, joint actions (called and not declined, or dispatched by me) and open
    decision deadlines, in one list by time: what matters is what comes next, whatever its kind."""
    actor = context.require_actor()
    now = utcnow()
    markup = None
    entries: list[tuple[datetime, str]] = []
    if actor.person_id is not None:
        with context.db.session() as session:
            meetings = mdb.upcoming_for(session=session, person_id=actor.person_id, now=now)
            actions = acts.upcoming_for(session=session, person_id=actor.person_id, now=now)
            decisions = mdb.open_decisions_of(session=session, owner_id=actor.person_id)
        entries += [(m.starts_at, texts.AGENDA_MEETING_LINE.format(
            when=notices.when_text(m.starts_at), title=esc(m.title), kind=m.kind,
            status=texts.AGENDA_STATUS.get(a.status, ""))) for m, a in meetings]
        entries += [(u.action.starts_at, texts.AGENDA_ACTION_LINE.format(
            when=notices.when_text(u.action.starts_at), number=u.action.number, place=esc(u.action.place_text),
            status=_action_status(u))) for u in actions]
        entries += [(d.deadline_at, texts.AGENDA_DECISION_LINE.format(
            deadline=notices.when_text(d.deadline_at), text=esc(d.text),
            overdue=texts.AGENDA_OVERDUE if d.deadline_at < now else "")) for d in decisions]
        if decisions:
            markup = _buttons(*[[(f"{texts.MT_BTN_DECISION_DONE} {d.text}"[:30], encode(F, "dd", d.id or 0))]
                                for d in decisions[:5]])
    lines = [texts.AGENDA_TITLE] + [line for _at, line in sorted(entries, key=lambda e: e[0])]
    if not entries:
        lines.append(texts.AGENDA_NOTHING)
    await _say(update, "\n".join(lines), markup)


def _action_status(upcoming: acts.UpcomingAction) -> str:
    parts = [texts.AGENDA_ACTION_DISPATCHED] if upcoming.dispatched else []
    if upcoming.response is not None:
        parts.append(texts.AGENDA_ACTION_STATUS.get(upcoming.response, ""))
    return "，".join(parts)


# ------------------------------------------------------------------ wiring


async def abort(update: Update, context: BotContext) -> int:
    for key in DRAFT_KEYS:
        context.user_data.pop(key, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
    actor = context.actor
    await _say(update, texts.CANCELLED, keyboards.main_menu(actor.role) if actor else None)
    return ConversationHandler.END


async def timed_out(update: Update, context: BotContext) -> None:
    """Said only when a meeting step was in progress (not after merely looking at the list)."""
    if update.effective_message is not None and any(context.user_data.get(key) is not None for key in DRAFT_KEYS):
        await update.effective_message.reply_text(texts.MT_TIMEOUT)


def _cq(callback: Any, *actions: str) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=rf"^{F}:({'|'.join(actions)})(:|$)")


def register(app: Application) -> None:
    """/meeting, /agenda, the conversations, and the buttons of invitations and decisions."""
    notices.configure(app.bot_data["services"].settings.tz)
    text = MessageHandler(TEXT_INPUT, got_title)
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # mixing buttons and text per chat is intended
        conversation = flows.Flow(
            entry_points=[_cq(new_start, "new"), _cq(change_start, "ct", "cp"), _cq(leave_start, "no"),
                          _cq(decision_start, "dm"), CommandHandler("meeting", meeting_list, filters=private),
                          MessageHandler(private & filters.Text([texts.MENU_MEETING]), meeting_list)],
            states={
                LIST: [MessageHandler(TEXT_INPUT, press_a_button)],
                KIND: [_cq(got_kind, "k"), MessageHandler(TEXT_INPUT, got_kind_text)],
                TITLE: [text],
                WHEN: [MessageHandler(TEXT_INPUT, got_when)],
                PLACE: [MessageHandler(TEXT_INPUT | filters.LOCATION, got_place)],
                ATTENDEES: [MessageHandler(TEXT_INPUT, got_attendees)],
                AGENDA: [MessageHandler(TEXT_INPUT, got_agenda), _cq(got_agenda, "na")],
                OFFSETS: [MessageHandler(TEXT_INPUT, got_offsets), _cq(got_offsets, "od")],
                CONFIRM: [_cq(confirm, "ok"), MessageHandler(TEXT_INPUT, press_a_button)],
                NEW_TIME: [MessageHandler(TEXT_INPUT, got_new_time)],
                NEW_PLACE: [MessageHandler(TEXT_INPUT | filters.LOCATION, got_new_place)],
                LEAVE_REASON: [MessageHandler(TEXT_INPUT, got_leave_reason)],
                DEC_TEXT: [MessageHandler(TEXT_INPUT, got_decision_text)],
                DEC_OWNER: [MessageHandler(TEXT_INPUT, got_decision_owner)],
                DEC_DEADLINE: [MessageHandler(TEXT_INPUT, got_decision_deadline)],
                ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out)],
            },
            fallbacks=[CommandHandler("cancel", abort), MessageHandler(keyboards.MENU_TAP, abort), _cq(abort, "ab")],
            conversation_timeout=900,
            allow_reentry=True,
            name="meetings",
            left_notice=texts.FLOW_LEFT_MEETING,
            passive_states=(LIST,),
            leave=filters.COMMAND | keyboards.MENU_TAP,
        )
    flows.add(app, conversation)
    app.add_handler(CommandHandler("meeting", meeting_list))  # groups (the private chat's is the flow's)
    app.add_handler(MessageHandler(filters.Text([texts.MENU_MEETING]), meeting_list))
    app.add_handler(CommandHandler("agenda", agenda))
    app.add_handler(MessageHandler(filters.Text([texts.MENU_AGENDA]), agenda))
    app.add_handler(_cq(decision_pick, "dl"))
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{F}:"))
