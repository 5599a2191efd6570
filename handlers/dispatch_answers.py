"""Answers to a joint-action notice (收到 / 无法参加 + reason) and the coordinator's board buttons
(提醒未回复, 修改时间地点, 取消行动, 记录结果). Every press re-loads the entity and re-checks the presser."""

from __future__ import annotations

import unicodedata
import warnings
from zoneinfo import ZoneInfo

from sqlmodel import Session
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
from db import audit, outbox
from db.actions import ActionRecipient, ActionStatus, JointAction, Response
from db.models import OutboxMessage, OutboxStatus, utcnow
from handlers import dispatch_notices as notices
from handlers import flows, keyboards
from handlers.callbacks import decode, encode
from handlers.common import Refusal, esc, press_a_button, refuse
from handlers.context import Actor, BotContext
from jobs import clock
from knowledge.timeparse import TimeParseError

REASON, EDIT_TIME, EDIT_PLACE, R_HOUSEHOLDS, R_PROBLEMS, R_CASES, R_NOTES, R_PHOTOS = range(100, 108)
REASONS = {"leave": texts.DSP_REASON_LEAVE, "task": texts.DSP_REASON_TASK}
MAX_REASON = 200
MAX_COUNT = 100_000
MAX_PHOTOS = 20


def _ident(update: Update) -> int | None:
    cb = decode(update.callback_query.data if update.callback_query else None)
    return int(cb.ident) if cb is not None and cb.ident.isdigit() else None


def _pressed_version(update: Update) -> str:
    cb = decode(update.callback_query.data if update.callback_query else None)
    return cb.version if cb is not None else ""


def _load_own(
    context: BotContext, recipient_id: int | None, version: str = ""
) -> tuple[ActionRecipient, JointAction] | str:
    """The presser's own recipient row and its action, or the refusal to show. A button of an
    older version (the time or place changed since) is stale, and so is one without a version:
    only a forged or pre-version button lacks it, and neither may confirm a time never seen."""
    actor = context.require_actor()
    if recipient_id is None:
        return texts.FORGED_BUTTON
    with context.db.session() as session:
        row = session.get(ActionRecipient, recipient_id)
        if row is None:
            return texts.FORGED_BUTTON
        if actor.person_id is None or row.person_id != actor.person_id:
            return texts.DSP_NOT_YOURS
        action = session.get(JointAction, row.action_id)
        assert action is not None
        if action.status == ActionStatus.CANCELLED:
            return texts.DSP_CANCELLED_ALREADY
        if action.starts_at <= utcnow():
            return texts.DSP_STARTED
        if version != str(action.version):
            return texts.DSP_STALE_NOTICE
        return row, action


def _record(context: BotContext, recipient_id: int, response: Response, reason: str | None) -> tuple[str, str] | str:
    """Write the answer unless the action started or was cancelled meanwhile; (number, when)."""
    actor = context.require_actor()
    with context.db.session() as session:
        row = session.get(ActionRecipient, recipient_id, with_for_update=context.db.is_postgres)
        action = session.get(JointAction, row.action_id) if row else None
        if row is None or action is None or row.person_id != actor.person_id:
            return texts.DSP_NOT_YOURS
        if action.status == ActionStatus.CANCELLED:
            return texts.DSP_CANCELLED_ALREADY
        if action.starts_at <= utcnow():
            return texts.DSP_STARTED
        acts.answer(session=session, recipient=row, response=response, reason=reason, actor_telegram_id=actor.telegram_id)
        result = (action.number, notices.fmt_when(action.starts_at, context.settings.tz))
    notices.BOARD.mark(action.id or 0)
    return result


async def on_ack(update: Update, context: BotContext) -> None:
    loaded = _load_own(context, _ident(update), _pressed_version(update))
    if isinstance(loaded, str):
        await refuse(update, loaded)
        return
    row, _action = loaded
    result = _record(context, row.id or 0, Response.ACK, None)
    if isinstance(result, str):
        await refuse(update, result)
        return
    assert update.callback_query is not None
    await update.callback_query.answer(texts.DSP_ACK_OK.format(number=result[0], when=result[1]))
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, texts.DSP_ACK_OK.format(number=result[0], when=result[1]))


async def on_decline(update: Update, context: BotContext) -> int | None:
    """无法参加: recorded at once (reason 未说明), then the reason is asked."""
    loaded = _load_own(context, _ident(update), _pressed_version(update))
    if isinstance(loaded, str):
        await refuse(update, loaded)
        return ConversationHandler.END
    row, action = loaded
    result = _record(context, row.id or 0, Response.DECLINE, None)
    if isinstance(result, str):
        await refuse(update, result)
        return ConversationHandler.END
    assert update.callback_query is not None and update.effective_chat is not None and context.user_data is not None
    await update.callback_query.answer()
    rid = row.id or 0
    context.user_data["dsp_reason_for"] = {"rid": rid, "version": action.version}
    buttons = InlineKeyboardMarkup([[
        InlineKeyboardButton(label, callback_data=encode("dsa", "rsn", rid, f"{kind}.{action.version}"))
        for kind, label in (("leave", texts.DSP_REASON_LEAVE), ("task", texts.DSP_REASON_TASK),
                            ("other", texts.DSP_REASON_OTHER))
    ]])
    await context.bot.send_message(update.effective_chat.id, texts.DSP_ASK_REASON.format(number=action.number), reply_markup=buttons)
    return REASON


async def on_reason_button(update: Update, context: BotContext) -> int | None:
    """请假 / 另有任务 / 其他: the button carries `kind.version`; a missing or old version is stale."""
    cb = decode(update.callback_query.data if update.callback_query else None)
    kind, _, version = cb.version.partition(".") if cb is not None else ("", "", "")
    if cb is None or not cb.ident.isdigit() or kind not in ("leave", "task", "other"):
        await refuse(update, texts.FORGED_BUTTON)
        return None
    loaded = _load_own(context, int(cb.ident), version)
    if isinstance(loaded, str):
        await refuse(update, loaded)
        return ConversationHandler.END
    assert update.callback_query is not None and context.user_data is not None
    if kind == "other":
        context.user_data["dsp_reason_for"] = {"rid": int(cb.ident), "version": int(version)}
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(texts.DSP_ASK_REASON_TEXT)
        return REASON
    return await _save_reason(update, context, int(cb.ident), REASONS[kind], version)


async def on_reason_text(update: Update, context: BotContext) -> int | None:
    assert update.effective_message is not None and context.user_data is not None
    reason = unicodedata.normalize("NFKC", update.effective_message.text or "").strip()
    if not reason or len(reason) > MAX_REASON:
        await update.effective_message.reply_text(texts.DSP_TEXT_BAD.format(limit=MAX_REASON))
        return REASON
    pending = context.user_data.get("dsp_reason_for")
    if not isinstance(pending, dict):
        return ConversationHandler.END
    return await _save_reason(update, context, int(pending["rid"]), reason, str(pending["version"]))


async def _save_reason(update: Update, context: BotContext, rid: int, reason: str, version: str) -> int:
    loaded = _load_own(context, rid, version)  # the time may have changed while the reason was typed
    result = loaded if isinstance(loaded, str) else _record(context, rid, Response.DECLINE, reason)
    if isinstance(result, str):
        await refuse(update, result)
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop("dsp_reason_for", None)
    await context.bot.send_message(update.effective_chat.id, texts.DSP_DECLINE_OK.format(reason=esc(reason)))
    return ConversationHandler.END


# ------------------------------------------------------------------------------ board buttons


def _load_managed(context: BotContext, action_id: int | None) -> JointAction | str:
    """The action if the presser dispatched it (or is an admin)."""
    actor = context.require_actor()
    if action_id is None:
        return texts.FORGED_BUTTON
    with context.db.session() as session:
        action = session.get(JointAction, action_id)
        if action is None:
            return texts.FORGED_BUTTON
        if not _manages(session, actor, action):
            return texts.NO_PERMISSION
    return action


def _manages(session: Session, actor: Actor, action: JointAction) -> bool:
    """Admins, the coordinator who dispatched it (roster role now), or the zone coordinator who took
    the board over when the dispatcher was deactivated (dispatch_notices.may_manage)."""
    return notices.may_manage(session, action, actor.person_id, actor.role)


async def on_nudge(update: Update, context: BotContext) -> None:
    action = _load_managed(context, _ident(update))
    if isinstance(action, str):
        await refuse(update, action)
        return
    if action.status != ActionStatus.ACTIVE or action.starts_at <= utcnow():
        await refuse(update, texts.DSP_ACTION_OVER)
        return
    bucket = int(utcnow().timestamp() // 60)  # one manual nudge per minute at most
    with context.db.session() as session:
        fresh = session.get(JointAction, action.id)
        assert fresh is not None
        count = notices.nudge_silent(session, fresh, context.settings.tz, tag=f"manual{bucket}")
    context.services.extras["delivery"].wake()
    assert update.callback_query is not None
    await update.callback_query.answer(texts.DSP_NUDGED.format(count=count) if count else texts.DSP_NUDGE_NONE, show_alert=True)


async def on_cancel(update: Update, context: BotContext) -> None:
    action = _load_managed(context, _ident(update))
    if isinstance(action, str):
        await refuse(update, action)
        return
    if action.status != ActionStatus.ACTIVE:
        await refuse(update, texts.DSP_ACTION_OVER)
        return
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, texts.DSP_CANCEL_CONFIRM.format(number=action.number),
                                   reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
                                       texts.DSP_CANCEL_YES, callback_data=encode("dsb", "cancelyes", action.id or 0))]]))


async def on_cancel_yes(update: Update, context: BotContext) -> None:
    action = _load_managed(context, _ident(update))
    if isinstance(action, str):
        await refuse(update, action)
        return
    actor = context.require_actor()
    tz = context.settings.tz
    with context.db.session() as session:
        fresh = session.get(JointAction, action.id, with_for_update=context.db.is_postgres)
        over = fresh is None or fresh.status != ActionStatus.ACTIVE
        if not over:
            number = _cancel_action(session, fresh, actor, tz)
    if over:
        await refuse(update, texts.DSP_ACTION_OVER)
        return
    context.services.extras["delivery"].wake()
    notices.BOARD.mark(action.id or 0)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(texts.DSP_CANCEL_DONE.format(number=number))


def _cancel_action(session: Session, fresh: JointAction, actor: Actor, tz: ZoneInfo) -> str:
    """Mark the action cancelled, stop its clock items and tell everyone who got a notice."""
    fresh.status, fresh.cancelled_at = ActionStatus.CANCELLED, utcnow()
    session.add(fresh)
    clock.cancel(session=session, ref_type=notices.REF_ACTION, ref_id=fresh.id or 0)
    unsent = {row.ref_id for row in acts.notice_rows(session=session, action_id=fresh.id or 0)
              if row.status == OutboxStatus.PENDING}
    _cancel_pending(session, fresh.id or 0)
    text = texts.DSP_CANCEL_NOTICE.format(number=fresh.number, when=notices.fmt_when(fresh.starts_at, tz))
    for row, person in acts.recipients_of(session=session, action_id=fresh.id or 0):
        ref = f"{fresh.id}:{row.id}"
        if person.telegram_id is None or ref in unsent and not _ever_sent(session, ref):
            continue
        outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text,
                       ref_type=notices.REF_COORD, ref_id=fresh.id, dedupe_key=f"dsp:{fresh.id}:cancel:{row.id}")
    audit.record(session=session, actor_person_id=actor.person_id, actor_telegram_id=actor.telegram_id,
                 action="dispatch.cancel", entity_type="action", entity_id=fresh.number,
                 before={"status": "active"}, after={"status": "cancelled"})
    return fresh.number


def _cancel_pending(session, action_id: int) -> None:  # type: ignore[no-untyped-def]
    for row in acts.notice_rows(session=session, action_id=action_id):
        if row.status == OutboxStatus.PENDING:
            row.status = OutboxStatus.CANCELLED
            session.add(row)


def _ever_sent(session, ref: str) -> bool:  # type: ignore[no-untyped-def]
    from sqlmodel import select
    return session.exec(select(OutboxMessage.id).where(
        OutboxMessage.ref_type == notices.REF_NOTICE, OutboxMessage.ref_id == ref,
        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.SENDING]))).first() is not None  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ change time and place


async def on_edit(update: Update, context: BotContext) -> int | None:
    action = _load_managed(context, _ident(update))
    if isinstance(action, str):
        await refuse(update, action)
        return ConversationHandler.END
    if action.status != ActionStatus.ACTIVE or action.starts_at <= utcnow():
        await refuse(update, texts.DSP_ACTION_OVER)
        return ConversationHandler.END
    assert update.callback_query is not None and update.effective_chat is not None and context.user_data is not None
    await update.callback_query.answer()
    context.user_data["dsp_edit"] = {"id": action.id}
    await context.bot.send_message(update.effective_chat.id, texts.DSP_EDIT_ASK_TIME.format(number=action.number))
    return EDIT_TIME


async def on_edit_time(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    text = (message.text or "").strip()
    edit = context.user_data.get("dsp_edit", {})
    if text not in ("-", "—", "不改"):
        tz = context.settings.tz
        try:
            at = notices.action_time(text, tz)
        except TimeParseError as exc:
            await message.reply_text(esc(str(exc)))
            return EDIT_TIME
        edit["starts_at"] = at
    await message.reply_text(texts.DSP_EDIT_ASK_PLACE)
    return EDIT_PLACE


async def on_edit_place(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    edit = context.user_data.pop("dsp_edit", {})
    if message.location is not None:
        try:
            edit["place"], edit["lat"], edit["lon"] = notices.meeting_point(message.location, message.venue, 200)
        except Refusal as refusal:
            context.user_data["dsp_edit"] = edit
            await message.reply_text(refusal.text)
            return EDIT_PLACE
    else:
        text = unicodedata.normalize("NFKC", message.text or "").strip()
        if text not in ("-", "—", "不改"):
            if not text or len(text) > 200:
                context.user_data["dsp_edit"] = edit
                await message.reply_text(texts.DSP_TEXT_BAD.format(limit=200))
                return EDIT_PLACE
            edit["place"], edit["lat"], edit["lon"] = text, None, None
    if "starts_at" not in edit and "place" not in edit:
        await message.reply_text(texts.DSP_EDIT_NOTHING)
        return ConversationHandler.END
    actor = context.require_actor()
    settings = context.settings
    try:
        with context.db.session() as session:
            action = session.get(JointAction, edit.get("id"), with_for_update=context.db.is_postgres)
            if action is None or not _manages(session, actor, action) or action.status != ActionStatus.ACTIVE or action.starts_at <= utcnow():
                raise Refusal(texts.DSP_ACTION_OVER)
            before = {"starts_at": action.starts_at.isoformat(), "place": action.place_text}
            time_changed = "starts_at" in edit and edit["starts_at"] != action.starts_at
            place_changed = "place" in edit and (edit["place"], edit["lat"], edit["lon"]) != (
                action.place_text, action.latitude, action.longitude)
            if not time_changed and not place_changed:
                raise Refusal(texts.DSP_EDIT_NOTHING)
            prefix = notices.update_prefix(settings.tz, old_when=action.starts_at if time_changed else None,
                                           old_place=action.place_text if place_changed else None)
            if time_changed:
                action.starts_at = edit["starts_at"]
                acts.reset_answers(session=session, action=action, actor_person_id=actor.person_id,
                                   actor_telegram_id=actor.telegram_id)
            if place_changed:
                action.place_text, action.latitude, action.longitude = edit["place"], edit["lat"], edit["lon"]
            action.version += 1
            session.add(action)
            clock.cancel(session=session, ref_type=notices.REF_ACTION, ref_id=action.id or 0)
            _cancel_pending(session, action.id or 0)
            count = notices.enqueue_notices(session, action, settings.tz, prefix=prefix)
            notices.schedule_clock(session, action, nudge_minutes=settings.dispatch_nudge_minutes,
                                   remind_minutes=settings.dispatch_remind_before_minutes)
            from db import audit
            audit.record(session=session, actor_person_id=actor.person_id, actor_telegram_id=actor.telegram_id,
                         action="dispatch.edit", entity_type="action", entity_id=action.number, before=before,
                         after={"starts_at": action.starts_at.isoformat(), "place": action.place_text})
            number, aid = action.number, action.id or 0
    except Refusal as refused:
        await message.reply_text(refused.text)
        return ConversationHandler.END
    context.services.extras["delivery"].wake()
    notices.BOARD.mark(aid)
    done = texts.DSP_EDIT_DONE_RECONFIRM if time_changed else texts.DSP_EDIT_DONE
    await message.reply_text(done.format(number=number, count=count))
    return ConversationHandler.END


# ------------------------------------------------------------------------------ result after the action


async def on_result(update: Update, context: BotContext) -> int | None:
    action = _load_managed(context, _ident(update))
    if isinstance(action, str):
        await refuse(update, action)
        return ConversationHandler.END
    if action.status != ActionStatus.ACTIVE:
        await refuse(update, texts.DSP_ACTION_OVER)
        return ConversationHandler.END
    assert update.callback_query is not None and update.effective_chat is not None and context.user_data is not None
    if action.starts_at > utcnow():
        await update.callback_query.answer(texts.DSP_RESULT_NOT_STARTED, show_alert=True)
        return ConversationHandler.END
    await update.callback_query.answer()
    context.user_data["dsp_result"] = {"id": action.id, "number": action.number, "photos": []}
    await context.bot.send_message(update.effective_chat.id, texts.DSP_RESULT_ASK_HOUSEHOLDS.format(number=action.number))
    return R_HOUSEHOLDS


def _count(text: str | None) -> int | None:
    value = unicodedata.normalize("NFKC", text or "").strip()
    return int(value) if value.isdigit() and int(value) <= MAX_COUNT else None


async def _number_step(update: Update, context: BotContext, key: str, ask: str, this: int, nxt: int) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    value = _count(message.text)
    if value is None:
        await message.reply_text(texts.DSP_RESULT_BAD_NUMBER)
        return this
    result = context.user_data.setdefault("dsp_result", {})
    if key == "cases" and value > result.get("problems", MAX_COUNT):
        await message.reply_text(texts.DSP_RESULT_BAD_ORDER)
        return this
    result[key] = value
    await message.reply_text(ask)
    return nxt


async def on_households(update: Update, context: BotContext) -> int:
    return await _number_step(update, context, "households", texts.DSP_RESULT_ASK_PROBLEMS, R_HOUSEHOLDS, R_PROBLEMS)


async def on_problems(update: Update, context: BotContext) -> int:
    return await _number_step(update, context, "problems", texts.DSP_RESULT_ASK_CASES, R_PROBLEMS, R_CASES)


async def on_cases(update: Update, context: BotContext) -> int:
    return await _number_step(update, context, "cases", texts.DSP_RESULT_ASK_NOTES, R_CASES, R_NOTES)


async def on_notes(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    notes = unicodedata.normalize("NFKC", message.text or "").strip()
    if len(notes) > 2000:
        await message.reply_text(texts.DSP_TEXT_BAD.format(limit=2000))
        return R_NOTES
    context.user_data.setdefault("dsp_result", {})["notes"] = None if notes in ("", "-", "—", "无") else notes
    await message.reply_text(texts.DSP_RESULT_ASK_PHOTOS, reply_markup=InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.DSP_RESULT_DONE_BUTTON, callback_data=encode("dsr", "done"))]]))
    return R_PHOTOS


async def on_photo(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    photos: list[str] = context.user_data.setdefault("dsp_result", {}).setdefault("photos", [])
    if message.photo and len(photos) < MAX_PHOTOS:
        photos.append(message.photo[-1].file_id)
    await message.reply_text(texts.DSP_RESULT_PHOTO_OK.format(count=len(photos)), reply_markup=InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.DSP_RESULT_DONE_BUTTON, callback_data=encode("dsr", "done"))]]))
    return R_PHOTOS


async def on_result_done(update: Update, context: BotContext) -> int:
    assert context.user_data is not None and update.effective_chat is not None
    draft = context.user_data.get("dsp_result", {})  # kept until the result is committed
    if update.callback_query is not None:
        await update.callback_query.answer()
    actor = context.require_actor()
    try:
        with context.db.session() as session:
            action = session.get(JointAction, draft.get("id"))
            if action is None or not _manages(session, actor, action) or "cases" not in draft:
                raise Refusal(texts.FORGED_BUTTON)
            acts.save_result(session=session, action=action, households_checked=draft["households"],
                             problems_found=draft["problems"], cases_opened=draft["cases"], notes=draft.get("notes"),
                             photo_file_ids=draft.get("photos", []), actor_person_id=actor.person_id,
                             actor_telegram_id=actor.telegram_id)
    except Refusal as refused:
        context.user_data.pop("dsp_result", None)
        await refuse(update, refused.text)
        return ConversationHandler.END
    context.user_data.pop("dsp_result", None)
    notices.BOARD.mark(draft["id"])
    notes = draft.get("notes")
    await context.bot.send_message(update.effective_chat.id, texts.DSP_RESULT_SAVED.format(
        number=draft["number"], households=draft["households"], problems=draft["problems"], cases=draft["cases"],
        photos=len(draft.get("photos", [])), notes=texts.DSP_BOARD_RESULT_NOTES.format(notes=esc(notes)) if notes else ""))
    return ConversationHandler.END


async def _end(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        for key in ("dsp_reason_for", "dsp_edit", "dsp_result"):
            context.user_data.pop(key, None)
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.CANCELLED)
    return ConversationHandler.END


def register(app: Application) -> None:
    with warnings.catch_warnings():  # callback entry points with per_message=False are what we want here
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        _register(app)


def _register(app: Application) -> None:
    text = keyboards.TYPED
    flows.add(app, flows.Flow(
        entry_points=[CallbackQueryHandler(on_decline, pattern=r"^dsa:no:"),
                      CallbackQueryHandler(on_reason_button, pattern=r"^dsa:rsn:")],
        states={REASON: [CallbackQueryHandler(on_reason_button, pattern=r"^dsa:rsn:"), MessageHandler(text, on_reason_text)]},
        fallbacks=[CommandHandler("cancel", _end), MessageHandler(keyboards.MENU_TAP, _end)],
        allow_reentry=True, name="dispatch-decline", conversation_timeout=900,
        left_notice=texts.FLOW_LEFT_DECLINE,
    ))
    flows.add(app, flows.Flow(
        entry_points=[CallbackQueryHandler(on_edit, pattern=r"^dsb:edit:")],
        states={EDIT_TIME: [MessageHandler(text, on_edit_time)],
                EDIT_PLACE: [MessageHandler(filters.LOCATION | text, on_edit_place)]},
        fallbacks=[CommandHandler("cancel", _end), MessageHandler(keyboards.MENU_TAP, _end)],
        allow_reentry=True, name="dispatch-edit", conversation_timeout=900,
        left_notice=texts.FLOW_LEFT_EDIT,
    ))
    flows.add(app, flows.Flow(
        entry_points=[CallbackQueryHandler(on_result, pattern=r"^dsb:result:")],
        states={R_HOUSEHOLDS: [MessageHandler(text, on_households)], R_PROBLEMS: [MessageHandler(text, on_problems)],
                R_CASES: [MessageHandler(text, on_cases)], R_NOTES: [MessageHandler(text, on_notes)],
                R_PHOTOS: [MessageHandler(filters.PHOTO, on_photo), CallbackQueryHandler(on_result_done, pattern=r"^dsr:done"),
                           MessageHandler(text, press_a_button)]},
        fallbacks=[CommandHandler("cancel", _end), MessageHandler(keyboards.MENU_TAP, _end)],
        allow_reentry=True, name="dispatch-result", conversation_timeout=1800,
        left_notice=texts.FLOW_LEFT_RESULT,
    ))
    app.add_handler(CallbackQueryHandler(on_ack, pattern=r"^dsa:ack:"))
    app.add_handler(CallbackQueryHandler(on_nudge, pattern=r"^dsb:nudge:"))
    app.add_handler(CallbackQueryHandler(on_cancel_yes, pattern=r"^dsb:cancelyes:"))
    app.add_handler(CallbackQueryHandler(on_cancel, pattern=r"^dsb:cancel:"))
    app.add_handler(CallbackQueryHandler(_forged, pattern=r"^(dsa|dsb|dsr|dsp):"))



async def _forged(update: Update, context: BotContext) -> None:
    """A dispatch button no handler accepts (stale wizard, forged data)."""
    await refuse(update, texts.FORGED_BUTTON)
