"""Filing a case lead: /case or 上报线索 → where → street → what → photos → card → confirm.

Every step writes the draft to the database before answering, so leaving the flow, /cancel or a
crash keeps what the officer entered; /case offers to continue it. The lead, its number and the
notices to the routed people are committed in one transaction before the reporter sees the number.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

import texts
from db import cases as lead_db
from db.cases import Lead, PhotoRecord
from db.models import utcnow
from handlers import case_actions, case_lists, flows, keyboards
from handlers.callbacks import decode, encode
from handlers.case_views import (
    basis_for,
    catalogue_of,
    consequence_html,
    names,
    notify_handlers,
    notify_merge,
    place_text,
    routed_people,
    wake_delivery,
)
from handlers.common import esc, press_a_button
from handlers.context import Actor, BotContext
from handlers.notice_failures import alert_if_unreached
from knowledge.cases import (
    MAX_DESCRIPTION,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    RESUBMISSION_WINDOW,
    TERMINAL_STATES,
    ZHONGSHAN_AREA,
    Basis,
    LeadPoint,
    consequence,
    find_duplicates,
    is_resubmission,
    looks_like_image,
)
from knowledge.catalogue import CatalogueItem
from knowledge.geo import (
    InvalidCoordinates,
    distance_to_district_m,
    format_distance_zh,
    in_district,
    validate_coordinates,
)
from knowledge.places import match_place
from knowledge.streets import STREETS, ZONES, normalize_street, zone_of

log = logging.getLogger(__name__)

FEATURE = "case"
RESUME, WHERE, OUTSIDE, STREET, WHAT, PHOTOS, CONFIRM, DUPLICATE = range(8)
STEP_STATE = {"where": WHERE, "outside": OUTSIDE, "street": STREET, "what": WHAT, "photos": PHOTOS,
              "confirm": CONFIRM}
MAX_ACCURACY_M = 1500.0  # a fix worse than this cannot tell one street from the next
OLD_TOWN = list(ZONES["老城区"])
STREET_CHOICES = [*STREETS, ZHONGSHAN_AREA]
ALBUM_ACK_SECONDS = 1.2
MENU_TEXTS, TYPED = keyboards.MENU_TEXTS, keyboards.TYPED


def _button(label: str, action: str, ident: str | int = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(FEATURE, action, ident))


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


# ---------------------------------------------------------------- draft I/O


def _reporter(context: BotContext) -> Actor:
    return context.require_actor()


def _load(context: BotContext) -> dict[str, Any]:
    actor = _reporter(context)
    assert actor.person_id is not None
    with context.db.session() as session:
        return lead_db.get_draft(session=session, reporter_id=actor.person_id) or {"step": "where"}


def _save(context: BotContext, draft: dict[str, Any]) -> None:
    actor = _reporter(context)
    assert actor.person_id is not None
    with context.db.session() as session:
        lead_db.save_draft(session=session, reporter_id=actor.person_id, state=draft)


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _send(update: Update, context: BotContext, text: str, markup: Any = None) -> Message:
    return await context.bot.send_message(_chat_id(update), text, reply_markup=markup)


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# ---------------------------------------------------------------- entry, resume, cancel


async def start(update: Update, context: BotContext) -> int:
    """/case or the menu button: a fresh form, or the choice to continue a saved draft."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        if update.effective_message is not None:
            await update.effective_message.reply_text(texts.ONLY_PRIVATE)
        return ConversationHandler.END
    actor = context.actor
    if actor is None or actor.person_id is None:
        await _send(update, context, texts.NO_PERMISSION)
        return ConversationHandler.END
    with context.db.session() as session:
        draft = lead_db.get_draft(session=session, reporter_id=actor.person_id)
    if draft and _has_content(draft):
        markup = InlineKeyboardMarkup([[_button(texts.CASE_DRAFT_CONTINUE, "rs", "c"),
                                        _button(texts.CASE_DRAFT_RESTART, "rs", "r")]])
        await _send(update, context, texts.CASE_DRAFT_FOUND.format(summary=_summary(draft)), markup)
        return RESUME
    return await _begin(update, context)


async def start_with_location(update: Update, context: BotContext) -> int:
    """A location sent while no flow waits starts a lead at that place (one tap on site); a
    draft with content is never overwritten without asking: the location waits in the draft."""
    if context.actor is None or context.actor.person_id is None:
        await _send(update, context, texts.NO_PERMISSION)
        return ConversationHandler.END
    draft = _load(context)
    if _has_content(draft):
        message = update.effective_message
        assert message is not None and message.location is not None
        draft["pending_location"] = {"lat": message.location.latitude, "lon": message.location.longitude,
                                     "accuracy": message.location.horizontal_accuracy,
                                     "at": message.date.isoformat()}
        _save(context, draft)
        markup = InlineKeyboardMarkup([[_button(texts.CASE_DRAFT_CONTINUE, "rs", "c"),
                                        _button(texts.CASE_DRAFT_NEW_HERE, "rs", "l")]])
        await _send(update, context, texts.CASE_DRAFT_LOCATION.format(summary=_summary(draft)), markup)
        return RESUME
    _save(context, {"step": "where"})
    return await on_location(update, context)


def _has_content(draft: dict[str, Any]) -> bool:
    return any(draft.get(key) for key in ("street", "address", "lat", "description", "photos"))


def _summary(draft: dict[str, Any]) -> str:
    parts = [p for p in (draft.get("street"), draft.get("address"), draft.get("description")) if p]
    if draft.get("photos"):
        parts.append(f"{len(draft['photos'])} 张照片")
    return esc("，".join(parts)[:80]) or texts.CASE_DRAFT_EMPTY


async def _begin(update: Update, context: BotContext) -> int:
    _save(context, {"step": "where"})
    button = KeyboardButton(texts.CASE_SEND_LOCATION, request_location=True)
    await _send(update, context, texts.CASE_START,
                ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True))
    return WHERE


async def on_resume(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    if data is not None and data.ident == "r":
        return await _begin(update, context)
    draft = _load(context)
    pending = draft.pop("pending_location", None)
    if data is not None and data.ident == "l":
        if not pending:
            await stale_button(update, context)
            return RESUME
        _save(context, {"step": "where"})
        return await _apply_location(update, context, pending["lat"], pending["lon"], pending.get("accuracy"),
                                     pending["at"])
    if pending:
        _save(context, draft)
    return await _prompt(update, context, draft)


async def _prompt(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    """Ask the question of the draft's current step again (after 继续 or a stale answer)."""
    step = draft.get("step", "where")
    if step == "where" or step == "outside":
        return await _begin_where_again(update, context)
    if step == "street":
        return await _ask_street(update, context, draft)
    if step == "what":
        await _send(update, context, texts.CASE_WHAT_ASK)
        return WHAT
    if step == "photos":
        return await _ask_photos(update, context, draft)
    return await _show_card(update, context, draft)


async def _begin_where_again(update: Update, context: BotContext) -> int:
    button = KeyboardButton(texts.CASE_SEND_LOCATION, request_location=True)
    await _send(update, context, texts.CASE_WHERE_AGAIN,
                ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True))
    return WHERE


async def cancel(update: Update, context: BotContext) -> int:
    actor = context.actor
    markup = keyboards.main_menu(actor.role) if actor else None
    await _answer(update)
    await _send(update, context, texts.CASE_CANCELLED, markup)
    return ConversationHandler.END


async def stale_button(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.CASE_STALE_BUTTON, show_alert=True)


# ---------------------------------------------------------------- 1. where


async def on_location(update: Update, context: BotContext) -> int:
    """The place of the lead; the rest of the draft (description, item, photos) is kept."""
    message = update.effective_message
    assert message is not None and message.location is not None
    location = message.location
    return await _apply_location(update, context, location.latitude, location.longitude,
                                 location.horizontal_accuracy, message.date.isoformat())


async def _apply_location(update: Update, context: BotContext, raw_lat: float, raw_lon: float,
                          accuracy: float | None, at: str) -> int:
    try:
        lat, lon = validate_coordinates(raw_lat, raw_lon)
    except InvalidCoordinates as error:
        await _send(update, context, str(error))
        return WHERE
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        await _send(update, context, texts.CASE_BAD_ACCURACY.format(accuracy=f"{accuracy:.0f}"))
        return WHERE
    draft = _load(context)
    draft.update(lat=lat, lon=lon, accuracy_m=accuracy, address=None, community=None, area=None,
                 discovered_at=at, outside_district=not in_district(lat, lon))
    if draft["outside_district"]:
        draft["step"] = "outside"
        _save(context, draft)
        markup = InlineKeyboardMarkup([[_button(texts.CASE_OUTSIDE_CONFIRM, "out", "y"),
                                        _button(texts.CASE_OUTSIDE_RETRY, "out", "n")]])
        distance = format_distance_zh(distance_to_district_m(lat, lon))
        await _send(update, context, texts.CASE_OUTSIDE.format(distance=distance), markup)
        return OUTSIDE
    street, hint = _propose_street(context, lat, lon)
    draft.update(proposed=street, hint=hint)
    return await _ask_street(update, context, draft)


def _propose_street(context: BotContext, lat: float, lon: float) -> tuple[str | None, str]:
    """The polygon's street when an admin imported boundaries, else the reporter's own street."""
    boundaries = context.services.extras.get("boundaries")
    if boundaries is not None:
        street = boundaries.street_at(lat, lon)
        if street:
            return street, texts.CASE_STREET_HINT_POLYGON.format(street=street)
    own = context.require_actor().street
    if own:
        return own, texts.CASE_STREET_HINT_OWN.format(street=own)
    return None, ""


async def on_outside(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    draft = _load(context)
    if data is None or data.ident != "y" or draft.get("lat") is None:
        draft.update(step="where", lat=None, lon=None, outside_district=False)
        _save(context, draft)
        return await _begin_where_again(update, context)
    street, hint = _propose_street(context, draft["lat"], draft["lon"])
    draft.update(proposed=street, hint=hint)
    return await _ask_street(update, context, draft)


async def on_address(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    text = message.text.strip()[:200]
    matches = match_place(text)
    if not matches:
        await message.reply_text(texts.CASE_PLACE_NOT_FOUND.format(text=esc(text[:40])))
        return WHERE
    draft = _load(context)
    draft.update(address=text, lat=None, lon=None, accuracy_m=None, outside_district=False,
                 discovered_at=message.date.isoformat())
    best = matches[0]
    tied = [m for m in matches if m.score >= best.score]
    if len({m.street for m in tied}) == 1:  # one place, or a street and its own community (浮桥)
        return await _apply_place(update, context, draft, best.kind, best.name, best.street, best.community)
    draft["choices"] = [{"kind": m.kind, "name": m.name, "street": m.street, "community": m.community} for m in matches]
    _save(context, draft)
    buttons = [_button(m.name + (f"（{m.street}）" if m.street and m.kind == "community" else ""), "pl", i)
               for i, m in enumerate(matches)]
    await message.reply_text(texts.CASE_PLACE_PICK, reply_markup=InlineKeyboardMarkup(_rows(buttons, 2)))
    return WHERE


async def on_place_pick(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    draft = _load(context)
    choices = draft.get("choices") or []
    if data is None or not data.ident.isdigit() or int(data.ident) >= len(choices):
        await stale_button(update, context)
        return WHERE
    pick = choices[int(data.ident)]
    return await _apply_place(update, context, draft, pick["kind"], pick["name"], pick["street"], pick["community"])


async def _apply_place(update: Update, context: BotContext, draft: dict[str, Any], kind: str, name: str,
                       street: str | None, community: str | None) -> int:
    draft.pop("choices", None)
    draft.update(community=community, area=ZHONGSHAN_AREA if kind == "area" else None)
    if street:
        draft.update(proposed=street, hint=texts.CASE_STREET_HINT_PLACE.format(street=street))
    else:
        own = context.require_actor().street
        draft.update(proposed=None, hint="")
        if own in OLD_TOWN:
            draft.update(proposed=own, hint=texts.CASE_STREET_HINT_OWN.format(street=own))
    return await _ask_street(update, context, draft)


# ---------------------------------------------------------------- street


async def _ask_street(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    draft["step"] = "street"
    _save(context, draft)
    await _send(update, context, "📍 " + place_text(draft), keyboards.main_menu(context.require_actor().role))
    proposed = draft.get("proposed")
    if draft.get("area") == ZHONGSHAN_AREA:
        buttons = [_button(s, "zs", i) for i, s in enumerate(OLD_TOWN)]
        await _send(update, context, texts.CASE_ZHONGSHAN_PICK, InlineKeyboardMarkup(_rows(buttons, 2)))
        return STREET
    rows = []
    if proposed in STREETS:
        rows.append([_button(texts.CASE_STREET_CONFIRM.format(street=proposed), "st", STREETS.index(proposed))])
    rows += _rows([_button(s, "st", i) for i, s in enumerate(STREET_CHOICES)], 3)
    await _send(update, context, texts.CASE_STREET_ASK.format(hint=draft.get("hint") or ""), InlineKeyboardMarkup(rows))
    return STREET


async def on_street(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    draft = _load(context)
    if data is None or not data.ident.isdigit():
        await stale_button(update, context)
        return STREET
    index = int(data.ident)
    if data.action == "st" and index < len(STREETS):
        draft.update(street=STREETS[index], area=None if draft.get("area") == ZHONGSHAN_AREA else draft.get("area"))
    elif data.action == "st" and index == len(STREETS):
        draft["area"] = ZHONGSHAN_AREA
        return await _ask_street(update, context, draft)
    elif data.action == "zs" and index < len(OLD_TOWN):
        draft.update(street=OLD_TOWN[index], area=ZHONGSHAN_AREA)
    else:
        await stale_button(update, context)
        return STREET
    return await _street_chosen(update, context, draft)


async def on_street_text(update: Update, context: BotContext) -> int:
    """A typed street name is a natural answer to 属于哪个街道; anything else: press a button."""
    message = update.effective_message
    assert message is not None
    street = normalize_street(unicodedata.normalize("NFKC", message.text or "").strip())
    if street not in STREETS:
        await message.reply_text(texts.PRESS_A_BUTTON)
        return STREET
    draft = _load(context)
    keep_area = draft.get("area") == ZHONGSHAN_AREA and street in OLD_TOWN
    draft.update(street=street, area=ZHONGSHAN_AREA if keep_area else None)
    return await _street_chosen(update, context, draft)


async def _street_chosen(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    draft["zone"] = zone_of(draft["street"])
    if draft.get("description") and (draft.get("item_code") or draft.get("unsure")):
        return await _show_card(update, context, draft)  # editing the street of a finished form
    draft["step"] = "what"
    _save(context, draft)
    await _send(update, context, texts.CASE_WHAT_ASK)
    return WHAT


# ---------------------------------------------------------------- 2. what


async def on_description(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    text = " ".join(message.text.split())
    if not text:
        await message.reply_text(texts.CASE_DESCRIPTION_EMPTY)
        return WHAT
    if len(text) > MAX_DESCRIPTION:
        await message.reply_text(texts.CASE_DESCRIPTION_TOO_LONG.format(length=len(text), limit=MAX_DESCRIPTION))
        return WHAT
    draft = _load(context)
    view = await catalogue_of(context)
    found = view.search(text)
    today = datetime.now(context.settings.tz).date()
    draft.update(step="what", description=text, candidates=[item.code for item in found], item_code=None, unsure=False)
    _save(context, draft)
    buttons = [
        [_button(texts.CASE_ITEM_BUTTON.format(status=basis_for(item, draft["street"], today).value,
                                               name=_short(item.name)), "it", i)]
        for i, item in enumerate(found)
    ]
    buttons.append([_button(texts.CASE_ITEM_UNSURE, "it", "u"), _button(texts.CASE_ITEM_REDESCRIBE, "it", "re")])
    intro = texts.CASE_ITEM_ASK.format(street=draft["street"]) if found else texts.CASE_ITEM_NONE
    if view.is_sample:
        intro += "\n" + texts.CASE_SAMPLE_NOTE
    await message.reply_text(intro, reply_markup=InlineKeyboardMarkup(buttons))
    return WHAT


def _short(name: str) -> str:
    return name if len(name) <= 22 else name[:21] + "…"


async def on_item(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    draft = _load(context)
    candidates = draft.get("candidates") or []
    if data is None or not draft.get("description"):
        await stale_button(update, context)
        return WHAT
    if data.ident == "re":
        await _send(update, context, texts.CASE_WHAT_ASK)
        return WHAT
    if data.ident == "u":
        draft.update(item_code=None, unsure=True)
    elif data.ident.isdigit() and int(data.ident) < len(candidates):
        draft.update(item_code=candidates[int(data.ident)], unsure=False)
    else:
        await stale_button(update, context)
        return WHAT
    if draft.get("photos_done"):
        return await _show_card(update, context, draft)
    return await _ask_photos(update, context, draft)


# ---------------------------------------------------------------- 3. evidence


async def _ask_photos(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    draft["step"] = "photos"
    _save(context, draft)
    markup = InlineKeyboardMarkup([[_button(texts.CASE_PHOTO_DONE, "ph", "done")]])
    await _send(update, context, texts.CASE_PHOTO_ASK.format(limit=MAX_PHOTOS), markup)
    return PHOTOS


async def on_photo(update: Update, context: BotContext) -> int:
    """One photo (or one image document) of possibly an album: download, hash, add to the draft."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        biggest = message.photo[-1]
        file_id, unique_id, size = biggest.file_id, biggest.file_unique_id, biggest.file_size
    elif message.document is not None:
        document = message.document
        if not (document.mime_type or "").startswith("image/"):
            await message.reply_text(texts.CASE_PHOTO_NOT_IMAGE.format(name=esc(document.file_name or document.mime_type or "?")))
            return PHOTOS
        file_id, unique_id, size = document.file_id, document.file_unique_id, document.file_size
    else:
        await message.reply_text(texts.CASE_PHOTO_ONLY)
        return PHOTOS
    if size is not None and size > MAX_PHOTO_BYTES:
        await message.reply_text(texts.CASE_PHOTO_TOO_BIG)
        return PHOTOS
    draft = _load(context)
    photos: list[dict[str, Any]] = draft.setdefault("photos", [])
    if any(p["file_unique_id"] == unique_id for p in photos):
        return PHOTOS
    if len(photos) >= MAX_PHOTOS:
        if not message.media_group_id or draft.get("limit_warned") != message.media_group_id:
            draft["limit_warned"] = message.media_group_id or "single"
            _save(context, draft)
            await message.reply_text(texts.CASE_PHOTO_LIMIT.format(limit=MAX_PHOTOS))
        return PHOTOS
    try:
        telegram_file = await context.bot.get_file(file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        log.warning("photo download failed: %s", error)
        await message.reply_text(texts.CASE_PHOTO_FAILED)
        return PHOTOS
    if len(data) > MAX_PHOTO_BYTES:
        await message.reply_text(texts.CASE_PHOTO_TOO_BIG)
        return PHOTOS
    if message.document is not None and not looks_like_image(data):  # Telegram's own photos are its JPEGs
        await message.reply_text(texts.CASE_PHOTO_NOT_IMAGE.format(name=esc(message.document.file_name or "?")))
        return PHOTOS
    draft = _load(context)  # re-read: an album's photos arrive as separate updates
    photos = draft.setdefault("photos", [])
    photos.append({"file_id": file_id, "file_unique_id": unique_id, "sha256": hashlib.sha256(data).hexdigest(),
                   "size": len(data)})
    _save(context, draft)
    if message.media_group_id and context.job_queue is not None:
        name = f"album:{message.chat_id}:{message.media_group_id}"
        if not context.job_queue.get_jobs_by_name(name):
            context.job_queue.run_once(_album_ack, ALBUM_ACK_SECONDS, chat_id=message.chat_id,
                                       user_id=context.require_actor().person_id, name=name)
        return PHOTOS
    markup = InlineKeyboardMarkup([[_button(texts.CASE_PHOTO_DONE, "ph", "done")]])
    await message.reply_text(texts.CASE_PHOTO_GOT.format(count=len(photos)), reply_markup=markup)
    return PHOTOS


async def _album_ack(context: BotContext) -> None:
    """One answer per album instead of one per photo."""
    job = context.job
    assert job is not None and job.chat_id is not None
    with context.db.session() as session:
        draft = lead_db.get_draft(session=session, reporter_id=int(job.user_id or 0)) or {}
    markup = InlineKeyboardMarkup([[_button(texts.CASE_PHOTO_DONE, "ph", "done")]])
    await context.bot.send_message(job.chat_id, texts.CASE_PHOTO_GOT.format(count=len(draft.get("photos", []))),
                                   reply_markup=markup)


async def on_photos_done(update: Update, context: BotContext) -> int:
    await _answer(update)
    draft = _load(context)
    draft["photos_done"] = True
    return await _show_card(update, context, draft)


async def off_step_attachment(update: Update, context: BotContext) -> None:
    """A file or photo at a step that takes none: say so and stay at the step (it would otherwise
    reach the admin-only catalogue import and be refused with 无权限)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.OFF_STEP_ATTACHMENT)


async def not_a_photo(update: Update, context: BotContext) -> int:
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.CASE_PHOTO_ONLY)
    return PHOTOS


# ---------------------------------------------------------------- 4. card, 5. confirm


async def _card(context: BotContext, draft: dict[str, Any]) -> tuple[str, list[str]]:
    view = await catalogue_of(context)
    item = view.by_code(draft.get("item_code"))
    today = datetime.now(context.settings.tz).date()
    basis = basis_for(item, draft["street"], today)
    outcome = consequence(basis, street=draft["street"], department=item.department if item else None)
    with context.db.session() as session:
        people = routed_people(session, basis=outcome.basis, street=draft["street"], zone=draft["zone"],
                               department=item.department if item else None)
    return draft_card_text(draft, item, today, names(people)), [p.name for p in people]


def draft_card_text(draft: dict[str, Any], item: CatalogueItem | None, today: date, recipients: str) -> str:
    """The 请确认线索 card; every catalogue field is escaped (a `<` in a department must not
    break filing), `recipients` is HTML already."""
    basis = basis_for(item, draft["street"], today)
    outcome = consequence(basis, street=draft["street"], department=item.department if item else None)
    return texts.CASE_CARD.format(
        place=place_text(draft), street=draft["street"] + (f"·{draft['area']}" if draft.get("area") else ""),
        zone=draft["zone"], item=esc(item.name) if item else texts.CASE_CARD_UNSURE_ITEM, basis=basis.value,
        consequence=consequence_html(outcome), description=esc(draft.get("description", "")),
        photos=len(draft.get("photos", [])), recipients=recipients,
    )


async def _show_card(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    draft["step"] = "confirm"
    _save(context, draft)
    text, _ = await _card(context, draft)
    markup = InlineKeyboardMarkup([[_button(texts.CASE_CONFIRM, "ok"), _button(texts.CASE_EDIT, "edit")]])
    await _send(update, context, text, markup)
    return CONFIRM


async def on_edit(update: Update, context: BotContext) -> int:
    await _answer(update)
    markup = InlineKeyboardMarkup([
        [_button(texts.CASE_EDIT_PLACE, "ed", "where"), _button(texts.CASE_EDIT_STREET, "ed", "street")],
        [_button(texts.CASE_EDIT_ITEM, "ed", "what"), _button(texts.CASE_EDIT_PHOTOS, "ed", "photos")],
    ])
    await _send(update, context, texts.CASE_EDIT_WHAT, markup)
    return CONFIRM


async def on_edit_pick(update: Update, context: BotContext) -> int:
    await _answer(update)
    data = decode(update.callback_query.data if update.callback_query else None)
    draft = _load(context)
    target = data.ident if data else ""
    if target == "where":
        draft["step"] = "where"
        _save(context, draft)
        return await _begin_where_again(update, context)
    if target == "street":
        draft["proposed"] = draft.get("street")
        return await _ask_street(update, context, draft)
    if target == "what":
        draft["step"] = "what"
        _save(context, draft)
        await _send(update, context, texts.CASE_WHAT_ASK)
        return WHAT
    if target == "photos":
        return await _ask_photos(update, context, draft)
    await stale_button(update, context)
    return CONFIRM


async def _lead_from_draft(context: BotContext, draft: dict[str, Any], actor: Actor) -> tuple[Lead, list[PhotoRecord]]:
    view = await catalogue_of(context)
    item = view.by_code(draft.get("item_code"))
    today = datetime.now(context.settings.tz).date()
    basis = basis_for(item, draft["street"], today)
    outcome = consequence(basis, street=draft["street"], department=item.department if item else None)
    discovered = datetime.fromisoformat(draft["discovered_at"]) if draft.get("discovered_at") else utcnow()
    assert actor.person_id is not None
    lead = Lead(
        number="", reporter_id=actor.person_id, discovered_at=discovered, lat=draft.get("lat"), lon=draft.get("lon"),
        accuracy_m=draft.get("accuracy_m"), address=draft.get("address"), community=draft.get("community"),
        area=draft.get("area"), street=draft["street"], zone=draft["zone"],
        outside_district=bool(draft.get("outside_district")), description=draft.get("description", ""),
        item_code=item.code if item else None, item_name=item.name if item else None,
        item_class=item.item_class.value if item else None, item_department=item.department if item else None,
        catalogue_version=view.version, catalogue_date=view.published, status_at_filing=basis.value,
        basis=outcome.basis.value, enforcing_subject=outcome.subject,
    )
    photos = [PhotoRecord(p["file_id"], p["file_unique_id"], p["sha256"], int(p["size"])) for p in draft.get("photos", [])]
    return lead, photos


async def on_confirm(update: Update, context: BotContext) -> int:
    """Check resubmission and duplicates, then number, store and notify in one transaction."""
    await _answer(update)
    actor = _reporter(context)
    assert actor.person_id is not None
    with context.db.session() as session:
        draft = lead_db.get_draft(session=session, reporter_id=actor.person_id)
    if not draft or draft.get("step") != "confirm":
        return await _already_filed_or_stale(update, context, actor)
    lead, photos = await _lead_from_draft(context, draft, actor)
    now = utcnow()
    new_point = LeadPoint(None, lead.item_code, lead.lat, lead.lon, now, reporter_id=actor.person_id,
                          description=lead.description, address=lead.address)
    shown: list[Lead] = []
    dup_point = new_point
    with context.db.session() as session:
        for old in lead_db.recent_of_reporter(session=session, reporter_id=actor.person_id, since=now - RESUBMISSION_WINDOW):
            old_point = LeadPoint(old.id, old.item_code, old.lat, old.lon, old.reported_at, reporter_id=old.reporter_id,
                                  description=old.description, address=old.address)
            if is_resubmission(new_point, old_point) and old.state not in TERMINAL_STATES:
                added = lead_db.add_photos(session=session, lead=old, photos=photos, by_person_id=actor.person_id)
                if added:  # the same report again, with a photo taken since: keep the photo
                    _note_merge(session, old, added, draft, actor)
                lead_db.delete_draft(session=session, reporter_id=actor.person_id)
                number = old.number
                break
        else:
            number = None
        if number is None and lead.item_code and not draft.get("dup_ack"):
            candidates = lead_db.recent_of_item(session=session, item_code=lead.item_code,
                                                since=lead.discovered_at - timedelta(days=7))
            dup_point = LeadPoint(None, lead.item_code, lead.lat, lead.lon, lead.discovered_at)
            duplicates = find_duplicates(dup_point, [lead_db.point_of(c) for c in candidates])
            if duplicates:
                by_id = {c.id: c for c in candidates}
                shown = [by_id[p.lead_id] for p in duplicates[:3] if p.lead_id in by_id]
    if shown:  # asked outside the transaction: never hold the SQLite write lock across a Telegram call
        draft["dup_shown"] = [old.id for old in shown]  # 合并 accepts only these (a forged id is refused)
        _save(context, draft)
        return await _ask_duplicate(update, context, shown, dup_point)
    if number is not None:
        wake_delivery(context)  # a kept photo's notice to the handlers
        await _send(update, context, texts.CASE_ALREADY_FILED.format(number=number), keyboards.main_menu(actor.role))
        return ConversationHandler.END
    return await _file(update, context, draft, actor)


async def _already_filed_or_stale(update: Update, context: BotContext, actor: Actor) -> int:
    assert actor.person_id is not None
    with context.db.session() as session:
        recent = lead_db.recent_of_reporter(session=session, reporter_id=actor.person_id,
                                            since=utcnow() - RESUBMISSION_WINDOW)
    if recent:
        await _send(update, context, texts.CASE_ALREADY_FILED.format(number=recent[0].number),
                    keyboards.main_menu(actor.role))
        return ConversationHandler.END
    await stale_button(update, context)
    return ConversationHandler.END


async def _ask_duplicate(update: Update, context: BotContext, shown: list[Lead], here: LeadPoint) -> int:
    from knowledge.cases import distance_m

    tz = context.settings.tz
    lines = []
    for old in shown:
        distance = distance_m(here, lead_db.point_of(old)) or 0.0
        lines.append(texts.CASE_DUPLICATE_LINE.format(
            number=old.number, item=esc(old.item_name or ""), distance=format_distance_zh(distance),
            when=old.discovered_at.astimezone(tz).strftime("%m-%d %H:%M"), state=old.state,
        ))
    buttons = [[_button(f"{texts.CASE_MERGE} {old.number}", "dup", old.id or 0)] for old in shown]
    buttons.append([_button(texts.CASE_FILE_ANYWAY, "dup", "new")])
    await _send(update, context, texts.CASE_DUPLICATE.format(existing="\n".join(lines)), InlineKeyboardMarkup(buttons))
    return DUPLICATE


async def on_duplicate(update: Update, context: BotContext) -> int:
    await _answer(update)
    actor = _reporter(context)
    assert actor.person_id is not None
    data = decode(update.callback_query.data if update.callback_query else None)
    with context.db.session() as session:
        draft = lead_db.get_draft(session=session, reporter_id=actor.person_id)
    if data is None or not draft:
        return await _already_filed_or_stale(update, context, actor)
    if data.ident == "new":
        draft["dup_ack"] = True
        return await _file(update, context, draft, actor)
    if not data.ident.isdigit():
        await stale_button(update, context)
        return DUPLICATE
    _, photos = await _lead_from_draft(context, draft, actor)
    number = None
    with context.db.session() as session:
        existing = lead_db.by_id(session=session, lead_id=int(data.ident))
        shown = draft.get("dup_shown") or []
        if (existing is not None and existing.id in shown and existing.item_code == draft.get("item_code")
                and existing.state not in TERMINAL_STATES):  # closed since it was offered: file anew instead
            number = _merge_into(session, existing, photos, draft, actor)
    if number is None:
        await stale_button(update, context)
        return DUPLICATE
    wake_delivery(context)
    await _send(update, context, texts.CASE_MERGED.format(number=number), keyboards.main_menu(actor.role))
    return ConversationHandler.END


def _merge_into(session: Any, existing: Any, photos: Any, draft: dict[str, Any], actor: Actor) -> str:
    """Add this report's photos and a note to an existing lead; returns its number."""
    added = lead_db.add_photos(session=session, lead=existing, photos=photos, by_person_id=actor.person_id)
    _note_merge(session, existing, added, draft, actor)
    lead_db.delete_draft(session=session, reporter_id=actor.person_id)
    return existing.number


def _note_merge(session: Any, existing: Any, added: int, draft: dict[str, Any], actor: Actor) -> None:
    """History, audit and a notice to the lead's handlers, in the caller's transaction."""
    note = f"合并上报（{actor.name}）：{draft.get('description', '')}"[:600]
    change_id = lead_db.note_merge(session=session, lead=existing, by_person_id=actor.person_id,
                                   by_telegram_id=actor.telegram_id, note=note, photos=added)
    notify_merge(session, existing, change_id=change_id, actor=actor,
                 description=str(draft.get("description", ""))[:300], photos=added)


async def _file(update: Update, context: BotContext, draft: dict[str, Any], actor: Actor) -> int:
    lead, photos = await _lead_from_draft(context, draft, actor)
    tz = context.settings.tz
    assert actor.person_id is not None
    with context.db.session() as session:
        people = routed_people(session, basis=Basis(lead.basis),
                               street=lead.street, zone=lead.zone, department=lead.item_department)
        lead.routed_to = [p.id for p in people if p.id is not None]
        lead_db.file_lead(session=session, lead=lead, photos=photos, local_day=datetime.now(tz).date(),
                          actor_telegram_id=actor.telegram_id)
        notify_handlers(session, lead, people, tz)
        unreached = alert_if_unreached(session, lead, people)
        lead_db.delete_draft(session=session, reporter_id=actor.person_id)
        number, line, recipients = lead.number, _consequence_line(lead), names(people)
    wake_delivery(context)
    await _send(update, context, texts.CASE_FILED.format(number=number, consequence=line, recipients=recipients + unreached),
                keyboards.main_menu(actor.role))
    return ConversationHandler.END


def _consequence_line(lead: Lead) -> str:
    return consequence_html(consequence(Basis(lead.basis), street=lead.street, department=lead.item_department))


# ---------------------------------------------------------------- wiring


def _cb(action_pattern: str) -> str:
    return rf"^{FEATURE}:(?:{action_pattern})(?::|$)"


def conversation(peers: list[flows.Flow] | None = None) -> flows.Flow:
    """The filing flow. A location starts it only while no flow (this one included) waits for the
    user: at 修改 → 地点 or a dispatch/meeting place step the location belongs to that step."""
    private = filters.ChatType.PRIVATE
    stale = CallbackQueryHandler(stale_button, pattern=rf"^{FEATURE}:")
    buttons_only = MessageHandler(TYPED, press_a_button)
    flow = flows.Flow(
        left_notice=texts.FLOW_LEFT_CASE,
        entry_points=[
            CommandHandler("case", start, filters=private),
            MessageHandler(private & filters.Text([texts.MENU_CASE]), start),
            flows.LocationEntry(peers if peers is not None else [], private & filters.LOCATION, start_with_location),
        ],
        states={
            RESUME: [CallbackQueryHandler(on_resume, pattern=_cb("rs")), buttons_only],
            WHERE: [
                MessageHandler(filters.LOCATION, on_location),
                MessageHandler(TYPED, on_address),
                CallbackQueryHandler(on_place_pick, pattern=_cb("pl")),
            ],
            OUTSIDE: [CallbackQueryHandler(on_outside, pattern=_cb("out")), MessageHandler(filters.LOCATION, on_location),
                      buttons_only],
            STREET: [CallbackQueryHandler(on_street, pattern=_cb("st|zs")), MessageHandler(TYPED, on_street_text)],
            WHAT: [MessageHandler(TYPED, on_description), CallbackQueryHandler(on_item, pattern=_cb("it"))],
            PHOTOS: [
                MessageHandler(filters.PHOTO | filters.Document.ALL, on_photo),
                CallbackQueryHandler(on_photos_done, pattern=_cb("ph")),
                MessageHandler(TYPED, not_a_photo),
            ],
            CONFIRM: [
                CallbackQueryHandler(on_confirm, pattern=_cb("ok")),
                CallbackQueryHandler(on_edit, pattern=_cb("edit")),
                CallbackQueryHandler(on_edit_pick, pattern=_cb("ed")),
                buttons_only,
            ],
            DUPLICATE: [CallbackQueryHandler(on_duplicate, pattern=_cb("dup")), buttons_only],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("case", start, filters=private),
            MessageHandler(filters.Text(MENU_TEXTS), cancel),
            MessageHandler(private & filters.ATTACHMENT, off_step_attachment),
            stale,
        ],
        allow_reentry=True,
        name="case_filing",
    )
    if peers is not None:
        flow.peers = peers
        peers.append(flow)
    return flow


def register(app: Application) -> None:
    """Filing conversation first, then the lifecycle buttons and the lists."""
    app.add_handler(conversation(flows.peers(app)))
    # A form button pressed after a restart (the conversation state lives in memory only).
    app.add_handler(CallbackQueryHandler(_after_restart, pattern=rf"^{FEATURE}:"))
    case_actions.register(app)
    case_lists.register(app)


async def _after_restart(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.CASE_RESUME_HINT, show_alert=True)
