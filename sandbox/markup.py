"""Reply-markup checks (as Telegram makes them) and small readers for tests and the terminal.

Why here: both the emulator (validation) and the driver/terminal (reading buttons) need the
same notion of what a keyboard is, and neither may import the bot's own keyboards module.

Readers:
    inline_buttons(msg) -> list[(text, callback_data or url or "")]   flattened, row by row
    inline_rows(msg)    -> list[list[dict]]                            raw inline rows
    reply_keyboard(msg) -> list[str]                                   reply-keyboard texts
    reply_keyboard_buttons(msg) -> list[dict]                          raw buttons, as dicts
``msg`` may be a driver/emulator ``BotMessage`` (has ``.reply_markup``), a Message dict, or
a reply_markup dict itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100

_INLINE_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "login_url", "web_app", "callback_game", "pay",
    "copy_text",
)  # fmt: skip
_PRIVATE_ONLY_REPLY_BUTTONS = (
    "request_contact", "request_location", "request_poll", "request_users", "request_chat",
    "web_app",
)  # fmt: skip


class MarkupError(ValueError):
    """Invalid reply_markup; ``str(error)`` is the Bot API description without its prefix."""


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise MarkupError("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise MarkupError("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise MarkupError("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise MarkupError("BUTTON_DATA_INVALID")
    if "url" in button:
        parsed = urlparse(str(button["url"]))
        if parsed.scheme not in ("http", "https", "tg") or not (parsed.netloc or parsed.scheme == "tg"):
            raise MarkupError("BUTTON_URL_INVALID")


def _check_reply_button(button: Any, *, private_chat: bool) -> None:
    if isinstance(button, str):
        if not button.strip():
            raise MarkupError("BUTTON_TEXT_INVALID")
        return
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise MarkupError("can't parse keyboard button: KeyboardButton must be a String or an Object")
    if not button["text"].strip():
        raise MarkupError("BUTTON_TEXT_INVALID")
    if not private_chat and any(button.get(name) for name in _PRIVATE_ONLY_REPLY_BUTTONS):
        raise MarkupError("BUTTON_TYPE_INVALID")


def _rows(markup: dict[str, Any], field: str) -> list[list[Any]]:
    rows = markup[field]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise MarkupError(f'field "{field}" must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise MarkupError("reply markup is too long")
    return rows


def validate_reply_markup(markup: Any, *, private_chat: bool, inline_only: bool = False) -> None:
    """Raise MarkupError unless ``markup`` is a reply_markup Telegram would accept here."""
    if not isinstance(markup, dict):
        raise MarkupError("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _check_inline_button(button)
        return
    if inline_only:
        raise MarkupError("inline keyboard expected")
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                _check_reply_button(button, private_chat=private_chat)
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and len(str(placeholder)) > 64:
            raise MarkupError("can't parse reply keyboard markup: input_field_placeholder is too long")
        return
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return
    raise MarkupError("can't parse reply keyboard markup JSON object")


def _markup_of(msg: Any) -> dict[str, Any] | None:
    if msg is None:
        return None
    if isinstance(msg, dict):
        if any(key in msg for key in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")):
            return msg
        markup = msg.get("reply_markup")
    else:
        markup = getattr(msg, "reply_markup", None)
    return markup if isinstance(markup, dict) else None


def inline_rows(msg: Any) -> list[list[dict[str, Any]]]:
    """Rows of inline buttons (raw dicts) of a message; [] when it has none."""
    markup = _markup_of(msg)
    if not markup or "inline_keyboard" not in markup:
        return []
    return [list(row) for row in markup["inline_keyboard"]]


def inline_buttons(msg: Any) -> list[tuple[str, str]]:
    """Inline buttons as (text, callback_data) pairs; url buttons give their url instead."""
    pairs: list[tuple[str, str]] = []
    for row in inline_rows(msg):
        for button in row:
            pairs.append((button["text"], button.get("callback_data") or button.get("url") or ""))
    return pairs


def reply_keyboard_buttons(msg: Any) -> list[dict[str, Any]]:
    """Reply-keyboard buttons as dicts (a plain-string button becomes {"text": ...})."""
    markup = _markup_of(msg)
    if not markup or "keyboard" not in markup:
        return []
    return [button if isinstance(button, dict) else {"text": button} for row in markup["keyboard"] for button in row]


def reply_keyboard(msg: Any) -> list[str]:
    """Texts of the reply-keyboard buttons of a message; [] when it has none."""
    return [button["text"] for button in reply_keyboard_buttons(msg)]
