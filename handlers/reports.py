"""/stats (chart + summary, filtered by buttons), /export (the 闽执法 workbook) and /audit.

Coordinators see their own zone, admins the district or any zone; every button press re-checks
that. Charts and workbooks are built in a worker thread: matplotlib and openpyxl must never hold
the event loop (nor be imported at start-up).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

import texts
from db import reports
from db.models import Role, utcnow
from handlers import callbacks
from handlers.common import esc, refuse, requires
from handlers.context import Actor, BotContext
from jobs import weekly
from knowledge.stats import (
    ITEM_CLASSES,
    Period,
    PeriodError,
    PeriodKind,
    StatsScope,
    custom_period,
    parse_day,
    period_of,
    summary_text,
)
from knowledge.streets import ZONES

log = logging.getLogger(__name__)

FEATURE = "rp"
ZONE_NAMES: tuple[str, ...] = tuple(ZONES)
MESSAGE_LIMIT = 4000  # below Telegram's 4096, room for the HTML tags


@dataclass(frozen=True)
class View:
    """What a stats message shows; packed into callback data as e.g. `120w` or `100c20261101.20261130`."""

    scope: StatsScope
    period: Period

    def pack(self) -> str:
        zone = ZONE_NAMES.index(self.scope.zone) + 1 if self.scope.zone else 0
        streets = ZONES.get(self.scope.zone or "", ())
        street = list(streets).index(self.scope.street) + 1 if self.scope.street in streets else 0
        klass = ITEM_CLASSES.index(self.scope.item_class) + 1 if self.scope.item_class else 0
        period = self.period.kind.value
        if self.period.kind is PeriodKind.CUSTOM:
            period += f"{self.period.first:%Y%m%d}.{self.period.last:%Y%m%d}"
        return f"{zone}{street}{klass}{period}"


def unpack(text: str, today: date) -> View | None:
    """None for anything malformed (forged or from an older version)."""
    if len(text) < 4 or not text[:3].isdigit():
        return None
    zone_i, street_i, class_i = int(text[0]), int(text[1]), int(text[2])
    if zone_i > len(ZONE_NAMES) or class_i > len(ITEM_CLASSES):
        return None
    zone = ZONE_NAMES[zone_i - 1] if zone_i else None
    streets = ZONES.get(zone or "", ())
    if street_i > len(streets):
        return None
    try:
        kind = PeriodKind(text[3])
        if kind is PeriodKind.CUSTOM:
            first, last = text[4:].split(".")
            period = custom_period(parse_day(first), parse_day(last))
        elif len(text) == 4:
            period = period_of(kind, today)
        else:
            return None
    except (ValueError, PeriodError):
        return None
    scope = StatsScope(zone=zone, street=streets[street_i - 1] if street_i else None,
                       item_class=ITEM_CLASSES[class_i - 1] if class_i else None)
    return View(scope, period)


def allowed(actor: Actor, scope: StatsScope) -> bool:
    """Admins: anything. Coordinators: their own zone only."""
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.COORDINATOR and actor.zone is not None and scope.zone == actor.zone


def default_scope(actor: Actor) -> StatsScope:
    return StatsScope(zone=None if actor.role == Role.ADMIN else actor.zone)


def _today(context: BotContext) -> date:
    return datetime.now(context.settings.tz).date()


def keyboard(view: View, actor: Actor, today: date) -> InlineKeyboardMarkup:
    def button(label: str, chosen: bool, target: View) -> InlineKeyboardButton:
        return InlineKeyboardButton(("✓" if chosen else "") + label, callback_data=callbacks.encode(FEATURE, "v", target.pack()))

    scope, period = view.scope, view.period
    rows = [[
        button(texts.STATS_PERIOD_NAMES[k.value], period.kind is k, View(scope, period_of(k, today)))
        for k in (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.LAST_MONTH)
    ] + [InlineKeyboardButton(("✓" if period.kind is PeriodKind.CUSTOM else "") + texts.STATS_BTN_CUSTOM,
                              callback_data=callbacks.encode(FEATURE, "c"))]]
    if actor.role == Role.ADMIN:
        rows.append([button(texts.STATS_ALL_DISTRICT, scope.zone is None, View(StatsScope(item_class=scope.item_class), period))]
                    + [button(z, scope.zone == z, View(StatsScope(zone=z, item_class=scope.item_class), period)) for z in ZONE_NAMES])
    if scope.zone:
        streets = [button(texts.STATS_ALL_STREETS, scope.street is None,
                          View(StatsScope(scope.zone, None, scope.item_class), period))]
        streets += [button(s.removesuffix("街道"), scope.street == s, View(StatsScope(scope.zone, s, scope.item_class), period))
                    for s in ZONES[scope.zone]]
        rows.append(streets)
    rows.append([button(texts.STATS_ALL_CLASSES, scope.item_class is None, View(StatsScope(scope.zone, scope.street), period))]
                + [button(c, scope.item_class == c, View(StatsScope(scope.zone, scope.street, c), period)) for c in ITEM_CLASSES])
    rows.append([InlineKeyboardButton(texts.STATS_BTN_EXPORT, callback_data=callbacks.encode(FEATURE, "x", view.pack()))])
    return InlineKeyboardMarkup(rows)


async def _render(context: BotContext, view: View) -> tuple[str, bytes | None]:
    """Figures (short DB read) then the chart (worker thread); a failed chart leaves the text."""
    def figures():  # type: ignore[no-untyped-def]
        with context.db.session() as session:
            return reports.compute_stats(session=session, scope=view.scope, period=view.period, now=utcnow(),
                                         tz=context.settings.tz)

    stats = await asyncio.to_thread(figures)
    caption = summary_text(stats)
    try:
        from knowledge.charts import render_stats_png

        png: bytes | None = await asyncio.to_thread(render_stats_png, stats)
    except Exception:
        log.exception("stats chart failed")
        png = None
    return caption, png


async def _send_view(update: Update, context: BotContext, view: View, actor: Actor) -> None:
    chat = update.effective_chat
    assert chat is not None
    caption, png = await _render(context, view)
    markup = keyboard(view, actor, _today(context))
    if png is None:
        await context.bot.send_message(chat.id, texts.STATS_CHART_FAILED + "\n\n" + caption, reply_markup=markup)
    else:
        await context.bot.send_photo(chat.id, png, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup)


@requires(Role.COORDINATOR)
async def stats_command(update: Update, context: BotContext) -> None:
    """/stats, or /stats 2026-11-01 2026-11-15 for a custom period; the 统计 menu button."""
    actor = context.require_actor()
    message = update.effective_message
    assert message is not None
    args = context.args or []
    if not args:
        period = period_of(PeriodKind.WEEK, _today(context))
    elif len(args) == 2:
        try:
            period = custom_period(parse_day(args[0]), parse_day(args[1]))
        except PeriodError as exc:
            await message.reply_text(esc(str(exc)))
            return
    else:
        await message.reply_text(texts.STATS_USAGE)
        return
    if actor.role != Role.ADMIN and actor.zone is None:
        await refuse(update)
        return
    await _send_view(update, context, View(default_scope(actor), period), actor)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    actor = context.actor
    data = callbacks.decode(query.data)
    if actor is None or not actor.has(Role.COORDINATOR) or data is None:
        await refuse(update, texts.NO_PERMISSION if data else texts.FORGED_BUTTON)
        return
    if data.action == "c":
        await query.answer()
        assert query.message is not None
        await context.bot.send_message(query.message.chat.id, texts.STATS_CUSTOM_HINT)
        return
    view = unpack(data.ident, _today(context))
    if view is None or data.action not in ("v", "x"):
        await refuse(update, texts.FORGED_BUTTON)
        return
    if not allowed(actor, view.scope):
        await refuse(update, texts.STATS_OTHER_ZONE)
        return
    await query.answer()
    if data.action == "x":
        await _send_export(update, context, view.scope.zone, view.period)
        return
    # A new message per choice (not an edit): the earlier chart stays for comparison.
    await _send_view(update, context, view, actor)


# ---------------------------------------------------------------- export from the chat


async def _send_export(update: Update, context: BotContext, zone: str | None, period: Period) -> None:
    from knowledge.export import xlsx_bytes

    chat = update.effective_chat
    assert chat is not None
    start, end = period.bounds(context.settings.tz)

    def build() -> tuple[bytes, dict[str, int]]:
        with context.db.session() as session:
            sheets = reports.export_sheets(session=session, zone=zone, since=start, until=end, tz=context.settings.tz)
        return xlsx_bytes(sheets), reports.sheet_counts(sheets)

    data, counts = await asyncio.to_thread(build)
    name = f"联合执法记录_{zone or texts.STATS_ALL_DISTRICT}_{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    caption = texts.EXPORT_CAPTION.format(
        scope=zone or texts.STATS_ALL_DISTRICT, since=period.first, until=period.last,
        leads=counts[texts.EXPORT_SHEET_LEADS], actions=counts[texts.EXPORT_SHEET_ACTIONS],
        meetings=counts[texts.EXPORT_SHEET_MEETINGS], disputes=counts[texts.EXPORT_SHEET_DISPUTES],
    )
    await context.bot.send_document(chat.id, data, filename=name, caption=caption)


@requires(Role.COORDINATOR)
async def export_command(update: Update, context: BotContext) -> None:
    """/export [开始日期 结束日期]: this month by default; coordinators get their zone, admins all."""
    actor = context.require_actor()
    message = update.effective_message
    assert message is not None
    args = context.args or []
    try:
        if not args:
            period = period_of(PeriodKind.MONTH, _today(context))
        elif len(args) == 2:
            period = custom_period(parse_day(args[0]), parse_day(args[1]))
        else:
            await message.reply_text(texts.EXPORT_USAGE)
            return
    except PeriodError as exc:
        await message.reply_text(esc(str(exc)))
        return
    if actor.role != Role.ADMIN and actor.zone is None:
        await refuse(update)
        return
    await _send_export(update, context, default_scope(actor).zone, period)


# ---------------------------------------------------------------- audit


def audit_messages(number: str, entries: list, names: dict[int, str], tz) -> list[str]:  # type: ignore[no-untyped-def, type-arg]
    """The history as messages, each below Telegram's limit; one entry is never split."""
    blocks = []
    for entry in entries:
        at = reports.as_utc(entry.at)
        actor = names.get(entry.actor_person_id or 0) or (
            texts.AUDIT_UNKNOWN_PERSON.format(id=entry.actor_person_id) if entry.actor_person_id else texts.AUDIT_SYSTEM)
        lines = [texts.AUDIT_LINE.format(at=at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if at else "",
                                         actor=esc(actor), action=esc(texts.AUDIT_ACTIONS.get(entry.action, entry.action)))]
        before = entry.before or {}
        for key, value in (entry.after or {}).items():
            if key in before and before[key] != value:
                lines.append(texts.AUDIT_CHANGE.format(key=esc(key), before=esc(before[key]), after=esc(value)))
            elif key not in before:
                lines.append(texts.AUDIT_VALUE.format(key=esc(key), after=esc(value)))
        blocks.append("\n".join(lines)[:MESSAGE_LIMIT - 200])
    messages: list[str] = []
    current = texts.AUDIT_TITLE.format(number=esc(number), count=len(entries))
    if not blocks:
        return [current + "\n" + texts.AUDIT_EMPTY]
    for block in blocks:
        if len(current) + 1 + len(block) > MESSAGE_LIMIT:
            messages.append(current)
            current = block
        else:
            current += "\n" + block
    messages.append(current)
    return messages


@requires(Role.ADMIN)
async def audit_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if len(context.args or []) != 1:
        await message.reply_text(texts.AUDIT_USAGE)
        return
    number = (context.args or [""])[0].strip().upper()[:30]
    with context.db.session() as session:
        entries = reports.audit_trail(session=session, number=number)
        names = reports.person_names(session=session, ids=[e.actor_person_id for e in entries or []])
    if entries is None:
        await message.reply_text(texts.AUDIT_NOT_FOUND.format(number=esc(number)))
        return
    for text in audit_messages(number, entries, names, context.settings.tz):
        await message.reply_text(text)


def register(app: Application) -> None:
    """Add this feature's handlers to group 0, and the weekly summary to the clock."""
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(MessageHandler(filters.Text([texts.MENU_STATS]), stats_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("audit", audit_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(FEATURE)))
    services = app.bot_data.get("services")
    if services is not None:
        weekly.install(services.settings)
