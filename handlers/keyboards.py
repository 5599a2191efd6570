"""Reply keyboards: the Chinese main menu depends on the role."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

import texts
from db.models import Role


def main_menu(role: Role) -> ReplyKeyboardMarkup:
    rows = [[texts.MENU_LOOKUP, texts.MENU_CASE], [texts.MENU_MYCASES, texts.MENU_AGENDA]]
    if role in (Role.COORDINATOR, Role.ADMIN):
        rows.append([texts.MENU_DISPATCH, texts.MENU_MEETING])
        rows.append([texts.MENU_CASES, texts.MENU_STATS])
    elif role == Role.LEGAL:
        rows.append([texts.MENU_CASES, texts.MENU_MEETING])
    rows.append([texts.MENU_HELP])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def share_contact() -> ReplyKeyboardMarkup:
    button = KeyboardButton(texts.SHARE_CONTACT_BUTTON, request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
