"""Item lookup: plain text, /lookup and inline mode share one search and one card.

Also: admins send a catalogue (or roster) file as a document, see the diff, confirm or cancel;
and review what officers taught the search (/aliases).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, InlineQueryHandler, MessageHandler, filters

import texts
from db import catalogue as catalogue_db
from db import people
from db.catalogue import CatalogueService
from db.engine import Database
from db.models import Role
from handlers import callbacks
from handlers.cards import by_street_lines, render_card, status_summary
from handlers.common import esc, escaped_pieces, refuse, requires
from handlers.context import Actor, BotContext
from knowledge.catalogue import CatalogueFileError, CatalogueItem, diff_catalogues, load_catalogue_file
from knowledge.roster import load_roster_file
from knowledge.search import SearchResult
from knowledge.streets import STREETS
from knowledge.tables import TableFileError
from knowledge.thesaurus import load_entries, parse_line

FEATURE = "lk"
MAX_QUERY = 256
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
SUGGESTIONS = 5
PARSE_SECONDS = 20  # an upload not parsed by then is refused (the caps make honest files far faster)
log = logging.getLogger(__name__)


def service(context: BotContext) -> CatalogueService:
    extras = context.services.extras
    if "catalogue" not in extras:
        extras["catalogue"] = CatalogueService(context.db)
    return extras["catalogue"]  # type: ignore[no-any-return]


def today(context: BotContext) -> date:
    return datetime.now(context.settings.tz).date()


def street_for(actor: Actor, result: SearchResult) -> str | None:
    """The street named in the query, else the asker's roster street, else none (by-street card)."""
    return result.street or actor.street


def _tag(svc: CatalogueService, street: str | None) -> str:
    """Button version field: the street asked about and the catalogue version the card came from."""
    street_code = str(STREETS.index(street)) if street in STREETS else "x"
    return f"{street_code}.{svc.version.id if svc.version else 0}"


def _untag(svc: CatalogueService, tag: str) -> tuple[bool, str | None]:
    """(still the current version?, street)."""
    street_code, _, version = tag.partition(".")
    current = str(svc.version.id if svc.version else 0) == version
    street = STREETS[int(street_code)] if street_code.isdigit() and int(street_code) < len(STREETS) else None
    return current, street


def card_markup(
    svc: CatalogueService, item_pos: int, street: str | None, shortened: bool, others: list[tuple[int, CatalogueItem]]
) -> InlineKeyboardMarkup | None:
    """Suggestions and card tools as buttons; None when there is nothing to press."""
    rows: list[list[InlineKeyboardButton]] = []
    for pos, other in others:
        label = other.name if len(other.name) <= 28 else other.name[:27] + "…"
        rows.append([InlineKeyboardButton(label, callback_data=callbacks.encode(FEATURE, "pick", pos, _tag(svc, street)))])
    tools = []
    if street is not None and item_pos >= 0:
        tools.append(InlineKeyboardButton(texts.BUTTON_OTHER_STREETS, callback_data=callbacks.encode(FEATURE, "streets", item_pos, _tag(svc, street))))
    if shortened:
        tools.append(InlineKeyboardButton(texts.BUTTON_FULL_BASIS, callback_data=callbacks.encode(FEATURE, "basis", item_pos, _tag(svc, street))))
    if tools:
        rows.append(tools)
    return InlineKeyboardMarkup(rows) if rows else None


async def answer_query(update: Update, context: BotContext, query: str) -> None:
    """Search and reply with ONE message: the best card first, other candidates as buttons."""
    message = update.effective_message
    assert message is not None
    actor = context.require_actor()
    if len(query) > MAX_QUERY:
        await message.reply_text(texts.LOOKUP_TOO_LONG.format(length=len(query), limit=MAX_QUERY))
        return
    if not query.strip():
        await message.reply_text(texts.LOOKUP_PROMPT)
        return
    svc = service(context)
    index = await svc.ready()
    if not svc.items:
        await message.reply_text(texts.LOOKUP_EMPTY_CATALOGUE)
        return
    result = index.search(query, limit=SUGGESTIONS)
    positions = svc.position_of  # built once per version: a dict over 10,000 items per lookup cost ~1 ms
    street = street_for(actor, result)
    if result.level != "card":
        # Not sure: candidates as buttons. 「可能是以下事项」 never says 未找到 (the item may well be in
        # the list); 未找到 only when nothing is near. A pick teaches the search (learned aliases).
        shown = result.hits if result.level == "maybe" else result.nearest
        others = [(positions[h.item.code], h.item) for h in shown]
        if result.level == "maybe":
            text = texts.LOOKUP_MAYBE.format(query=esc(query.strip()[:40]))
        else:
            text = texts.LOOKUP_NOT_FOUND.format(query=esc(query.strip()[:40]))
            if others:
                text += "\n" + texts.LOOKUP_NEAREST
        await message.reply_text(text, reply_markup=card_markup(svc, -1, street if result.street else None, False,
                                                                others))
        context.user_data["unsure"] = query.strip()
        return
    best = result.hits[0].item
    others = [(positions[h.item.code], h.item) for h in result.hits[1:3]]
    text, shortened = render_card(best, street=street, on=today(context), version_date=_version_date(svc))
    context.user_data.pop("unsure", None)
    await message.reply_text(text, reply_markup=card_markup(svc, positions[best.code], street, shortened, others))


def _version_date(svc: CatalogueService) -> date | None:
    return svc.version.imported_at.date() if svc.version else None


async def on_text(update: Update, context: BotContext) -> None:
    """A bound user's plain text in a private chat is a lookup."""
    assert update.effective_message is not None
    await answer_query(update, context, update.effective_message.text or "")


async def lookup_command(update: Update, context: BotContext) -> None:
    await answer_query(update, context, " ".join(context.args or []))


async def lookup_button(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.LOOKUP_PROMPT)


async def on_button(update: Update, context: BotContext) -> None:
    """pick / streets / basis. Items are addressed by position in the current version."""
    query = update.callback_query
    assert query is not None
    actor = context.actor
    data = callbacks.decode(query.data)
    svc = service(context)
    await svc.ready()
    if actor is None or data is None or not data.ident.lstrip("-").isdigit():
        await refuse(update, texts.FORGED_BUTTON)
        return
    pos = int(data.ident)
    is_current, tagged_street = _untag(svc, data.version)
    if not is_current or not 0 <= pos < len(svc.items):
        await refuse(update, texts.FORGED_BUTTON)
        return
    item = svc.items[pos]
    on = today(context)
    # Buttons address items by position in a version: built before any await, while the version read
    # above is still the installed one (a newer one may be installed while this update waits on I/O).
    street = tagged_street or actor.street
    text, shortened = render_card(item, street=street, on=on, version_date=_version_date(svc))
    markup = card_markup(svc, pos, street, shortened, [])
    await query.answer()
    if data.action == "pick":
        unsure = context.user_data.pop("unsure", None)
        if unsure:
            with context.db.session() as session:
                catalogue_db.learn(session=session, query=unsure, item_code=item.code, person_id=actor.person_id)
        await context.bot.send_message(query.from_user.id, text, reply_markup=markup)
    elif data.action == "streets":
        lines = [f"<b>{esc(item.name)}</b>", texts.CARD_BY_STREET_TITLE, *by_street_lines(item, on)]
        if item.is_sample:
            lines.append(texts.CARD_SAMPLE)
        await context.bot.send_message(query.from_user.id, "\n".join(lines))
    elif data.action == "basis":
        for piece in escaped_pieces(texts.BASIS_FULL.format(name=esc(item.name)), item.legal_basis):
            await context.bot.send_message(query.from_user.id, piece)
    else:
        await refuse(update, texts.FORGED_BUTTON)


async def inline_lookup(update: Update, context: BotContext) -> None:
    """@bot text: up to 10 cards, for bound users only (the guard already turned strangers away)."""
    inline = update.inline_query
    assert inline is not None
    actor = context.require_actor()
    text = (inline.query or "")[:MAX_QUERY]
    button = InlineQueryResultsButton(text=texts.INLINE_HELP_BUTTON, start_parameter="lookup")
    if not text.strip():
        await inline.answer([], cache_time=0, is_personal=True, button=button)
        return
    svc = service(context)
    result = (await svc.ready()).search(text, limit=10)
    street = street_for(actor, result)
    on = today(context)
    articles = []
    for number, hit in enumerate(result.hits[:10]):
        card, _ = render_card(hit.item, street=street, on=on, version_date=_version_date(svc))
        description = status_summary(hit.item, street, on) if street else texts.CARD_NO_STREET_HINT
        articles.append(
            InlineQueryResultArticle(
                id=f"{number}-{secrets.token_hex(4)}", title=hit.item.name[:100], description=description[:200],
                input_message_content=InputTextMessageContent(card),
            )
        )
    await inline.answer(articles, cache_time=0, is_personal=True)


# ------------------------------------------------------------------ admin: files and aliases

@requires(Role.ADMIN)
async def on_document(update: Update, context: BotContext) -> None:
    """An admin sends a catalogue or roster file: preview the diff, then confirm or cancel.

    The file is parsed off the event loop with a time limit: a hostile workbook must not
    stall every other user's updates."""
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    suffix = Path(doc.file_name or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        await message.reply_text(texts.CATALOGUE_DOC_TYPE)
        return
    if (doc.file_size or 0) > MAX_DOCUMENT_BYTES:
        await message.reply_text(texts.CATALOGUE_DOC_TOO_BIG.format(mb=MAX_DOCUMENT_BYTES // 2**20))
        return
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    svc = service(context)
    await svc.ready()
    current_items = svc.items  # read on the loop; the thread only parses and diffs
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            pending = await asyncio.wait_for(
                asyncio.to_thread(_preview_upload, context.db, current_items, path, doc.file_name or "upload",
                                  context.actor.person_id if context.actor else None),
                timeout=PARSE_SECONDS,
            )
        except TimeoutError:
            await message.reply_text(texts.IMPORT_TIMEOUT.format(seconds=PARSE_SECONDS) + "\n" + texts.IMPORT_NOTHING_WRITTEN)
            return
        except (CatalogueFileError, TableFileError) as exc:
            summary = exc.summary() if isinstance(exc, CatalogueFileError) else "\n".join(exc.errors[:20])
            await message.reply_text(esc(summary) + "\n" + texts.IMPORT_NOTHING_WRITTEN)
            return
    if pending is None:
        await message.reply_text(texts.CATALOGUE_DOC_UNKNOWN)
        return
    token = secrets.token_hex(4)
    context.user_data["pending_import"] = {"token": token, **pending}
    buttons = InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.CATALOGUE_CONFIRM, callback_data=callbacks.encode("imp", "ok", token)),
        InlineKeyboardButton(texts.CATALOGUE_CANCEL, callback_data=callbacks.encode("imp", "no", token)),
    ]])
    await message.reply_text(pending["preview"], reply_markup=buttons)


def _preview_upload(db: Database, current_items: list[CatalogueItem], path: Path, source: str,
                    actor_person_id: int | None) -> dict[str, Any] | None:
    """Runs in a worker thread: which kind of file, parsed and diffed (None: neither kind)."""
    kind = _file_kind(path)
    if kind == "catalogue":
        return _preview_catalogue(current_items, path, source)
    if kind == "roster":
        return _preview_roster(db, path, actor_person_id)
    return None


def _file_kind(path: Path) -> str | None:
    from knowledge.tables import read_table

    try:
        table = read_table(path, {"name": ("事项名称", "name"), "person": ("姓名",), "code": ("编号", "code")},
                           required=(), max_rows=10_000)
    except TableFileError:
        return "catalogue"  # let the catalogue loader explain what is wrong
    if "name" in table.headers and "code" in table.headers:
        return "catalogue"
    return "roster" if "person" in table.headers or "name" in table.headers else None


def _preview_catalogue(current_items: list[CatalogueItem], path: Path, source: str) -> dict[str, Any]:
    items = load_catalogue_file(path)
    diff = diff_catalogues(current_items, items)
    lines = [texts.CATALOGUE_PREVIEW.format(
        source=esc(source), total=len(items), added=len(diff.added), changed=len(diff.changed),
        withdrawn=len(diff.withdrawn), unchanged=len(diff.unchanged), sample="")]
    for label, names in (("新增", diff.added), ("变更", diff.changed), ("收回", diff.withdrawn)):
        if names:
            shown = "、".join(esc(n) for n in names[:10]) + ("……" if len(names) > 10 else "")
            lines.append(texts.CATALOGUE_PREVIEW_NAMES.format(label=label, names=shown))
    return {"kind": "catalogue", "path_items": items, "source": source, "preview": "\n".join(lines)[:4000]}


def _preview_roster(db: Database, path: Path, actor_person_id: int | None) -> dict[str, Any]:
    rows = load_roster_file(path)
    with db.session() as session:
        diff = people.apply_roster(session=session, rows=rows, actor_person_id=actor_person_id, dry_run=True)
    preview = texts.ROSTER_PREVIEW.format(summary=diff.summary())
    if diff.deactivated:  # named, not only counted: a file of one street would deactivate everyone else
        names = "、".join(esc(n) for n in diff.deactivated[:30]) + ("……" if len(diff.deactivated) > 30 else "")
        preview += "\n" + texts.ROSTER_PREVIEW_DEACTIVATED.format(names=names)
    return {"kind": "roster", "rows": rows, "preview": preview}


async def on_import_button(update: Update, context: BotContext) -> None:
    """Confirm or cancel the pending import; re-checks the admin role and the one-time token."""
    query = update.callback_query
    assert query is not None
    actor = context.actor
    data = callbacks.decode(query.data)
    pending = context.user_data.get("pending_import")
    if actor is None or actor.role != Role.ADMIN:
        await refuse(update)
        return
    if data is None or pending is None or pending["token"] != data.ident:
        await refuse(update, texts.FORGED_BUTTON)
        return
    if data.action != "ok":
        context.user_data.pop("pending_import", None)
        await query.answer()
        await query.edit_message_reply_markup(None)
        await context.bot.send_message(query.from_user.id, texts.CATALOGUE_IMPORT_CANCELLED)
        return
    await query.answer()
    try:
        reply = await asyncio.to_thread(_write_import, context.db, pending, actor.person_id)
    except (TableFileError, SQLAlchemyError) as exc:
        # Keep the preview and its buttons: once the cause is fixed, 确认导入 again, no re-upload.
        log.warning("import write failed: %s", type(exc).__name__)
        detail = "\n".join(esc(line) for line in exc.errors[:20]) + "\n" if isinstance(exc, TableFileError) else ""
        await context.bot.send_message(query.from_user.id, detail + texts.IMPORT_WRITE_FAILED)
        return
    context.user_data.pop("pending_import", None)
    await query.edit_message_reply_markup(None)
    await service(context).ready(force=True)
    await context.bot.send_message(query.from_user.id, reply)


def _write_import(db: Database, pending: dict[str, Any], actor_person_id: int | None) -> str:
    """Runs in a worker thread: write the previewed import in one transaction; the reply text."""
    with db.session() as session:
        if pending["kind"] == "catalogue":
            version = catalogue_db.save_version(session=session, items=pending["path_items"], source_name=pending["source"],
                                                imported_by=actor_person_id, is_sample=False)
            return texts.CATALOGUE_IMPORTED.format(version=version.id, total=len(pending["path_items"]))
        diff = people.apply_roster(session=session, rows=pending["rows"], actor_person_id=actor_person_id, dry_run=False)
    return texts.ROSTER_IMPORTED.format(summary=diff.summary())


@requires(Role.ADMIN)
async def aliases_command(update: Update, context: BotContext) -> None:
    """Admins review queries officers resolved by picking a suggestion, and promote them."""
    assert update.effective_message is not None
    svc = service(context)
    await svc.ready()
    with context.db.session() as session:
        pending = catalogue_db.learned_pending(session=session)
    if not pending:
        await update.effective_message.reply_text(texts.ALIASES_NONE)
        return
    rows = []
    for row in pending:
        name = svc.by_code[row.item_code].name if row.item_code in svc.by_code else row.item_code
        label = texts.ALIAS_LINE.format(query=row.query, name=name, times=row.times)
        rows.append([InlineKeyboardButton(label[:60], callback_data=callbacks.encode("als", "up", row.id))])
    await update.effective_message.reply_text(texts.ALIASES_TITLE, reply_markup=InlineKeyboardMarkup(rows))


async def on_alias_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    actor = context.actor
    data = callbacks.decode(query.data)
    if actor is None or actor.role != Role.ADMIN:
        await refuse(update)
        return
    if data is None or not data.ident.isdigit():
        await refuse(update, texts.FORGED_BUTTON)
        return
    with context.db.session() as session:
        row = catalogue_db.promote(session=session, alias_id=int(data.ident), actor_person_id=actor.person_id)
        promoted = (row.query, row.item_code) if row else None
    if promoted is None:
        await refuse(update, texts.FORGED_BUTTON)
        return
    svc = service(context)
    await svc.ready(force=True)
    name = svc.by_code[promoted[1]].name if promoted[1] in svc.by_code else promoted[1]
    await query.answer()
    await context.bot.send_message(query.from_user.id, texts.ALIAS_PROMOTED.format(query=esc(promoted[0]), name=esc(name)))


@requires(Role.ADMIN)
async def thesaurus_command(update: Update, context: BotContext) -> None:
    """Admins add field words to the thesaurus: `/thesaurus 泔水、潲水 = 餐厨垃圾` (issue 12).
    Domain vocabulary, not per-item aliases: it carries over to the next catalogue."""
    message = update.effective_message
    assert message is not None
    actor = context.require_actor()
    line = " ".join(context.args or [])
    if not line.strip():
        with context.db.session() as session:
            added = catalogue_db.thesaurus_words(session=session)
        recent = "\n".join(
            texts.THESAURUS_LINE.format(field=esc("、".join(e.field_words)), legal=esc("、".join(e.legal_words)))
            for e in added[-10:]
        )
        await message.reply_text(texts.THESAURUS_USAGE.format(shipped=len(load_entries()), added=len(added))
                                 + ("\n" + texts.THESAURUS_RECENT + "\n" + recent if recent else ""))
        return
    entry = parse_line(line[:MAX_QUERY])
    if entry is None:
        await message.reply_text(texts.THESAURUS_BAD)
        return
    with context.db.session() as session:
        catalogue_db.add_thesaurus_word(session=session, entry=entry, actor_person_id=actor.person_id)
    await service(context).ready(force=True)
    await message.reply_text(texts.THESAURUS_ADDED.format(field=esc("、".join(entry.field_words)),
                                                         legal=esc("、".join(entry.legal_words))))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("lookup", lookup_command))
    app.add_handler(CommandHandler("aliases", aliases_command))
    app.add_handler(CommandHandler("thesaurus", thesaurus_command))
    app.add_handler(MessageHandler(filters.Text([texts.MENU_LOOKUP]), lookup_button))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, on_document))
    app.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(FEATURE)))
    app.add_handler(CallbackQueryHandler(on_import_button, pattern=callbacks.pattern("imp")))
    app.add_handler(CallbackQueryHandler(on_alias_button, pattern=callbacks.pattern("als")))
    app.add_handler(InlineQueryHandler(inline_lookup))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text))
