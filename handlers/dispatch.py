"""/dispatch and 📣 派发行动: the coordinator's wizard that calls a zone to a joint action.

scope → time → meeting point → plan entry or off-plan reason → lead department → task →
preview (recipient count, unbound people, expired certificates) → confirm. The confirm commits
the action, one recipient row and one outbox row per person, and the clock items, then replies
with the XD number and the live board.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
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
from db.actions import JointAction, Scope
from db.models import Person, Role, utcnow
from handlers import dispatch_answers, flows, keyboards, plans
from handlers import dispatch_notices as notices
from handlers.callbacks import decode, encode
from handlers.common import Refusal, esc, press_a_button, refuse, requires, typed_text
from handlers.context import Actor, BotContext
from knowledge.streets import ZONES, normalize_street, zone_of
from knowledge.timeparse import TimeParseError

SCOPE, STREETS, PEOPLE, WHEN, PLACE, PLAN, OFF_PLAN, LEAD, TASK, CONFIRM = range(10)
LEAD_DEPARTMENTS = ("区城市管理和综合执法局", "区市场监督管理局", "区应急管理局")  # the scheme's 3 lead departments
ZONE_LIST = list(ZONES)
MAX_TASK = 1000
MAX_PLACE = 200
MAX_REASON = 200
NAMES_SHOWN = 30
DRAFT = "dsp_draft"
OFF_PLAN_LEAD = re.compile(r"^[\s：:，,、]*(?:[（(]临时任务[)）])?[\s：:，,、]*")  # typed 「计划外（临时任务）：」

log = logging.getLogger(__name__)


def _clean(text: str | None, limit: int) -> str | None:
    return typed_text(text, limit, nfkc=True)


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[、，,；;\s]+", text.strip()) if part]


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})


@requires(Role.COORDINATOR)
async def start(update: Update, context: BotContext) -> int:
    assert context.user_data is not None and update.effective_message is not None
    context.user_data[DRAFT] = {}
    buttons = [[InlineKeyboardButton(texts.DSP_SCOPE_ZONE.format(zone=z), callback_data=encode("dsp", "scope", f"z{i}"))]
               for i, z in enumerate(ZONE_LIST)]
    buttons.append([InlineKeyboardButton(texts.DSP_SCOPE_STREETS, callback_data=encode("dsp", "scope", "st")),
                    InlineKeyboardButton(texts.DSP_SCOPE_PEOPLE, callback_data=encode("dsp", "scope", "pp"))])
    await update.effective_message.reply_text(texts.DSP_ASK_SCOPE, reply_markup=InlineKeyboardMarkup(buttons))
    return SCOPE


def may_use_zone(actor: Actor, zone: str | None) -> bool:
    """A squadron coordinates its own zone; admins and district-wide coordinators any (meetings too)."""
    return actor.role == Role.ADMIN or actor.zone is None or zone is None or actor.zone == zone


async def on_scope(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None
    cb = decode(query.data)
    actor = context.require_actor()
    if cb is None or cb.ident not in {"st", "pp"} | {f"z{i}" for i in range(len(ZONE_LIST))}:
        await refuse(update, texts.FORGED_BUTTON)
        return None
    await query.answer()
    if cb.ident == "st":
        await query.edit_message_text(texts.DSP_ASK_STREETS)
        return STREETS
    if cb.ident == "pp":
        await query.edit_message_text(texts.DSP_ASK_PEOPLE)
        return PEOPLE
    zone = ZONE_LIST[int(cb.ident[1:])]
    if not may_use_zone(actor, zone):
        await query.edit_message_text(texts.DSP_OTHER_ZONE.format(zone=actor.zone))
        return ConversationHandler.END
    await query.edit_message_text(texts.DSP_SCOPE_ZONE.format(zone=zone))
    return await _set_scope(update, context, Scope(kind="zone", zone=zone))


async def on_scope_text(update: Update, context: BotContext) -> int | None:
    """Step 1 waits for a button; a typed zone name (老城区, 江南新区) is a natural answer too."""
    message = update.effective_message
    assert message is not None
    typed = (_clean(message.text, 40) or "").replace("（全片区）", "").replace("(全片区)", "").replace("全片区", "")
    if typed not in ZONE_LIST:
        await message.reply_text(texts.PRESS_A_BUTTON)
        return None
    actor = context.require_actor()
    if not may_use_zone(actor, typed):
        await message.reply_text(texts.DSP_OTHER_ZONE.format(zone=actor.zone))
        return ConversationHandler.END
    return await _set_scope(update, context, Scope(kind="zone", zone=typed))


async def on_streets(update: Update, context: BotContext) -> int | None:
    message = update.effective_message
    assert message is not None
    actor = context.require_actor()
    parts = _split(message.text or "")
    streets = [normalize_street(p) for p in parts]
    bad = [p for p, s in zip(parts, streets, strict=True) if s is None]
    if not parts or bad:
        await message.reply_text(texts.DSP_BAD_STREETS.format(names=esc("、".join(bad) or "—")))
        return STREETS
    chosen = list(dict.fromkeys(s for s in streets if s))
    zones = {zone_of(s) for s in chosen}
    if len(zones) != 1:
        await message.reply_text(texts.DSP_STREETS_TWO_ZONES)
        return STREETS
    zone = zones.pop()
    if not may_use_zone(actor, zone):
        await message.reply_text(texts.DSP_OTHER_ZONE.format(zone=actor.zone))
        return ConversationHandler.END
    return await _set_scope(update, context, Scope(kind="streets", zone=zone, streets=chosen))


async def on_people(update: Update, context: BotContext) -> int | None:
    message = update.effective_message
    assert message is not None
    actor = context.require_actor()
    names = list(dict.fromkeys(_split(message.text or "")))[:200]
    if not names:
        await message.reply_text(texts.DSP_ASK_PEOPLE)
        return PEOPLE
    with context.db.session() as session:
        found, missing = acts.people_by_names(session=session, names=names)
    if missing:
        await message.reply_text(texts.DSP_UNKNOWN_PEOPLE.format(names=esc("、".join(missing))))
        return PEOPLE
    if any(not may_use_zone(actor, p.zone) for p in found):
        await message.reply_text(texts.DSP_OTHER_ZONE.format(zone=actor.zone))
        return PEOPLE
    zones = {p.zone for p in found} - {None}
    zone = zones.pop() if len(zones) == 1 else actor.zone
    return await _set_scope(update, context, Scope(kind="people", zone=zone, person_ids=[p.id or 0 for p in found]))


async def _set_scope(update: Update, context: BotContext, scope: Scope) -> int:
    with context.db.session() as session:
        people = acts.resolve_recipients(session=session, scope=scope, zone_of=zone_of)
    assert update.effective_chat is not None
    if not people:
        await context.bot.send_message(update.effective_chat.id, texts.DSP_NOBODY)
        return await start(update, context)
    _draft(context)["scope"] = scope
    await context.bot.send_message(update.effective_chat.id, texts.DSP_ASK_TIME)
    return WHEN


async def on_when(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    tz = context.settings.tz
    try:
        at = notices.action_time(_clean(message.text, 64) or "", tz)
    except TimeParseError as exc:
        await message.reply_text(esc(str(exc)))
        return WHEN
    _draft(context)["starts_at"] = at
    await message.reply_text(texts.DSP_ASK_PLACE)
    return PLACE


async def on_place(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    if message.location is not None:
        try:
            draft["place"], draft["lat"], draft["lon"] = notices.meeting_point(message.location, message.venue, MAX_PLACE)
        except Refusal as refusal:
            await message.reply_text(refusal.text)
            return PLACE
    else:
        place = _clean(message.text, MAX_PLACE)
        if place is None:
            await message.reply_text(texts.DSP_TEXT_BAD.format(limit=MAX_PLACE))
            return PLACE
        draft["place"], draft["lat"], draft["lon"] = place, None, None
    scope: Scope = draft["scope"]
    with context.db.session() as session:
        entries = acts.plan_entries_for(session=session, zone=scope.zone, on=draft["starts_at"].astimezone(context.settings.tz).date())
        buttons = [[InlineKeyboardButton(f"#{e.id} {e.item_code} {e.frequency}"[:60], callback_data=encode("dsp", "plan", e.id or 0))]
                   for e in entries[:20]]
    buttons.append([InlineKeyboardButton(texts.DSP_OFF_PLAN_BUTTON, callback_data=encode("dsp", "plan", "off"))])
    await message.reply_text(texts.DSP_ASK_PLAN if entries else texts.DSP_NO_PLAN, reply_markup=InlineKeyboardMarkup(buttons))
    return PLAN


async def on_plan(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None
    cb = decode(query.data)
    draft = _draft(context)
    if cb is None or (cb.ident != "off" and not cb.ident.isdigit()):
        await refuse(update, texts.FORGED_BUTTON)
        return None
    await query.answer()
    if cb.ident == "off":
        draft["plan_entry_id"] = None
        await query.edit_message_text(texts.DSP_ASK_OFF_PLAN)
        return OFF_PLAN
    label = None
    with context.db.session() as session:
        entry = session.get(acts.PlanEntry, int(cb.ident))
        scope: Scope = draft["scope"]
        if entry is not None and entry.active and (scope.zone is None or entry.zone == scope.zone):
            draft["plan_entry_id"], draft["off_plan_reason"], draft["plan_lead"] = entry.id, None, entry.lead_department
            label = f"#{entry.id} {entry.item_code}"
    if label is None:
        await refuse(update, texts.FORGED_BUTTON)
        return None
    await query.edit_message_text(esc(label))
    return await _ask_lead(update, context)


async def on_plan_text(update: Update, context: BotContext) -> int | None:
    """The plan step waits for a button; typed 计划外 (optionally with the reason) is accepted."""
    message = update.effective_message
    assert message is not None
    typed = _clean(message.text, MAX_REASON + 8) or ""
    if not typed.startswith("计划外"):
        await message.reply_text(texts.PRESS_A_BUTTON)
        return None
    reason = OFF_PLAN_LEAD.sub("", typed.removeprefix("计划外")).strip()
    draft = _draft(context)
    draft["plan_entry_id"] = None
    if not reason:
        await message.reply_text(texts.DSP_ASK_OFF_PLAN)
        return OFF_PLAN
    return await on_off_plan(update, context, reason)


async def on_off_plan(update: Update, context: BotContext, typed: str | None = None) -> int:
    message = update.effective_message
    assert message is not None
    reason = typed if typed is not None else _clean(message.text, MAX_REASON)
    if reason is None or len(reason) > MAX_REASON:
        await message.reply_text(texts.DSP_TEXT_BAD.format(limit=MAX_REASON))
        return OFF_PLAN
    if not reason.startswith(texts.DSP_OFF_PLAN_PREFIX):
        reason = texts.DSP_OFF_PLAN_PREFIX + reason
    draft = _draft(context)
    draft["off_plan_reason"], draft["plan_lead"] = reason, None
    return await _ask_lead(update, context)


async def _ask_lead(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    leads = list(LEAD_DEPARTMENTS)
    if draft.get("plan_lead") and draft["plan_lead"] not in leads:
        leads.insert(0, draft["plan_lead"])
    elif draft.get("plan_lead"):
        leads.remove(draft["plan_lead"])
        leads.insert(0, draft["plan_lead"])
    draft["leads"] = leads
    buttons = [[InlineKeyboardButton(name, callback_data=encode("dsp", "lead", i))] for i, name in enumerate(leads)]
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, texts.DSP_ASK_LEAD, reply_markup=InlineKeyboardMarkup(buttons))
    return LEAD


async def on_lead_button(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None
    cb = decode(query.data)
    leads = _draft(context).get("leads", [])
    if cb is None or not cb.ident.isdigit() or int(cb.ident) >= len(leads):
        await refuse(update, texts.FORGED_BUTTON)
        return None
    await query.answer()
    _draft(context)["lead"] = leads[int(cb.ident)]
    await query.edit_message_text(esc(leads[int(cb.ident)]))
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, texts.DSP_ASK_TASK)
    return TASK


async def on_lead_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    lead = _clean(message.text, 64)
    if lead is None:
        await message.reply_text(texts.DSP_TEXT_BAD.format(limit=64))
        return LEAD
    _draft(context)["lead"] = lead
    await message.reply_text(texts.DSP_ASK_TASK)
    return TASK


async def on_task(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    task = _clean(message.text, MAX_TASK)
    if task is None:
        await message.reply_text(texts.DSP_TEXT_BAD.format(limit=MAX_TASK))
        return TASK
    draft = _draft(context)
    draft["task"] = task
    await message.reply_text(_preview(context, draft), reply_markup=InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.DSP_CONFIRM, callback_data=encode("dsp", "go")),
        InlineKeyboardButton(texts.DSP_ABORT, callback_data=encode("dsp", "abort")),
    ]]))
    return CONFIRM


def _names(people: list[Person]) -> str:
    shown = "、".join(esc(p.name) for p in people[:NAMES_SHOWN])
    return shown + (f" 等 {len(people)} 人" if len(people) > NAMES_SHOWN else "")


def _scope_text(scope: Scope, people: list[Person]) -> str:
    if scope.kind == "zone":
        return texts.DSP_SCOPE_ZONE.format(zone=scope.zone)
    if scope.kind == "streets":
        return "、".join(scope.streets)
    return texts.DSP_SCOPE_PEOPLE_TEXT.format(names=_names(people))


def _preview(context: BotContext, draft: dict[str, Any]) -> str:
    tz = context.settings.tz
    scope: Scope = draft["scope"]
    with context.db.session() as session:
        people = acts.resolve_recipients(session=session, scope=scope, zone_of=zone_of)
        if draft.get("plan_entry_id"):
            entry = session.get(acts.PlanEntry, draft["plan_entry_id"])
            basis = texts.DSP_BASIS_PLAN.format(id=entry.id, item=esc(entry.item_code), frequency=esc(entry.frequency)) if entry else ""
        else:
            basis = esc(draft.get("off_plan_reason") or "")
    start_day = draft["starts_at"].astimezone(tz).date()
    unbound = [p for p in people if p.telegram_id is None]
    expired = [p for p in people if p.certificate_expires is not None and p.certificate_expires < start_day]
    text = texts.DSP_PREVIEW.format(
        scope=esc(_scope_text(scope, people)), when=notices.fmt_when(draft["starts_at"], tz), place=esc(draft["place"]),
        basis=basis, lead=esc(draft["lead"]), task=esc(draft["task"]), count=len(people),
        names=f"\n{_names(people)}" if scope.kind != "people" else "",
    )
    if unbound:
        text += texts.DSP_PREVIEW_UNBOUND.format(names=_names(unbound))
    if expired:
        text += texts.DSP_PREVIEW_EXPIRED.format(names=_names(expired))
    return text


async def on_confirm(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    cb = decode(query.data)
    if cb is None or cb.action not in ("go", "abort"):
        await refuse(update, texts.FORGED_BUTTON)
        return None
    await query.answer()
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT, {})  # popped only once the action is committed
    if cb.action == "abort" or "task" not in draft:
        context.user_data.pop(DRAFT, None)
        await query.edit_message_text(texts.CANCELLED)
        return ConversationHandler.END
    actor = context.require_actor()
    if not actor.has(Role.COORDINATOR):  # the role may have changed since the wizard began
        await refuse(update)
        return ConversationHandler.END
    settings = context.settings
    scope: Scope = draft["scope"]
    starts_at = draft["starts_at"]
    if starts_at <= utcnow():
        await query.edit_message_text(texts.DSP_TIME_PAST)
        return ConversationHandler.END
    with context.db.session() as session:
        people = acts.resolve_recipients(session=session, scope=scope, zone_of=zone_of)
        action = JointAction(
            number="", created_by=actor.person_id, created_by_telegram_id=actor.telegram_id, scope_kind=scope.kind,
            zone=scope.zone, streets=scope.streets, starts_at=starts_at, place_text=draft["place"],
            latitude=draft.get("lat"), longitude=draft.get("lon"), plan_entry_id=draft.get("plan_entry_id"),
            off_plan_reason=draft.get("off_plan_reason"), lead_department=draft["lead"], task=draft["task"],
        )
        action, _rows = acts.create_action(session=session, action=action, recipients=people,
                                           local_day=utcnow().astimezone(settings.tz).date(), actor_person_id=actor.person_id)
        count = notices.enqueue_notices(session, action, settings.tz)
        notices.schedule_clock(session, action, nudge_minutes=settings.dispatch_nudge_minutes,
                               remind_minutes=settings.dispatch_remind_before_minutes)
        board = notices.board_text(session, action, settings.tz)
        number, action_id = action.number, action.id or 0
        markup = notices.board_markup(action)
    context.user_data.pop(DRAFT, None)
    context.services.extras["delivery"].wake()
    try:
        await query.edit_message_text(texts.DSP_CREATED.format(number=number, count=count))
        sent = await context.bot.send_message(update.effective_chat.id, board, reply_markup=markup)
    except TelegramError as exc:  # committed and queued: never make the coordinator dispatch twice
        log.warning("action %s dispatched but its board was not shown: %s; the board job posts it", number, exc)
        notices.BOARD.post_missing(action_id)
        return ConversationHandler.END
    with context.db.session() as session:
        stored = session.get(JointAction, action_id)
        if stored is not None:
            stored.board_chat_id, stored.board_message_id = sent.chat_id, sent.message_id
            session.add(stored)
    notices.BOARD.mark(action_id)  # answers that came while the board was on its way: shown at the next flush
    await context.bot.send_message(update.effective_chat.id, texts.MENU_SHOWN, reply_markup=keyboards.main_menu(actor.role))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert update.effective_chat is not None
    actor = context.actor
    await context.bot.send_message(update.effective_chat.id, texts.CANCELLED,
                                   reply_markup=keyboards.main_menu(actor.role) if actor else None)
    return ConversationHandler.END


def register(app: Application) -> None:
    """The wizard, then answers/board buttons/results, then plans."""
    with warnings.catch_warnings():  # callback states with per_message=False are what we want here
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        wizard = _wizard()
    flows.add(app, wizard)
    dispatch_answers.register(app)
    plans.register(app)
    notices.start_board_job(app)


def _wizard() -> flows.Flow:
    text = keyboards.TYPED
    return flows.Flow(
        entry_points=[CommandHandler("dispatch", start), MessageHandler(filters.Text([texts.MENU_DISPATCH]), start)],
        states={
            SCOPE: [CallbackQueryHandler(on_scope, pattern=r"^dsp:scope:"), MessageHandler(text, on_scope_text)],
            STREETS: [MessageHandler(text, on_streets)],
            PEOPLE: [MessageHandler(text, on_people)],
            WHEN: [MessageHandler(text, on_when)],
            PLACE: [MessageHandler(filters.LOCATION | text, on_place)],
            PLAN: [CallbackQueryHandler(on_plan, pattern=r"^dsp:plan:"), MessageHandler(text, on_plan_text)],
            OFF_PLAN: [MessageHandler(text, on_off_plan)],
            LEAD: [CallbackQueryHandler(on_lead_button, pattern=r"^dsp:lead:"), MessageHandler(text, on_lead_text)],
            TASK: [MessageHandler(text, on_task)],
            CONFIRM: [CallbackQueryHandler(on_confirm, pattern=r"^dsp:(go|abort)"), MessageHandler(text, press_a_button)],
        },
        fallbacks=[CommandHandler("cancel", cancel), MessageHandler(keyboards.MENU_TAP, cancel)],
        allow_reentry=True,
        name="dispatch",
        left_notice=texts.FLOW_LEFT_DISPATCH,
    )
