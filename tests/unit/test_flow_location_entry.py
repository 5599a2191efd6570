"""handlers/flows.py: a location starts /case unless a flow waits for the user's answer. The
/meeting list only shows meetings with buttons (a passive step): it waits for nothing, so a
location sent after looking at it starts /case instead of getting 「不支持」."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import flows

LIST, PLACE = "list", "place"


async def _noop(*_: Any) -> None:
    return None


def location_update() -> Update:
    return Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "u"}, "location": {"latitude": 24.9, "longitude": 118.6}}}, None)


def meeting_like() -> flows.Flow:
    return flows.Flow(
        entry_points=[CommandHandler("meeting", _noop)],
        states={LIST: [MessageHandler(filters.TEXT, _noop)], PLACE: [MessageHandler(filters.LOCATION, _noop)]},
        fallbacks=[CommandHandler("cancel", _noop), CallbackQueryHandler(_noop, pattern="^mt:ab")],
        passive_states=(LIST,), leave=filters.COMMAND, name="meetings-test",
    )


def test_a_location_after_the_meeting_list_starts_a_case_but_not_at_a_place_step() -> None:
    meeting = meeting_like()
    peers = [meeting]
    entry = flows.LocationEntry(peers, filters.ChatType.PRIVATE & filters.LOCATION, _noop)
    update = location_update()
    key = meeting._get_key(update)  # noqa: SLF001
    assert entry.check_update(update)  # no flow at all
    meeting._conversations[key] = LIST  # noqa: SLF001 - the user looked at /meeting
    assert entry.check_update(update)  # the list waits for nothing: /case starts
    meeting._conversations[key] = PLACE  # noqa: SLF001 - the meeting's place step asked for a location
    assert not entry.check_update(update)
    assert meeting.check_update(update) is not None  # ... and the step gets it
