"""The joint item list and the plan (计划之外无检查): a small chat UI.

/plans shows this month's plan entries with how often each was dispatched, and the joint list;
admins edit with /jointlist add|remove CODE… and /plan add|remove.
"""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import Application, CommandHandler

import texts
from db import actions as acts
from db.actions import ActionError
from db.models import Role, utcnow
from handlers.common import esc, requires
from handlers.context import BotContext
from knowledge.streets import ZONES

MAX_CODES = 50


def _known_codes(context: BotContext) -> set[str] | None:
    """Codes of the current catalogue when its service is running (feat/search), else None."""
    catalogue = context.services.extras.get("catalogue")
    items = getattr(catalogue, "items", None)
    if items is None:
        return None
    return {getattr(item, "code", "") for item in (items() if callable(items) else items)}


@requires(Role.COORDINATOR, Role.LEGAL)
async def show_plans(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    assert update.effective_message is not None
    today = utcnow().astimezone(context.settings.tz).date()
    zone = actor.zone if actor.role != Role.ADMIN else None
    with context.db.session() as session:
        due = acts.plan_due_in_month(session=session, zone=zone, today=today, tz=context.settings.tz)
        joint = acts.joint_list(session=session)
    lines = [texts.PLAN_TITLE.format(month=f"{today:%Y-%m}")]
    lines += [texts.PLAN_LINE.format(id=d.entry.id, zone=d.entry.zone, item=esc(d.entry.item_code), frequency=esc(d.entry.frequency),
                                     lead=esc(d.entry.lead_department), done=d.actions_this_month,
                                     start=d.entry.period_start, end=d.entry.period_end) for d in due] or [texts.PLAN_EMPTY]
    lines.append("")
    lines.append(texts.PLAN_LIST_TITLE.format(count=len(joint)) if joint else texts.PLAN_LIST_EMPTY)
    if joint:
        lines.append("、".join(esc(j.item_code) for j in joint))
    await update.effective_message.reply_text("\n".join(lines))


@requires(Role.ADMIN)
async def joint_list(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    assert update.effective_message is not None
    args = context.args or []
    if len(args) < 2 or args[0] not in ("add", "remove") or len(args) > MAX_CODES + 1 or any(len(a) > 64 for a in args):
        await update.effective_message.reply_text(texts.PLAN_LIST_USAGE)
        return
    codes = list(dict.fromkeys(args[1:]))
    known = _known_codes(context)
    if args[0] == "add" and known is not None and (unknown := [c for c in codes if c not in known]):
        await update.effective_message.reply_text(texts.PLAN_LIST_UNKNOWN.format(codes=esc("、".join(unknown))))
        return
    changed, same = [], []
    with context.db.session() as session:
        for code in codes:
            do = acts.add_to_joint_list if args[0] == "add" else acts.remove_from_joint_list
            (changed if do(session=session, item_code=code, actor_person_id=actor.person_id,
                           actor_telegram_id=actor.telegram_id) else same).append(code)
    parts = []
    if changed:
        template = texts.PLAN_LIST_ADDED if args[0] == "add" else texts.PLAN_LIST_REMOVED
        parts.append(template.format(codes=esc("、".join(changed))))
    if same:
        parts.append(texts.PLAN_LIST_UNCHANGED.format(codes=esc("、".join(same))))
    await update.effective_message.reply_text("\n".join(parts))


@requires(Role.ADMIN)
async def plan(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    message = update.effective_message
    assert message is not None
    args = context.args or []
    if len(args) == 2 and args[0] == "remove" and args[1].lstrip("#").isdigit():
        entry_id = int(args[1].lstrip("#"))
        with context.db.session() as session:
            done = acts.remove_plan_entry(session=session, entry_id=entry_id, actor_person_id=actor.person_id,
                                          actor_telegram_id=actor.telegram_id)
        await message.reply_text((texts.PLAN_REMOVED if done else texts.PLAN_NOT_FOUND).format(id=entry_id))
        return
    if len(args) != 7 or args[0] != "add" or any(len(a) > 64 for a in args):
        await message.reply_text(texts.PLAN_USAGE)
        return
    _, code, zone, frequency, lead, start_text, end_text = args
    if zone not in ZONES:
        await message.reply_text(texts.PLAN_BAD_ZONE)
        return
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        await message.reply_text(texts.PLAN_BAD_DATE)
        return
    try:
        with context.db.session() as session:
            entry = acts.add_plan_entry(session=session, item_code=code, zone=zone, frequency=frequency, lead_department=lead,
                                        period_start=start, period_end=end, actor_person_id=actor.person_id,
                                        actor_telegram_id=actor.telegram_id, not_in_list_message=texts.PLAN_NOT_IN_LIST,
                                        bad_period_message=texts.PLAN_BAD_PERIOD)
            entry_id = entry.id
    except ActionError as exc:
        await message.reply_text(esc(str(exc)))
        return
    await message.reply_text(texts.PLAN_ADDED.format(id=entry_id))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("plans", show_plans))
    app.add_handler(CommandHandler("jointlist", joint_list))
    app.add_handler(CommandHandler("plan", plan))
