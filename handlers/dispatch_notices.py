"""What a joint action sends: notices, updates, nudges, escalations, reminders, the board.

Everything here writes outbox rows and clock items in the caller's transaction; the board is the
one message edited directly (throttled), because it is the coordinator's own view.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Location, Venue
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

import texts
from db import actions as acts
from db import outbox, people
from db.actions import ActionRecipient, ActionStatus, Delivery, JointAction, Response
from db.models import ClockItem, OutboxMessage, Person, Role, utcnow
from handlers.callbacks import encode
from handlers.common import Refusal, clip, esc, name_list
from jobs import clock
from jobs.delivery import register_change_hook, register_failure_hook, register_version_lookup
from knowledge.geo import InvalidCoordinates, distance_to_district_m, format_distance_zh, validate_coordinates
from knowledge.timeparse import TimeParseError, parse_when

log = logging.getLogger(__name__)

REF_NOTICE = "dispatch"  # ref_id "action_id:recipient_id"; failures land on the board
REF_COORD = "dispatch.coord"
REF_ACTION = "action"  # clock items
KIND_NUDGE = "dispatch.nudge"
KIND_REMIND = "dispatch.remind"
ESCALATION_ROUND = 3
ORPHAN_SCAN = timedelta(seconds=10)  # how often the board job looks for boards of deactivated creators
# A board that never reached its chat (the send after the commit failed, or a move failed) is posted
# by the board job: at once, then after a pause that doubles up to MISSING_BOARD_PAUSE_MAX (a chat
# that blocked the bot stays blocked). After a restart the scan finds such boards once they are
# MISSING_BOARD_GRACE old (younger ones may still be on their way from the confirm step).
MISSING_BOARD_GRACE = timedelta(seconds=60)
MISSING_BOARD_PAUSE_MAX = timedelta(minutes=30)


MAX_PLACE_OUTSIDE_M = 2000  # a gathering point just across the district line (a bridge, a road) is fine


def meeting_point(location: Location, venue: Venue | None, limit: int) -> tuple[str, float, float]:
    """(place text, lat, lon) of a location sent as the meeting point, or Refusal with the reason: no
    fix or absurd coordinates, or far outside the district (a joint action of this district gathers
    in it). A place picked from the map keeps its name and address, not only its point."""
    try:
        lat, lon = validate_coordinates(location.latitude, location.longitude)
        outside_m = distance_to_district_m(lat, lon)
    except InvalidCoordinates as error:
        raise Refusal(str(error)) from None
    if outside_m > MAX_PLACE_OUTSIDE_M:
        raise Refusal(texts.DSP_PLACE_OUTSIDE.format(distance=format_distance_zh(outside_m)))
    named = f"{venue.title} {venue.address}".strip()[:limit] if venue is not None else ""
    return named or texts.DSP_PLACE_LOCATION, lat, lon


def fmt_when(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def basis_text(session: Session, action: JointAction) -> str:
    if action.plan_entry_id is None:
        return esc(action.off_plan_reason or texts.DSP_OFF_PLAN_PREFIX)
    entry = session.get(acts.PlanEntry, action.plan_entry_id)
    if entry is None:
        return f"#{action.plan_entry_id}"
    return texts.DSP_BASIS_PLAN.format(id=entry.id, item=esc(entry.item_code), frequency=esc(entry.frequency))


MAX_AHEAD = timedelta(days=90)


def action_time(text: str, tz: ZoneInfo) -> datetime:
    """A typed start time for a joint action: understood, in the future, at most 90 days ahead.
    Raises TimeParseError with the Chinese message to show (the wizard and the edit share it)."""
    at = parse_when(text[:64], now=utcnow().astimezone(tz), tz=tz)
    if at <= utcnow():
        raise TimeParseError(texts.DSP_TIME_PAST)
    if at > utcnow() + MAX_AHEAD:
        raise TimeParseError(texts.DSP_TIME_FAR)
    return at


def notice_markup(recipient_id: int, version: int) -> dict:
    """收到 / 无法参加 for one recipient and one version of the action's time and place: a press on
    a notice from before a change is refused instead of confirming the new time unseen."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.DSP_ACK, callback_data=encode("dsa", "ack", recipient_id, version)),
        InlineKeyboardButton(texts.DSP_DECLINE, callback_data=encode("dsa", "no", recipient_id, version)),
    ]]).to_dict()


def update_prefix(tz: ZoneInfo, *, old_when: datetime | None = None, old_place: str | None = None) -> str:
    """The line an update notice starts with: what changed and what it was before."""
    prefix = texts.DSP_UPDATE_PREFIX_TIME.format(old_when=fmt_when(old_when, tz)) if old_when is not None else ""
    if old_place is not None:
        prefix += texts.DSP_UPDATE_PREFIX_PLACE.format(old_place=esc(old_place))
    return prefix


def notice_text(session: Session, action: JointAction, tz: ZoneInfo, *, prefix: str = "") -> str:
    sender = session.get(Person, action.created_by) if action.created_by else None
    return texts.DSP_NOTICE.format(
        number=action.number, prefix=prefix, when=fmt_when(action.starts_at, tz),
        place=esc(action.place_text), lead=esc(action.lead_department), basis=basis_text(session, action),
        task=esc(action.task), sender=esc(sender.name if sender else "管理员"),
    )


def enqueue_notices(session: Session, action: JointAction, tz: ZoneInfo, *, prefix: str = "") -> int:
    """One notice (plus a location when given) per reachable recipient; dedupe per version.
    `prefix` (from `update_prefix`) marks an update after 修改时间地点."""
    text = notice_text(session, action, tz, prefix=prefix)
    count = 0
    for row, person in acts.recipients_of(session=session, action_id=action.id or 0):
        if person.telegram_id is None or not person.active or row.delivery == Delivery.FAILED and row.delivery_error == "unbound":
            continue
        key = f"dsp:{action.id}:v{action.version}:{row.id}"
        ref = f"{action.id}:{row.id}"
        outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text,
                       reply_markup=notice_markup(row.id or 0, action.version), ref_type=REF_NOTICE, ref_id=ref,
                       dedupe_key=key, ref_version=action.version)
        if action.latitude is not None and action.longitude is not None:
            outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, method="send_location",
                           payload={"latitude": action.latitude, "longitude": action.longitude},
                           ref_type=REF_NOTICE, ref_id=ref, dedupe_key=key + ":loc", ref_version=action.version)
        count += 1
    return count


def schedule_clock(session: Session, action: JointAction, *, nudge_minutes: float, remind_minutes: float) -> None:
    """Nudge round 1 after `nudge_minutes`; the reminder `remind_minutes` before the start."""
    now = utcnow()
    first = now + timedelta(minutes=nudge_minutes)
    if first < action.starts_at:
        clock.schedule(session=session, kind=KIND_NUDGE, due_at=first, event_at=action.starts_at, ref_type=REF_ACTION,
                       ref_id=action.id, payload={"round": 1, "version": action.version, "every": nudge_minutes})
    remind_at = action.starts_at - timedelta(minutes=remind_minutes)
    if remind_at > now:
        clock.schedule(session=session, kind=KIND_REMIND, due_at=remind_at, event_at=action.starts_at,
                       ref_type=REF_ACTION, ref_id=action.id, payload={"version": action.version})


def dispatcher_of(session: Session, action: JointAction) -> tuple[int, int | None] | None:
    """(chat, person) that gets the dispatcher's messages and the board: the creator while active;
    once deactivated, the zone's coordinator, else an admin (None: nobody can be reached)."""
    if action.created_by is None:
        return action.created_by_telegram_id, None  # an admin by ADMIN_TELEGRAM_IDS, not on the roster
    creator = session.get(Person, action.created_by)
    if creator is not None and creator.active and creator.telegram_id is not None:
        return creator.telegram_id, creator.id
    zone = action.zone or (creator.zone if creator else None)
    for person in people.who_can_act(session=session, zone=zone, exclude={action.created_by}):
        assert person.telegram_id is not None
        return person.telegram_id, person.id
    return None


def tell_coordinator(session: Session, action: JointAction, text: str, key: str) -> None:
    target = dispatcher_of(session, action)
    if target is None:
        log.warning("action %s: nobody to tell (dispatcher deactivated, no coordinator or admin)", action.number)
        return
    outbox.enqueue(session=session, chat_id=target[0], person_id=target[1], text=text,
                   ref_type=REF_COORD, ref_id=action.id, dedupe_key=key)


def silent_recipients(session: Session, action_id: int) -> list[tuple[ActionRecipient, Person]]:
    return [(r, p) for r, p in acts.recipients_of(session=session, action_id=action_id)
            if r.response == Response.NONE and r.delivery != Delivery.FAILED and p.telegram_id is not None and p.active]


def nudge_silent(session: Session, action: JointAction, tz: ZoneInfo, *, tag: str, late: bool = False) -> int:
    text = texts.DSP_NUDGE.format(number=action.number, when=fmt_when(action.starts_at, tz), place=esc(action.place_text))
    if late:
        text = texts.DSP_LATE_PREFIX + text
    count = 0
    for row, person in silent_recipients(session, action.id or 0):
        created = outbox.enqueue(session=session, chat_id=person.telegram_id or 0, person_id=person.id, text=text,
                                 reply_markup=notice_markup(row.id or 0, action.version), ref_type=REF_NOTICE,
                                 ref_id=f"{action.id}:{row.id}", dedupe_key=f"dsp:{action.id}:{tag}:{row.id}",
                                 ref_version=action.version)
        if created is not None:
            row.nudges_sent += 1
            session.add(row)
            count += 1
    return count


def escalate(session: Session, action: JointAction, tz: ZoneInfo) -> int:
    """Still silent after two nudges: tell their street's coordinator, else the dispatcher."""
    silent = silent_recipients(session, action.id or 0)
    by_target: dict[tuple[int, int | None], list[str]] = {}
    for row, person in silent:
        leader = None
        if person.street:
            leader = session.exec(select(Person).where(
                Person.active == True, Person.role == Role.COORDINATOR, Person.street == person.street,  # noqa: E712
                Person.telegram_id != None, Person.id != action.created_by)).first()  # noqa: E711
        target = (leader.telegram_id, leader.id) if leader and leader.telegram_id else dispatcher_of(session, action)
        if target is not None:
            by_target.setdefault(target, []).append(person.name)  # type: ignore[arg-type]
        row.escalated_at = utcnow()
        session.add(row)
    for (chat_id, person_id), names in by_target.items():
        outbox.enqueue(session=session, chat_id=chat_id, person_id=person_id, ref_type=REF_COORD, ref_id=action.id,
                       text=texts.DSP_ESCALATE.format(number=action.number, when=fmt_when(action.starts_at, tz),
                                                      names="、".join(esc(n) for n in names)),
                       dedupe_key=f"dsp:{action.id}:v{action.version}:esc:{chat_id}")
    return len(silent)


# ------------------------------------------------------------------------------ clock kinds

_TZ: list[ZoneInfo] = [ZoneInfo("Asia/Shanghai")]


def set_timezone(tz: ZoneInfo) -> None:
    _TZ[0] = tz


def _live_action(session: Session, item: ClockItem, now: datetime) -> JointAction | None:
    action = session.get(JointAction, int(item.ref_id or 0))
    if action is None or action.status != ActionStatus.ACTIVE or action.starts_at <= now:
        return None
    if item.payload.get("version") not in (None, action.version):
        return None  # the time changed; the new schedule has its own items
    return action


def _handle_nudge(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    action = _live_action(session, item, firing.now)
    if action is None:
        return "skipped"
    rnd = int(item.payload.get("round", 1))
    every = float(item.payload.get("every", 15))
    if rnd >= ESCALATION_ROUND:
        escalate(session, action, _TZ[0])
        return None
    nudge_silent(session, action, _TZ[0], tag=f"v{action.version}:auto{rnd}", late=firing.late)
    nxt = firing.now + timedelta(minutes=every)
    if nxt < action.starts_at:
        clock.schedule(session=session, kind=KIND_NUDGE, due_at=nxt, event_at=action.starts_at, ref_type=REF_ACTION,
                       ref_id=action.id, payload={"round": rnd + 1, "version": action.version, "every": every})
    return None


def _handle_remind(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
    action = _live_action(session, item, firing.now)
    if action is None:
        return "skipped"
    text = texts.DSP_REMIND.format(number=action.number, when=fmt_when(action.starts_at, _TZ[0]), place=esc(action.place_text))
    if firing.late:
        text = texts.DSP_LATE_PREFIX + text
    for row, person in acts.recipients_of(session=session, action_id=action.id or 0):
        if row.response == Response.ACK and person.telegram_id is not None and person.active:
            outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text, ref_type=REF_NOTICE,
                           ref_id=f"{action.id}:{row.id}", dedupe_key=f"dsp:{action.id}:v{action.version}:remind:{row.id}",
                           ref_version=action.version)
    return None


def _missed_remind(session: Session, item: ClockItem, firing: clock.Firing) -> None:
    action = session.get(JointAction, int(item.ref_id or 0))
    if action is not None and action.status == ActionStatus.ACTIVE:
        tell_coordinator(session, action, texts.DSP_MISSED.format(number=action.number, what="开始前提醒"),
                         key=f"dsp:{action.id}:missed:{item.id}")


clock.register_kind(KIND_NUDGE, _handle_nudge)
clock.register_kind(KIND_REMIND, _handle_remind, _missed_remind)


# ------------------------------------------------------------------------------ delivery failures


def _on_failed(session: Session, row: OutboxMessage) -> None:
    """A notice could not be delivered (blocked, gave up): mark it and tell the dispatcher."""
    try:
        action_id, recipient_id = (int(x) for x in (row.ref_id or "").split(":"))
    except ValueError:
        return
    recipient = session.get(ActionRecipient, recipient_id)
    action = session.get(JointAction, action_id)
    if recipient is None or action is None:
        return
    if recipient.response == Response.NONE:
        recipient.delivery, recipient.delivery_error = Delivery.FAILED, (row.last_error or "")[:300]
        session.add(recipient)
    person = session.get(Person, recipient.person_id)
    tell_coordinator(session, action, texts.DSP_DELIVERY_FAILED.format(
        number=action.number, name=esc(person.name if person else "?"), error=esc(row.last_error or "")),
        key=f"dsp:{action.id}:fail:{recipient_id}")
    BOARD.mark(action_id)


register_failure_hook(REF_NOTICE, _on_failed)


def _on_change(row: OutboxMessage) -> None:
    """A notice was delayed (429/backoff) or finally sent: the board shows 发送延迟 or not."""
    action_id = (row.ref_id or "").split(":")[0]
    if action_id.isdigit() and row.method == "send_message":
        BOARD.mark(int(action_id))


register_change_hook(REF_NOTICE, _on_change)


def _notice_version(session: Session, row: OutboxMessage) -> int | None:
    """The worker asks before each send: is the action still active and at this version?"""
    action_id = (row.ref_id or "").split(":")[0]
    return acts.live_version(session=session, action_id=int(action_id)) if action_id.isdigit() else None


register_version_lookup(REF_NOTICE, _notice_version)


# ------------------------------------------------------------------------------ the live board


def board_text(session: Session, action: JointAction, tz: ZoneInfo) -> str:
    counts = acts.board_counts(session=session, action_id=action.id or 0)

    def names(items: list[str]) -> str:
        return name_list(items, empty=texts.DSP_NOBODY_LIST)

    declined = [f"{n}（{r or texts.DSP_REASON_PENDING}）" for n, r in counts.declined]
    delayed = ""
    if counts.delayed:
        delayed = texts.DSP_BOARD_DELAYED.format(count=len(counts.delayed), names="、".join(
            texts.DSP_BOARD_DELAYED_NAME.format(name=esc(n), at=at.astimezone(tz).strftime("%H:%M:%S"))
            for n, at in counts.delayed))
    return clip(texts.DSP_BOARD.format(
        number=action.number, status=texts.DSP_BOARD_CANCELLED if action.status == ActionStatus.CANCELLED else "",
        when=fmt_when(action.starts_at, tz), place=esc(action.place_text),
        n_ack=len(counts.acked), acked=names(counts.acked), n_decline=len(declined), declined=names(declined),
        n_silent=len(counts.silent), silent=names(counts.silent), n_failed=len(counts.failed), failed=names(counts.failed),
        delayed=delayed, result=result_text(session, action),
    ))


def result_text(session: Session, action: JointAction) -> str:
    """The recorded result, for the board ("" until recorded)."""
    result = acts.result_of(session=session, action_id=action.id or 0)
    if result is None:
        return ""
    return texts.DSP_BOARD_RESULT.format(
        households=result.households_checked, problems=result.problems_found, cases=result.cases_opened,
        photos=len(result.photo_file_ids),
        notes=texts.DSP_BOARD_RESULT_NOTES.format(notes=esc(result.notes)) if result.notes else "")


def board_markup(action: JointAction) -> InlineKeyboardMarkup | None:
    aid = action.id or 0
    if action.status == ActionStatus.CANCELLED:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(texts.DSP_BTN_NUDGE, callback_data=encode("dsb", "nudge", aid)),
         InlineKeyboardButton(texts.DSP_BTN_EDIT, callback_data=encode("dsb", "edit", aid))],
        [InlineKeyboardButton(texts.DSP_BTN_CANCEL, callback_data=encode("dsb", "cancel", aid)),
         InlineKeyboardButton(texts.DSP_BTN_RESULT, callback_data=encode("dsb", "result", aid))],
    ])


def may_manage(session: Session, action: JointAction, person_id: int | None, role: Role | None) -> bool:
    """Who may use the board's buttons: admins, and the action's dispatcher as `dispatcher_of` names
    it — its creator while active and still a coordinator, else the zone's coordinator who was handed
    the board (a board moved to someone who cannot use it helps nobody)."""
    if role == Role.ADMIN:
        return True
    if role != Role.COORDINATOR or person_id is None:
        return False
    target = dispatcher_of(session, action)
    return target is not None and target[1] == person_id


def _holder_may_manage(session: Session, person_id: int | None) -> bool:
    """`may_manage` for the person `dispatcher_of` just chose (so the dispatcher test holds already):
    their role decides (None: an admin by ADMIN_TELEGRAM_IDS, off the roster)."""
    if person_id is None:
        return True
    holder = session.get(Person, person_id)
    return holder is not None and holder.role in (Role.ADMIN, Role.COORDINATOR)


class BoardRefresher:
    """Collects actions whose board changed; a repeating job edits each at most once per interval."""

    def __init__(self) -> None:
        self._dirty: set[int] = set()
        self._lock = threading.Lock()
        self._last_orphan_scan: datetime | None = None
        self._to_post: dict[int, tuple[datetime, timedelta]] = {}  # missing board -> (next try, pause after)

    def mark(self, action_id: int) -> None:
        with self._lock:
            self._dirty.add(action_id)

    def post_missing(self, action_id: int) -> None:
        """This action's board is in no chat: post it at the next flush (no-op when already planned)."""
        with self._lock:
            self._to_post.setdefault(action_id, (utcnow(), ORPHAN_SCAN))

    def _retry_later(self, action_id: int) -> None:
        """Posting failed: try again after a pause that doubles each time (a blocked chat stays blocked)."""
        with self._lock:
            _, pause = self._to_post.get(action_id, (None, ORPHAN_SCAN))
            self._to_post[action_id] = (utcnow() + pause, min(pause * 2, MISSING_BOARD_PAUSE_MAX))

    def _due_posts(self) -> set[int]:
        now = utcnow()
        with self._lock:
            return {action_id for action_id, (due, _) in self._to_post.items() if due <= now}

    def _forget(self, action_id: int) -> None:
        with self._lock:
            self._to_post.pop(action_id, None)

    def take(self) -> set[int]:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        return dirty

    async def flush(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        services = context.application.bot_data["services"]
        self._mark_orphaned(services.db)
        due_posts = self._due_posts()
        for action_id in self.take() | due_posts:
            with services.db.session() as session:
                action = session.get(JointAction, action_id)
                missing = action is not None and (action.board_chat_id is None or action.board_message_id is None)
                if action is None or (missing and action.status != ActionStatus.ACTIVE):
                    self._forget(action_id)  # nothing to show any more
                    continue
                if missing and action_id not in due_posts:
                    continue  # e.g. an answer came while the confirm step is still posting the board
                text = board_text(session, action, services.settings.tz)
                markup = board_markup(action)
                chat_id, message_id = action.board_chat_id, action.board_message_id
                target = dispatcher_of(session, action)
                taken_over = not missing or (target is not None and target[1] != action.created_by)
                if target is not None and not _holder_may_manage(session, target[1]):
                    markup = None  # e.g. a creator demoted by a roster import: the buttons would only refuse
            if missing or target is None or target[0] != chat_id:  # no board yet, or the dispatcher left
                if await self._move(context, services, action_id, target, text, markup, moved=taken_over):
                    self._forget(action_id)
                else:
                    self._retry_later(action_id)
                continue
            try:
                await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("board %s not edited: %s", action_id, exc.message)
            except RetryAfter:
                self.mark(action_id)
            except TelegramError as exc:
                log.warning("board %s not edited: %s", action_id, exc)
                self.mark(action_id)

    def _mark_orphaned(self, db) -> None:  # type: ignore[no-untyped-def]
        """Every ORPHAN_SCAN seconds: boards of live actions whose creator was deactivated are
        marked, so the next flush moves them (a roster import knows nothing of boards)."""
        now = utcnow()
        if self._last_orphan_scan is not None and now - self._last_orphan_scan < ORPHAN_SCAN:
            return
        self._last_orphan_scan = now
        with db.session() as session:
            orphaned = session.exec(select(JointAction.id).where(
                JointAction.status == ActionStatus.ACTIVE, JointAction.board_chat_id != None,  # noqa: E711
                JointAction.created_by == Person.id, Person.active == False,  # noqa: E712
                JointAction.board_chat_id == Person.telegram_id)).all()
            missing = session.exec(select(JointAction.id).where(
                JointAction.status == ActionStatus.ACTIVE, JointAction.board_chat_id == None,  # noqa: E711
                JointAction.created_at <= now - MISSING_BOARD_GRACE)).all()
        for action_id in orphaned:
            self.mark(action_id)
        for action_id in missing:  # e.g. the bot restarted before a failed board was posted
            self.post_missing(action_id)

    async def _move(self, context: ContextTypes.DEFAULT_TYPE, services, action_id: int,  # type: ignore[no-untyped-def]
                    target: tuple[int, int | None] | None, text: str, markup: InlineKeyboardMarkup | None,
                    *, moved: bool = True) -> bool:
        """Post the board anew in the chat of whoever holds it now (the creator, or whoever took
        over: the zone's coordinator, else an admin) and follow that message from now on; the old
        chat is no longer edited. False when it could not be posted (the caller retries later)."""
        sent = None
        if target is not None:
            try:
                sent = await context.bot.send_message(target[0], (texts.DSP_BOARD_MOVED if moved else "") + text,
                                                      reply_markup=markup)
            except RetryAfter:
                return False  # the board stays where it was (or missing) until the retry
            except TelegramError as exc:
                log.warning("board %s not posted: %s", action_id, exc)
        with services.db.session() as session:
            action = session.get(JointAction, action_id)
            if action is not None:
                action.board_chat_id = sent.chat_id if sent is not None else None
                action.board_message_id = sent.message_id if sent is not None else None
                session.add(action)
        return sent is not None


BOARD = BoardRefresher()


def start_board_job(app: Application) -> None:
    settings = app.bot_data["services"].settings
    set_timezone(settings.tz)
    assert app.job_queue is not None
    app.job_queue.run_repeating(BOARD.flush, interval=max(0.2, settings.dispatch_board_edit_seconds), first=1.0,
                                name="dispatch-board", job_kwargs={"misfire_grace_time": None, "coalesce": True})
