"""After filing: the handlers' buttons (受理 … 不予立案), item changes, disputes and their reminders.

Every press re-loads the lead, re-checks who pressed and that the buttons are not stale (version),
applies the rule of knowledge/cases.py, writes history and audit, and queues the notices in the
same transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

import texts
from db import cases as lead_db
from db import outbox
from db.cases import Lead, LeadDispute
from db.models import ClockItem, Person, Role, utcnow
from handlers import flows, keyboards
from handlers.callbacks import decode, encode
from handlers.case_views import (
    FEATURE,
    basis_for,
    catalogue_of,
    consequence_html,
    handler_keyboard,
    lead_consequence,
    local,
    names,
    notice_text,
    notify_handlers,
    notify_reporter,
    routed_people,
    wake_delivery,
)
from handlers.common import Refusal, esc, refuse
from handlers.context import Actor, BotContext
from jobs import clock
from knowledge.cases import (
    MAX_DESCRIPTION,
    TRANSITIONS,
    Basis,
    IllegalTransition,
    LeadState,
    check_transition,
    consequence,
    legal_reviewers,
    zone_coordinators,
)
from knowledge.catalogue import LEAD_DEPARTMENT
from knowledge.timeparse import add_working_days

log = logging.getLogger(__name__)

TEXT = 0
MAX_TEXT = 300
SIMPLE_TARGETS = {"acc": LeadState.ACCEPTED, "prog": LeadState.IN_PROGRESS, "done": LeadState.CLOSED}
TEXT_ACTIONS = {"xfer": texts.LEAD_ASK_TRANSFER, "rej": texts.LEAD_ASK_REJECT, "disp": texts.LEAD_ASK_DISPUTE,
                "item": texts.LEAD_ASK_ITEM}
DEPARTMENT_CHOICES = list(LEAD_DEPARTMENT.values())
KIND_REMIND = "lead.dispute_remind"
KIND_DUE = "lead.dispute_due"


# ---------------------------------------------------------------- who may act


def refusal(text: str) -> str:
    """Every refused press says 无权限 (interface), with the rule's own reason after it."""
    return text if "无权限" in text else texts.LEAD_REFUSED.format(reason=text)


def may_handle(actor: Actor | None, lead: Lead) -> bool:
    """Routed people, the assignee, coordinators of the lead's zone and admins."""
    if actor is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.person_id is not None and (actor.person_id in lead.routed_to or actor.person_id == lead.assignee_id):
        return True
    return actor.role == Role.COORDINATOR and actor.zone == lead.zone


def may_decide(actor: Actor | None, lead: Lead) -> bool:
    """The zone's legal reviewer(s) settle disputes over the enforcing subject (admins too)."""
    return actor is not None and (actor.role == Role.ADMIN or (actor.role == Role.LEGAL and actor.zone == lead.zone))


def _load_checked(session: Session, actor: Actor | None, lead_id: str, version: str) -> tuple[Lead | None, str | None]:
    """The lead if the press is allowed and fresh, else the refusal to show."""
    if not lead_id.isdigit():
        return None, texts.LEAD_NOT_FOUND
    lead = lead_db.by_id(session=session, lead_id=int(lead_id))
    if lead is None:
        return None, texts.LEAD_NOT_FOUND
    if not may_handle(actor, lead):
        return None, texts.NO_PERMISSION
    if version != str(lead.version):
        return lead, texts.LEAD_CHANGED_MEANWHILE
    return lead, None


async def _refresh(update: Update, context: BotContext, lead_id: int) -> None:
    """Show the lead's current card and buttons on the pressed message."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with context.db.session() as session:
        lead = lead_db.by_id(session=session, lead_id=lead_id)
        if lead is None:
            return
        text, markup = notice_text(session, lead, context.settings.tz), handler_keyboard(lead)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:  # "message is not modified"
        log.debug("refresh skipped: %s", error)


# ---------------------------------------------------------------- 受理 / 处置中 / 办结


async def on_simple(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    if data is None or data.action not in SIMPLE_TARGETS:
        await refuse(update, texts.FORGED_BUTTON)
        return
    actor = context.actor
    target = SIMPLE_TARGETS[data.action]
    with context.db.session() as session:
        lead, problem = _load_checked(session, actor, data.ident, data.version)
        if problem is None and lead is not None and actor is not None:
            problem = _transition(session, lead, actor, target, context.settings.tz)
        lead_id = lead.id if lead is not None else None
    if problem is not None:
        await query.answer(refusal(problem), show_alert=True)
    else:
        wake_delivery(context)
        await query.answer(texts.LEAD_DONE.format(state=target.value))
    if lead_id is not None and problem != texts.NO_PERMISSION:
        await _refresh(update, context, lead_id)


def _transition(session: Session, lead: Lead, actor: Actor, target: LeadState, tz: ZoneInfo, *,
                transfer_to: str | None = None, reason: str | None = None) -> str | None:
    """Apply one lifecycle step; a Chinese refusal when the rule forbids it."""
    before = lead_db.snapshot(lead)
    current = LeadState(lead.state)
    assignee = actor.person_id if target is LeadState.ACCEPTED else lead.assignee_id
    try:
        check_transition(current, target, assignee_id=assignee, transfer_to=transfer_to, reason=reason)
    except IllegalTransition as error:
        return str(error)
    lead.state = target.value
    lead.assignee_id = assignee
    if transfer_to is not None:
        lead.transfer_to = transfer_to
    if reason is not None:
        lead.rejection_reason = reason
    lead_db.record_change(session=session, lead=lead, before=before, action=f"lead.state.{target.name.lower()}",
                          by_person_id=actor.person_id, by_telegram_id=actor.telegram_id, from_state=current.value,
                          note=transfer_to or reason)
    extra = ""
    if transfer_to:
        extra = texts.LEAD_EXTRA_TRANSFER.format(target=esc(transfer_to))
    elif reason:
        extra = texts.LEAD_EXTRA_REASON.format(reason=esc(reason))
    elif target is LeadState.ACCEPTED:
        extra = texts.LEAD_EXTRA_ASSIGNEE.format(name=esc(actor.name))
    notify_reporter(session, lead, texts.LEAD_REPORTER_UPDATE.format(
        number=lead.number, state=target.value, extra=extra, actor=esc(actor.name), at=local(utcnow(), tz)), actor=actor)
    return None


# ---------------------------------------------------------------- actions that need a text


async def ask_text(update: Update, context: BotContext) -> int:
    """移送 / 不予立案 / 争议 / 更改事项 / a dispute decision: remember the press, ask for the text."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    if data is None:
        await refuse(update, texts.FORGED_BUTTON)
        return ConversationHandler.END
    actor = context.actor
    refusal_text: str | None = None
    prompt = ""
    with context.db.session() as session:
        if data.action == "dec":
            refusal_text, prompt = _decision_prompt(context, session, data.ident, data.version)
        else:
            lead, problem = _load_checked(session, actor, data.ident, data.version)
            if problem is None and lead is not None and data.action == "disp" and lead.disputed:
                problem = texts.LEAD_DISPUTE_OPEN_ALREADY
            if problem is None and lead is not None and data.action in ("xfer", "rej"):
                target = LeadState.TRANSFERRED if data.action == "xfer" else LeadState.REJECTED
                if target not in TRANSITIONS[LeadState(lead.state)]:
                    problem = texts.LEAD_ILLEGAL_TRANSITION.format(current=lead.state, target=target.value)
            if problem is not None or lead is None or data.action not in TEXT_ACTIONS:
                refusal_text = refusal(problem or texts.FORGED_BUTTON)
            else:
                prompt = TEXT_ACTIONS[data.action].format(number=lead.number)
                context.user_data["lead_pending"] = {
                    "action": data.action, "lead_id": lead.id, "version": lead.version,
                    "message_id": query.message.message_id if query.message else None,
                }
    # Telegram is called only after the session closed (see tests/unit/test_no_await_inside_sessions.py).
    if refusal_text is not None:
        await query.answer(refusal_text, show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await context.bot.send_message(query.from_user.id, prompt)
    return TEXT


def _decision_prompt(context: BotContext, session: Session, dispute_id: str, choice: str) -> tuple[str | None, str]:
    """(refusal, prompt) for a legal reviewer's decision button; remembers the pending decision."""
    dispute = session.get(LeadDispute, int(dispute_id)) if dispute_id.isdigit() else None
    lead = lead_db.by_id(session=session, lead_id=dispute.lead_id) if dispute else None
    if dispute is None or lead is None or not may_decide(context.actor, lead):
        return texts.NO_PERMISSION, ""
    if dispute.decided_at is not None:
        return texts.LEAD_DISPUTE_NOT_OPEN, ""
    prompt = why_prompt(lead, choice)
    if prompt is None:
        return texts.FORGED_BUTTON, ""
    context.user_data["lead_pending"] = {"action": "dec", "dispute_id": dispute.id, "choice": choice}
    return None, prompt


def why_prompt(lead: Lead, choice: str) -> str | None:
    """说明理由: the chosen subject may be the item's department from the catalogue file, so escaped."""
    subject = _subject_of_choice(lead, choice)
    return None if subject is None else texts.LEAD_ASK_WHY.format(number=lead.number, subject=esc(subject))


def _subject_of_choice(lead: Lead, choice: str) -> str | None:
    """'s' = the street office; 'd' = the item's department; 'd1'..'d3' = a class lead department."""
    if choice == "s":
        return lead.street + texts.LEAD_STREET_OFFICE
    if choice == "d":
        return lead.item_department
    if choice[:1] == "d" and choice[1:].isdigit() and 1 <= int(choice[1:]) <= len(DEPARTMENT_CHOICES):
        return DEPARTMENT_CHOICES[int(choice[1:]) - 1]
    return None


def decision_keyboard(lead: Lead, dispute_id: int) -> InlineKeyboardMarkup:
    options = [("s", lead.street + texts.LEAD_STREET_OFFICE)]
    if lead.item_department:
        options.append(("d", lead.item_department))
    options += [(f"d{i}", dept) for i, dept in enumerate(DEPARTMENT_CHOICES, 1) if dept != lead.item_department]
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(texts.LEAD_DISPUTE_SUBJECT_BTN.format(subject=subject),
                              callback_data=encode(FEATURE, "dec", dispute_id, choice))]
        for choice, subject in options
    ])


async def on_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    pending: dict[str, Any] | None = context.user_data.get("lead_pending")  # kept until committed
    if pending is None:
        return ConversationHandler.END
    text = " ".join(message.text.split())
    if not text or len(text) > MAX_TEXT:
        await message.reply_text(texts.TEXT_TOO_LONG.format(length=len(text), limit=MAX_TEXT) if text else texts.LEAD_TEXT_EXPECTED)
        return TEXT
    actor = context.require_actor()
    if pending["action"] == "dec":
        reply = _decide(context, actor, pending, text)
    elif pending["action"] == "item":
        context.user_data.pop("lead_pending", None)  # nothing is written before the item is picked
        return await _offer_items(update, context, actor, pending, text)
    else:
        reply = _apply_text_action(context, actor, pending, text)
    context.user_data.pop("lead_pending", None)
    wake_delivery(context)
    await message.reply_text(reply)
    return ConversationHandler.END


def _apply_text_action(context: BotContext, actor: Actor, pending: dict[str, Any], text: str) -> str:
    tz = context.settings.tz
    with context.db.session() as session:
        lead, problem = _load_checked(session, actor, str(pending["lead_id"]), str(pending["version"]))
        if problem is not None or lead is None:
            return refusal(problem or texts.LEAD_NOT_FOUND)
        if pending["action"] == "xfer":
            problem = _transition(session, lead, actor, LeadState.TRANSFERRED, tz, transfer_to=text)
        elif pending["action"] == "rej":
            problem = _transition(session, lead, actor, LeadState.REJECTED, tz, reason=text)
        else:
            return _raise_dispute(context, session, lead, actor, text)
        return refusal(problem) if problem else texts.LEAD_DONE.format(state=lead.state)


async def cancel_text(update: Update, context: BotContext) -> int:
    context.user_data.pop("lead_pending", None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.LEAD_ACTION_CANCELLED)
    return ConversationHandler.END


async def text_expected(update: Update, context: BotContext) -> int:
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.LEAD_TEXT_EXPECTED)
    return TEXT


# ---------------------------------------------------------------- 更改事项 → re-route


async def _offer_items(update: Update, context: BotContext, actor: Actor, pending: dict[str, Any], text: str) -> int:
    message = update.effective_message
    assert message is not None
    view = await catalogue_of(context)
    with context.db.session() as session:
        lead, problem = _load_checked(session, actor, str(pending["lead_id"]), str(pending["version"]))
    if problem is not None or lead is None:
        await message.reply_text(problem or texts.LEAD_NOT_FOUND)
        return ConversationHandler.END
    found = view.search(text[:MAX_DESCRIPTION])
    on = lead.discovered_at.astimezone(context.settings.tz).date()
    buttons = [
        [InlineKeyboardButton(texts.CASE_ITEM_BUTTON.format(status=basis_for(item, lead.street, on).value, name=item.name[:22]),
                              callback_data=encode(FEATURE, "set", f"{lead.id}.{lead.version}", view.ref(item)))]
        for item in found
    ]
    if not buttons:
        await message.reply_text(texts.CASE_ITEM_NONE)
        context.user_data["lead_pending"] = pending
        return TEXT
    await message.reply_text(texts.LEAD_PICK_ITEM, reply_markup=InlineKeyboardMarkup(buttons))
    return ConversationHandler.END


async def on_set_item(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    ident = data.ident.split(".") if data else []
    if data is None or len(ident) != 2:
        await refuse(update, texts.FORGED_BUTTON)
        return
    actor = context.actor
    view = await catalogue_of(context)
    item = view.by_ref(data.version)
    tz = context.settings.tz
    try:
        reply = _change_item(context, actor, ident, item, tz)
    except Refusal as refused:
        await query.answer(refused.text, show_alert=True)
        return
    wake_delivery(context)
    await query.answer()
    await context.bot.send_message(query.from_user.id, reply)


def _change_item(context: BotContext, actor: Actor | None, ident: list[str], item: Any, tz: Any) -> str:
    """Re-route a lead to another item in one transaction; returns the reply for the presser."""
    with context.db.session() as session:
        lead, problem = _load_checked(session, actor, ident[0], ident[1])
        if problem is None and item is None:
            problem = texts.FORGED_BUTTON
        if problem is not None or lead is None or actor is None or item is None:
            raise Refusal(refusal(problem or texts.LEAD_NOT_FOUND))
        before = lead_db.snapshot(lead)
        on = lead.discovered_at.astimezone(tz).date()
        basis = basis_for(item, lead.street, on)
        outcome = consequence(basis, street=lead.street, department=item.department)
        lead.item_code, lead.item_name = item.code, item.name
        lead.item_class, lead.item_department = item.item_class.value, item.department
        lead.basis, lead.enforcing_subject = outcome.basis.value, outcome.subject
        people = _reroute(session, lead)
        lead_db.record_change(session=session, lead=lead, before=before, action="lead.item", by_person_id=actor.person_id,
                              by_telegram_id=actor.telegram_id, from_state=lead.state, note=f"事项改为 {item.code}")
        newcomers = [p for p in people if p.id not in before_ids(before)]
        notify_handlers(session, lead, newcomers, tz,
                        prefix=texts.LEAD_NOTICE_REROUTED.format(number=lead.number, why=texts.LEAD_BTN_ITEM))
        notify_reporter(session, lead, texts.LEAD_REPORTER_ITEM.format(
            number=lead.number, item=esc(item.name), consequence=consequence_html(lead_consequence(lead))), actor=actor)
        return texts.LEAD_ITEM_CHANGED.format(number=lead.number, item=esc(item.name),
                                              consequence=consequence_html(lead_consequence(lead)), recipients=names(people))


def dispute_notice_text(lead: Lead, reason: str, raised_by: str, deadline: str) -> str:
    """The legal reviewer's notice of a dispute: catalogue fields and typed text escaped."""
    return texts.LEAD_DISPUTE_NOTICE.format(
        number=lead.number, street=lead.street, item=esc(lead.item_name or texts.CASE_CARD_UNSURE_ITEM),
        consequence=consequence_html(consequence(Basis(lead.basis), street=lead.street, department=lead.item_department)),
        reason=esc(reason), raised_by=esc(raised_by), deadline=deadline,
    )


def before_ids(snapshot: dict[str, Any]) -> set[int]:
    return {int(i) for i in str(snapshot.get("routed_to") or "").split(",") if i.isdigit()}


def _reroute(session: Session, lead: Lead) -> list[Person]:
    """Recompute who handles the lead (item change, dispute raised or decided)."""
    department = lead.enforcing_subject if lead.basis == Basis.NOT_DELEGATED and lead.enforcing_subject else lead.item_department
    people = routed_people(session, basis=Basis(lead.basis), street=lead.street, zone=lead.zone,
                           department=department, disputed=lead.disputed)
    lead.routed_to = [p.id for p in people if p.id is not None]
    return people


# ---------------------------------------------------------------- disputes


def _raise_dispute(context: BotContext, session: Session, lead: Lead, actor: Actor, reason: str) -> str:
    settings = context.settings
    tz = settings.tz
    now = utcnow()
    deadline = add_working_days(now.astimezone(tz), settings.dispute_working_days).astimezone(now.tzinfo)
    dispute = LeadDispute(lead_id=lead.id or 0, reason=reason, raised_by=actor.person_id, deadline=deadline)
    session.add(dispute)
    session.flush()
    assert dispute.id is not None
    before = lead_db.snapshot(lead)
    lead.disputed = True
    reviewers = _reroute(session, lead)
    lead_db.record_change(session=session, lead=lead, before=before, action="lead.dispute", by_person_id=actor.person_id,
                          by_telegram_id=actor.telegram_id, from_state=lead.state, note=reason)
    text = dispute_notice_text(lead, reason, actor.name, local(deadline, tz))
    markup = decision_keyboard(lead, dispute.id).to_dict()
    for person in reviewers:
        if person.telegram_id is not None:
            outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text, reply_markup=markup,
                           ref_type="lead", ref_id=lead.number, dedupe_key=f"lead:dispute:{dispute.id}:{person.id}")
    payload = {"dispute_id": dispute.id, "tz": settings.bot_timezone}
    remind_at = deadline - timedelta(hours=settings.dispute_remind_hours)
    if remind_at > now:
        clock.schedule(session=session, kind=KIND_REMIND, due_at=remind_at, ref_type="lead_dispute", ref_id=dispute.id,
                       payload=payload)
    clock.schedule(session=session, kind=KIND_DUE, due_at=deadline, ref_type="lead_dispute", ref_id=dispute.id,
                   payload=payload)
    return texts.LEAD_DISPUTE_RAISED.format(deadline=local(deadline, tz), recipients=names(reviewers))


def _decide(context: BotContext, actor: Actor, pending: dict[str, Any], why: str) -> str:
    tz = context.settings.tz
    with context.db.session() as session:
        dispute = session.get(LeadDispute, int(pending["dispute_id"]))
        lead = lead_db.by_id(session=session, lead_id=dispute.lead_id) if dispute else None
        if dispute is None or lead is None or not may_decide(actor, lead):
            return texts.NO_PERMISSION
        if dispute.decided_at is not None:
            return texts.LEAD_DISPUTE_NOT_OPEN
        subject = _subject_of_choice(lead, str(pending["choice"]))
        if subject is None:
            return texts.FORGED_BUTTON
        dispute.decided_by, dispute.decided_at = actor.person_id, utcnow()
        dispute.decision = "street" if pending["choice"] == "s" else "department"
        dispute.subject, dispute.why = subject, why
        session.add(dispute)
        before = lead_db.snapshot(lead)
        lead.disputed = False
        lead.basis = Basis.DELEGATED.value if pending["choice"] == "s" else Basis.NOT_DELEGATED.value
        lead.enforcing_subject = subject
        people = _reroute(session, lead)
        lead_db.record_change(session=session, lead=lead, before=before, action="lead.dispute.decide",
                              by_person_id=actor.person_id, by_telegram_id=actor.telegram_id, from_state=lead.state,
                              note=f"{subject}：{why}")
        clock.cancel(session=session, ref_type="lead_dispute", ref_id=dispute.id or 0)
        decided = texts.LEAD_DISPUTE_DECIDED_NOTICE.format(number=lead.number, subject=esc(subject), why=esc(why),
                                                           reviewer=esc(actor.name)) + "\n\n"
        notify_handlers(session, lead, people, tz, prefix=decided)
        notify_reporter(session, lead, texts.LEAD_REPORTER_DECIDED.format(number=lead.number, subject=esc(subject),
                                                                         why=esc(why)), actor=actor)
        return texts.LEAD_DISPUTE_DECIDED.format(number=lead.number, subject=esc(subject), recipients=names(people))


def _dispute_reminder(kind: str) -> clock.ClockHandler:
    def handle(session: Session, item: ClockItem, firing: clock.Firing) -> str | None:
        dispute = session.get(LeadDispute, int(item.payload.get("dispute_id", 0)))
        if dispute is None or dispute.decided_at is not None:
            return "skipped"
        lead = lead_db.by_id(session=session, lead_id=dispute.lead_id)
        if lead is None:
            return "skipped"
        tz = ZoneInfo(str(item.payload.get("tz") or "Asia/Shanghai"))
        roster = lead_db.roster_entries(session=session)
        ids = legal_reviewers(roster, lead.zone)
        template = texts.LEAD_DISPUTE_REMIND
        if kind == KIND_DUE:
            ids += zone_coordinators(roster, lead.zone)
            template = texts.LEAD_DISPUTE_OVERDUE
        text = template.format(late=texts.LEAD_LATE_PREFIX if firing.late else "", number=lead.number,
                               deadline=local(dispute.deadline, tz))
        people = lead_db.people_by_id(session=session, ids=list(dict.fromkeys(ids)))
        for person in people.values():
            if person.telegram_id is None:
                continue
            markup = decision_keyboard(lead, dispute.id or 0).to_dict() if person.role in ("legal", "admin") else None
            outbox.enqueue(session=session, chat_id=person.telegram_id, person_id=person.id, text=text,
                           reply_markup=markup, ref_type="lead", ref_id=lead.number,
                           dedupe_key=f"{kind}:{item.id}:{person.id}")
        return None

    return handle


clock.register_kind(KIND_REMIND, _dispute_reminder(KIND_REMIND))
clock.register_kind(KIND_DUE, _dispute_reminder(KIND_DUE))


# ---------------------------------------------------------------- wiring


def register(app: Application) -> None:
    text_actions = "|".join([*TEXT_ACTIONS, "dec"])
    flows.add(app, flows.Flow(
        entry_points=[CallbackQueryHandler(ask_text, pattern=rf"^{FEATURE}:(?:{text_actions}):")],
        states={TEXT: [MessageHandler(keyboards.TYPED, on_text)]},
        fallbacks=[CommandHandler("cancel", cancel_text), MessageHandler(keyboards.MENU_TAP, cancel_text),
                   MessageHandler(~filters.COMMAND, text_expected)],
        allow_reentry=True, conversation_timeout=900,
        name="lead_text", left_notice=texts.FLOW_LEFT_LEAD_TEXT,
    ))
    app.add_handler(CallbackQueryHandler(on_simple, pattern=rf"^{FEATURE}:(?:acc|prog|done):"))
    app.add_handler(CallbackQueryHandler(on_set_item, pattern=rf"^{FEATURE}:set:"))
