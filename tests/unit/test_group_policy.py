"""Issue 13 item 4, the rule itself: in a group only what is meant for groups passes; every other
command, menu word or button is 'private' (answered 「请私聊机器人使用此功能」), and chatter,
other bots' commands and member changes are ignored. New commands are private by default."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

import texts
from handlers.guard import TurnAwayLimit, _outside_private, group_verdict

GROUP = {"id": -100123, "type": "supergroup", "title": "工作群"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "甲"}
USER = {"id": 1001, "is_bot": False, "first_name": "甲"}


def message(text: str | None, chat: dict[str, Any] = GROUP, **extra: Any) -> Update:
    body: dict[str, Any] = {"message_id": 1, "date": 0, "chat": chat, "from": USER, **extra}
    if text is not None:
        body["text"] = text
    return Update.de_json({"update_id": 1, "message": body}, None)


def button(data: str, chat: dict[str, Any] | None = GROUP) -> Update:
    query: dict[str, Any] = {"id": "q", "from": USER, "chat_instance": "c", "data": data}
    if chat is not None:
        query["message"] = {"message_id": 5, "date": 0, "chat": chat}
    else:
        query["inline_message_id"] = "inline-1"
    return Update.de_json({"update_id": 2, "callback_query": query}, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("/zones", "pass"), ("/lookup 占道", "pass"), ("/start", "pass"), ("/zones@lc_enforce_bot", "pass"),
    ("/export", "private"), ("/stats", "private"), ("/audit XS-1", "private"), ("/invite 13900000010", "private"),
    ("/dispatch", "private"), ("/meeting", "private"), ("/agenda", "private"), ("/plans", "private"),
    ("/export@lc_enforce_bot", "private"), ("/brand_new_command", "private"), (texts.MENU_STATS, "private"),
    ("/export@OtherBot", "ignore"), ("大家好", "ignore"), (None, "ignore"),
])
def test_group_messages(text: str | None, expected: str) -> None:
    update = message(text)
    assert _outside_private(update)
    assert group_verdict(update, "lc_enforce_bot") == expected


def test_group_locations_and_contacts_are_ignored() -> None:
    located = message(None, location={"latitude": 24.9, "longitude": 118.6})
    assert group_verdict(located, "lc_enforce_bot") == "ignore"


@pytest.mark.parametrize(("data", "expected"), [("lk:pick:1:0.1", "pass"), ("dsb:ok:1:1", "private"),
                                                ("imp:ok:abcd", "private"), ("xyz:any", "private"), ("", "private")])
def test_group_buttons(data: str, expected: str) -> None:
    assert group_verdict(button(data), "lc_enforce_bot") == expected


def test_private_chats_and_inline_messages() -> None:
    assert not _outside_private(message("/export", PRIVATE))
    assert not _outside_private(button("dsb:ok:1:1", PRIVATE))
    assert _outside_private(button("dsb:ok:1:1", None))  # a button on an inline-mode message: some other chat


def test_turn_away_limit_allows_three_a_minute_per_stranger_and_forgets_the_quiet() -> None:
    limit = TurnAwayLimit(most=3, window=60.0, max_users=2)
    assert [limit.allow(7, now=t) for t in (0.0, 1.0, 2.0, 3.0)] == [True, True, True, False]
    assert limit.allow(8, now=3.0)  # another stranger has their own count
    assert not limit.allow(7, now=59.0)
    assert limit.allow(7, now=60.5)  # the first refusal left the window
    assert not limit.allow(9, now=61.0)  # full of strangers still within their window: bounded memory
    assert limit.allow(9, now=200.0)  # the quiet ones are forgotten
