"""Small helpers shared by the feature handlers: zone text, role checks, safe replies."""

from __future__ import annotations

import functools
import html
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

import texts
from db.models import Role
from handlers import keyboards
from handlers.context import BotContext
from knowledge.streets import ZONES

Handler = Callable[[Update, BotContext], Awaitable[Any]]


def zones_text() -> str:
    lines = [texts.ZONES_TITLE]
    lines += [texts.ZONES_LINE.format(zone=zone, streets="、".join(streets)) for zone, streets in ZONES.items()]
    lines.append(texts.ZONES_NOTE)
    return "\n".join(lines)


async def press_a_button(update: Update, context: object) -> None:
    """Typed text at a step that waits for a button: say so and keep the step (it used to reach lookup)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.PRESS_A_BUTTON)


def typed_text(text: str | None, limit: int, *, nfkc: bool = False) -> str | None:
    """What a user typed, stripped (optionally NFKC: full-width to half-width); None when empty or
    longer than `limit`, so the step can ask again."""
    value = (unicodedata.normalize("NFKC", text or "") if nfkc else (text or "")).strip()
    return value if value and len(value) <= limit else None


def esc(value: object) -> str:
    """HTML-escape anything a user typed before it goes into a message."""
    return html.escape(str(value), quote=False)


async def refuse(update: Update, text: str = texts.NO_PERMISSION) -> None:
    """Answer a refused command or button press the way the user will notice it."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def requires(*roles: Role) -> Callable[[Handler], Handler]:
    """Refuse (无权限) unless the guard's actor has one of `roles` (admins always pass)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: BotContext) -> Any:
            actor = context.actor
            if actor is None or not actor.has(*roles):
                message = update.message
                if actor is not None and message is not None and message.text in keyboards.MENU_TEXTS:
                    # a button of a menu the role no longer has (kept on the phone since a role change
                    # or an update): refuse and put the role's current menu in its place
                    await message.reply_text(texts.NO_PERMISSION, reply_markup=keyboards.main_menu(actor.role))
                else:
                    await refuse(update)
                return None
            return await handler(update, context)

        return wrapper

    return decorate


class Refusal(Exception):
    """Raised inside a database session to refuse; the caller answers after the session closed.

    Telegram must never be awaited while a session is open (on SQLite the session holds the
    write lock, and the next update would block the event loop waiting for it).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


TEXT_LIMIT = 4096
CLIPPED = "……（内容过长，其余未显示）"


def clip(text: str, limit: int = TEXT_LIMIT - 96) -> str:
    """Keep whole lines up to Telegram's length limit (lists of names, decisions, disputes grow).

    Cutting only between lines never splits an HTML tag or entity (our tags close on their line).
    """
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > limit - len(CLIPPED):
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) + "\n" + CLIPPED


def escaped_pieces(head: str, raw: str, limit: int = TEXT_LIMIT - 96) -> list[str]:
    """`head` (HTML) followed by `raw` (plain text, escaped here) in messages of at most `limit`
    characters. The plain text is cut before escaping, so a cut never lands inside an `&lt;`
    (Telegram refuses such a message); cuts fall after a newline or 。 where one is near."""
    pieces: list[str] = []
    prefix, start = head, 0  # the head goes on the first piece only
    while True:
        room, end = limit - len(prefix), start
        while end < len(raw) and room >= len(esc(raw[end])):
            room -= len(esc(raw[end]))
            end += 1
        if end < len(raw):  # back up to a line or sentence end in the last quarter, if there is one
            soft = max(raw.rfind("\n", start, end), raw.rfind("。", start, end))
            if soft >= start and soft + 1 - start >= (end - start) * 3 // 4:
                end = soft + 1
        if end == start and not prefix and end < len(raw):
            end += 1  # a limit below one escaped character: never loop forever
        piece = prefix + esc(raw[start:end])
        if piece:
            pieces.append(piece)
        prefix, start = "", end
        if start >= len(raw):
            return pieces


def name_list(names: list[str], *, most: int = 40, empty: str = "—") -> str:
    """「甲、乙、丙 等 N 人」: long rosters must not push a board past Telegram's limit."""
    shown = "、".join(esc(n) for n in names[:most]) or empty
    return shown + (f" 等 {len(names)} 人" if len(names) > most else "")
