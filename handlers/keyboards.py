"""Reply keyboards: the Chinese main menu depends on the role."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup
from telegram.ext import filters

import texts
from db.models import Role

MENU_TEXTS = [texts.MENU_LOOKUP, texts.MENU_CASE, texts.MENU_MYCASES, texts.MENU_AGENDA, texts.MENU_DISPATCH,
              texts.MENU_MEETING, texts.MENU_STATS, texts.MENU_CASES, texts.MENU_HELP]
# Free text a conversation step may take: not a command, and not a tap on the main menu (a tap
# means the user wants to go elsewhere, never "the place is 📅 我的日程").
TYPED = filters.TEXT & ~filters.COMMAND & ~filters.Text(MENU_TEXTS)
MENU_TAP = filters.Text(MENU_TEXTS)


def main_menu(role: Role) -> ReplyKeyboardMarkup:
    rows = [[texts.MENU_LOOKUP, texts.MENU_CASE], [texts.MENU_MYCASES, texts.MENU_AGENDA]]
    if role in (Role.COORDINATOR, Role.ADMIN):
        rows.append([texts.MENU_DISPATCH, texts.MENU_MEETING])
        rows.append([texts.MENU_CASES, texts.MENU_STATS])
        rows.append([texts.MENU_HELP])
    elif role == Role.LEGAL:  # meetings are managed by coordinators; a reviewer's own are in 我的日程
        rows.append([texts.MENU_CASES, texts.MENU_HELP])
    else:
        rows.append([texts.MENU_HELP])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def share_contact() -> ReplyKeyboardMarkup:
    button = KeyboardButton(texts.SHARE_CONTACT_BUTTON, request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
