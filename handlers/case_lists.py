"""/mycases (own leads) and /cases (a coordinator's zone with filters; a legal reviewer's disputes)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

import texts
from db import cases as lead_db
from db.models import Person, Role, utcnow
from handlers.callbacks import decode, encode
from handlers.case_views import FEATURE, item_text, local
from handlers.common import clip, esc, refuse, requires
from handlers.context import Actor, BotContext
from handlers.notice_failures import unreached_leads
from knowledge.cases import TERMINAL_STATES, LeadState
from knowledge.catalogue import ItemClass
from knowledge.streets import STREETS, ZONES

SHOWN = 25
OPEN_STATES = [s.value for s in LeadState if s not in TERMINAL_STATES]
STATE_FILTERS: list[tuple[str, list[str] | None]] = [
    (texts.CASES_OPEN, OPEN_STATES), (texts.CASES_ALL, None),
    *[(s.value, [s.value]) for s in LeadState],
]
CLASSES = [c.value for c in ItemClass]


async def mycases(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    message = update.effective_message
    assert message is not None
    if actor.person_id is None:
        await message.reply_text(texts.MYCASES_EMPTY)
        return
    tz = context.settings.tz
    with context.db.session() as session:
        leads = lead_db.of_reporter(session=session, reporter_id=actor.person_id, limit=SHOWN)
        total = lead_db.count_of_reporter(session=session, reporter_id=actor.person_id)
    if not leads:
        await message.reply_text(texts.MYCASES_EMPTY)
        return
    lines = [texts.MYCASES_TITLE.format(count=total)]
    lines += [texts.MYCASES_LINE.format(number=lead.number, state=lead.state, street=lead.street, item=item_short(lead),
                                        when=local(lead.reported_at, tz)) for lead in leads]
    if total > len(leads):
        lines.append(texts.CASES_MORE.format(count=total - len(leads)))
    await message.reply_text(clip("\n".join(lines)))


def item_short(lead: lead_db.Lead) -> str:
    """The item name for a list line, cut before escaping (cutting `&lt;` would show `&l…`)."""
    if not lead.item_name:
        return item_text(lead)
    name = lead.item_name
    return esc(name if len(name) <= 24 else name[:23] + "…")


@requires(Role.COORDINATOR, Role.LEGAL)
async def cases_command(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    message = update.effective_message
    assert message is not None
    if actor.role == Role.LEGAL:
        await message.reply_text(_disputes_text(context, actor))
        return
    text, markup = _zone_view(context, actor, 0, 0, 0)
    await message.reply_text(text, reply_markup=markup)


def _streets_of(actor: Actor) -> list[str]:
    return list(ZONES.get(actor.zone or "", STREETS)) if actor.role != Role.ADMIN or actor.zone else list(STREETS)


def _zone_view(context: BotContext, actor: Actor, state_i: int, street_i: int, class_i: int) -> tuple[str, InlineKeyboardMarkup]:
    zone = actor.zone if actor.role != Role.ADMIN or actor.zone else None
    streets = _streets_of(actor)
    state_label, states = STATE_FILTERS[state_i]
    street = streets[street_i - 1] if street_i else None
    item_class = CLASSES[class_i - 1] if class_i else None
    tz = context.settings.tz
    with context.db.session() as session:
        leads = lead_db.in_zone(session=session, zone=zone, states=states, street=street, item_class=item_class)
        reporters = lead_db.people_by_id(session=session, ids=list({lead.reporter_id for lead in leads[:SHOWN]}))
        unreached = unreached_leads(session, leads[:SHOWN])
    filters_text = "，".join([
        texts.CASES_FILTER_STATE.format(value=state_label),
        texts.CASES_FILTER_STREET.format(value=street or texts.CASES_ALL),
        texts.CASES_FILTER_CLASS.format(value=item_class or texts.CASES_ALL),
    ])
    lines = [texts.CASES_TITLE.format(zone=zone or texts.CASES_ALL_ZONES, filters=filters_text, count=len(leads))]
    for lead in leads[:SHOWN]:
        reporter: Person | None = reporters.get(lead.reporter_id)
        lines.append((texts.CASES_UNREACHED if lead.id in unreached else "") + texts.CASES_LINE.format(number=lead.number, state=lead.state, street=lead.street, item=item_short(lead),
                                             reporter=esc(reporter.name if reporter else "?"), when=local(lead.reported_at, tz)))
    if not leads:
        lines.append(texts.CASES_EMPTY)
    elif len(leads) > SHOWN:
        lines.append(texts.CASES_MORE.format(count=len(leads) - SHOWN))

    def button(label: str, s: int, t: int, c: int, selected: bool) -> InlineKeyboardButton:
        return InlineKeyboardButton(("✓" if selected else "") + label, callback_data=encode(FEATURE, "ls", f"{s}.{t}.{c}"))

    rows = [
        [button(label, i, street_i, class_i, i == state_i) for i, (label, _) in enumerate(STATE_FILTERS[:4])],
        [button(label, i, street_i, class_i, i == state_i) for i, (label, _) in enumerate(STATE_FILTERS) if i >= 4],
        [button(texts.CASES_ALL, state_i, 0, class_i, street_i == 0)]
        + [button(s.removesuffix("街道"), state_i, i, class_i, i == street_i) for i, s in enumerate(streets, 1)][:4],
    ]
    if len(streets) > 4:
        rows.append([button(s.removesuffix("街道"), state_i, i, class_i, i == street_i) for i, s in enumerate(streets, 1)][4:])
    rows.append([button(texts.CASES_ALL, state_i, street_i, 0, class_i == 0)]
                + [button(c, state_i, street_i, i, i == class_i) for i, c in enumerate(CLASSES, 1)])
    return clip("\n".join(lines)), InlineKeyboardMarkup(rows)


async def on_filter(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    actor = context.actor
    data = decode(query.data)
    parts = data.ident.split(".") if data else []
    if actor is None or not actor.has(Role.COORDINATOR) or len(parts) != 3 or not all(p.isdigit() for p in parts):
        await refuse(update)
        return
    state_i, street_i, class_i = (int(p) for p in parts)
    if state_i >= len(STATE_FILTERS) or street_i > len(_streets_of(actor)) or class_i > len(CLASSES):
        await refuse(update, texts.FORGED_BUTTON)
        return
    text, markup = _zone_view(context, actor, state_i, street_i, class_i)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        pass


def _disputes_text(context: BotContext, actor: Actor) -> str:
    tz = context.settings.tz
    now = utcnow()
    with context.db.session() as session:
        rows = lead_db.open_disputes(session=session, zone=actor.zone)
    if not rows:
        return texts.DISPUTES_EMPTY
    lines = [texts.DISPUTES_TITLE.format(zone=actor.zone or texts.CASES_ALL_ZONES, count=len(rows))]
    for dispute, lead in rows[:SHOWN]:
        lines.append(texts.DISPUTES_LINE.format(
            number=lead.number, street=lead.street, item=item_short(lead), deadline=local(dispute.deadline, tz),
            overdue=texts.DISPUTES_OVERDUE if dispute.deadline < now else "", reason=esc(dispute.reason)))
    return clip("\n".join(lines))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("mycases", mycases, filters=private))
    app.add_handler(MessageHandler(private & filters.Text([texts.MENU_MYCASES]), mycases))
    app.add_handler(CommandHandler("cases", cases_command, filters=private))
    app.add_handler(MessageHandler(private & filters.Text([texts.MENU_CASES]), cases_command))
    app.add_handler(CallbackQueryHandler(on_filter, pattern=rf"^{FEATURE}:ls:"))
