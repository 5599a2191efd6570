"""Plays Telegram users against the emulator and reads what they received.

Why: end-to-end tests should read like a conversation ("the officer presses 收到 and sees
已收到") while the bot runs as its own process over real HTTP. Each action queues a
real-shaped Update in the emulator; the bot picks it up with getUpdates (or the emulator
POSTs it to the webhook). Messages sent while the bot is down simply wait in the queue.

    driver = Driver(emu)
    officer = driver.user(1001, "张", "三", username="zhangsan", phone="+8613800000001")
    await officer.send_command("/start")
    reply = await officer.wait_for_text("绑定")
    await officer.share_contact()                 # own phone and id; user_id=None forges
    answer = await officer.press("收到")           # CallbackAnswer | None
    await officer.expect_silence(0.3)

Actions (all async, return the sent Message dict unless said otherwise):
    send_text(text, date=None, chat=None)   "/cmd ..." gets a bot_command entity; ``date``
                                            (aware datetime or unix int) fakes an old message
    send_command("/start", args="")
    share_contact(phone=None, user_id=<own id>, first_name=None)
    send_location(lat, lon, horizontal_accuracy=None)
    send_live_location(lat, lon, live_period=900) / edit_live_location(message, lat, lon)
                                            (the edit arrives as an ``edited_message`` update)
    send_photo(data, caption=None, media_group_id=None)
    send_document(data, file_name, mime_type, caption=None)
    press(text_or_data, message=None, answer_timeout=5.0) -> CallbackAnswer | None
    press_forged(callback_data, message_id, answer_timeout=1.0) -> CallbackAnswer | None
    inline_query(query, timeout=5.0) -> list[dict]     (raises AssertionError if unanswered)
``chat=driver.group(...)`` on send_text/send_command/send_location/send_photo sends in a group.

Reading (private chat, or ``group.*`` for a group):
    messages -> list[BotMessage] (current state, in order), last -> BotMessage | None
    await wait_for(predicate, timeout=5.0) / wait_for_text(substring, timeout=5.0)
        -> the first bot message sent or edited AFTER this user's last action that matches
           (AssertionError with what did arrive on timeout)
    await expect_silence(seconds=0.5)   nothing new after the last action / last wait result
    keyboard -> list[str]   reply keyboard the client currently shows
Helpers re-exported: inline_buttons(msg), reply_keyboard(msg).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sandbox.emulator import BotApiEmulator, ChatState
from sandbox.markup import inline_buttons, inline_rows, reply_keyboard
from sandbox.records import BotMessage, CallbackAnswer

__all__ = ["Driver", "Group", "User", "inline_buttons", "reply_keyboard"]

Predicate = Callable[[BotMessage], bool]


class _ChatView:
    """Reading side shared by private chats and groups: events after a mark."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int):
        self._emu = emulator
        self.chat_id = chat_id
        self._mark = emulator.seq  # changes up to here are "before the last action"
        self._seen = emulator.seq  # last change handed out by wait_for

    @property
    def messages(self) -> list[BotMessage]:
        return self._emu.messages(self.chat_id)

    @property
    def last(self) -> BotMessage | None:
        found = self.messages
        return found[-1] if found else None

    @property
    def keyboard(self) -> list[str]:
        state = self._emu.chat_state(self.chat_id)
        return reply_keyboard(state.reply_keyboard) if state and state.reply_keyboard else []

    def _mark_action(self) -> None:
        self._mark = self._seen = self._emu.seq

    def _changes_since(self, seq: int) -> list[tuple[int, BotMessage]]:
        """(seq, message) for each send/edit in this chat after ``seq``, oldest first."""
        found: list[tuple[int, BotMessage]] = []
        for event in self._emu.events[seq:]:
            if event.chat_id != self.chat_id or event.kind not in ("sent", "edited"):
                continue
            message = self._emu.message(self.chat_id, event.message_id or 0)
            if message is not None and not message.deleted:
                found.append((event.seq, message))
        return found

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> BotMessage:
        """First message sent or edited after the last action that matches ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for seq, message in self._changes_since(self._mark):
                if predicate(message):
                    self._seen = max(self._seen, seq)
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                arrived = [m.text for _, m in self._changes_since(self._mark)]
                raise AssertionError(
                    f"no matching message in chat {self.chat_id} within {timeout}s; arrived: {arrived!r}"
                )
            await self._emu.wait_change(remaining)

    async def wait_for_text(self, substring: str, timeout: float = 5.0) -> BotMessage:
        """First message (sent or edited after the last action) whose text contains ``substring``."""
        return await self.wait_for(lambda message: substring in message.text, timeout)

    async def expect_silence(self, seconds: float = 0.5) -> None:
        """Assert that nothing new arrives, counting from the last action or wait result."""
        since = max(self._mark, self._seen)
        await asyncio.sleep(seconds)
        arrived = self._changes_since(since)
        if arrived:
            texts = [message.text for _, message in arrived]
            raise AssertionError(f"expected silence in chat {self.chat_id}, got {texts!r}")


class Group(_ChatView):
    """A group chat the bot is in; users send into it with ``chat=group``."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int, title: str):
        super().__init__(emulator, chat_id)
        self.title = title
        self.state: ChatState = emulator.register_group(chat_id, title)


class User(_ChatView):
    """One Telegram user; reading methods look at their private chat with the bot."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        language_code: str = "zh-hans",
    ):
        super().__init__(emulator, user_id)
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.phone = phone
        self.json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.json["last_name"] = last_name
        if username:
            self.json["username"] = username
        self.json["language_code"] = language_code

    # ------------------------------------------------------------------ sending
    def _send(self, content: dict[str, Any], *, date: Any = None, chat: Group | None = None) -> dict[str, Any]:
        if chat is None:
            self._emu.register_user(self.json)  # the private chat exists once the user writes
        else:
            self._emu.users[self.user_id] = self.json
        chat_id = chat.chat_id if chat is not None else self.user_id
        self._mark_action()
        if chat is not None:
            chat._mark_action()
        return self._emu.add_user_message(chat_id, self.json, content, date=date)

    async def send_text(self, text: str, date: Any = None, chat: Group | None = None) -> dict[str, Any]:
        return self._send(_text_content(text), date=date, chat=chat)

    async def send_command(self, command: str, args: str = "", chat: Group | None = None) -> dict[str, Any]:
        text = command if command.startswith("/") else f"/{command}"
        return await self.send_text(f"{text} {args}".rstrip(), chat=chat)

    async def share_contact(
        self, phone: str | None = None, user_id: int | None | object = ..., first_name: str | None = None
    ) -> dict[str, Any]:
        """Share a contact card: by default one's own (phone, user_id); ``user_id=None`` forges."""
        number = phone or self.phone
        if not number:
            raise ValueError("no phone: pass phone= or give the user one")
        contact: dict[str, Any] = {"phone_number": number, "first_name": first_name or self.first_name}
        if self.last_name and first_name is None:
            contact["last_name"] = self.last_name
        owner = self.user_id if user_id is ... else user_id
        if owner is not None:
            contact["user_id"] = owner
        return self._send({"contact": contact})

    async def send_location(
        self, lat: float, lon: float, horizontal_accuracy: float | None = None, chat: Group | None = None
    ) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": lat, "longitude": lon}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return self._send({"location": location}, chat=chat)

    async def send_venue(self, lat: float, lon: float, title: str, address: str = "") -> dict[str, Any]:
        """A place picked from the map: Telegram sends it with both ``venue`` and ``location``."""
        location = {"latitude": lat, "longitude": lon}
        return self._send({"venue": {"location": location, "title": title, "address": address}, "location": location})

    async def send_live_location(
        self, lat: float, lon: float, live_period: int = 900, horizontal_accuracy: float | None = None
    ) -> dict[str, Any]:
        """Start sharing a live location (a location message with ``live_period``)."""
        location: dict[str, Any] = {"latitude": lat, "longitude": lon, "live_period": live_period}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return self._send({"location": location})

    async def edit_live_location(self, message: dict[str, Any], lat: float, lon: float) -> dict[str, Any]:
        """The client moving a shared live location: an ``edited_message`` update of ``message``."""
        self._emu.register_user(self.json)
        self._mark_action()
        edited = {**message, "location": {**message["location"], "latitude": lat, "longitude": lon},
                  "edit_date": int(time.time())}
        self._emu.enqueue_update({"edited_message": edited})
        return edited

    async def edit_text(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user editing a text they sent: an ``edited_message`` update of ``message``."""
        self._emu.register_user(self.json)
        self._mark_action()
        edited = {key: value for key, value in message.items() if key != "entities"}
        edited.update(_text_content(text), edit_date=int(time.time()))
        self._emu.enqueue_update({"edited_message": edited})
        return edited

    async def send_photo(
        self, data: bytes, caption: str | None = None, media_group_id: str | None = None, chat: Group | None = None
    ) -> dict[str, Any]:
        stored = self._emu.store_file(data, kind="photo", mime_type="image/jpeg")
        content: dict[str, Any] = {"photo": self._emu.photo_sizes_for(stored.file_id)}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._send(content, chat=chat)

    async def send_document(
        self, data: bytes, file_name: str, mime_type: str, caption: str | None = None
    ) -> dict[str, Any]:
        stored = self._emu.store_file(data, kind="document", mime_type=mime_type, file_name=file_name)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._send(content)

    # ------------------------------------------------------------------ buttons and inline
    def find_button(
        self, text_or_data: str, message: BotMessage | int | None = None
    ) -> tuple[BotMessage, dict[str, Any]]:
        """The newest message with an inline button whose text or callback_data matches."""
        if message is not None:
            message_id = message if isinstance(message, int) else message.message_id
            candidates = [m for m in self.messages if m.message_id == message_id]
        else:
            candidates = list(reversed(self.messages))
        for candidate in candidates:
            for row in inline_rows(candidate):
                for button in row:
                    if text_or_data in (button.get("text"), button.get("callback_data")):
                        return candidate, button
        raise LookupError(f"no inline button {text_or_data!r} in chat {self.chat_id}")

    async def press(
        self, text_or_data: str, message: BotMessage | int | None = None, answer_timeout: float = 5.0
    ) -> CallbackAnswer | None:
        """Press an inline button; returns the bot's answerCallbackQuery (None if none came)."""
        found, button = self.find_button(text_or_data, message)
        if "callback_data" not in button:
            raise LookupError(f"button {text_or_data!r} has no callback_data (url or other kind)")
        return await self._callback(button["callback_data"], found.raw, answer_timeout)

    async def press_forged(
        self, callback_data: str, message_id: int, answer_timeout: float = 1.0
    ) -> CallbackAnswer | None:
        """Send a callback query a tampered client could send: any data, any message id."""
        existing = self._emu.message(self.user_id, message_id)
        if existing is not None and not existing.deleted:
            raw = existing.raw
        else:  # Telegram marks a message it cannot show with date 0 (InaccessibleMessage)
            state = self._emu.register_user(self.json)
            raw = {"message_id": message_id, "chat": state.chat, "date": 0}
        return await self._callback(callback_data, raw, answer_timeout)

    async def _callback(self, data: str, message: dict[str, Any], answer_timeout: float) -> CallbackAnswer | None:
        self._emu.register_user(self.json)
        query_id = self._emu.new_query_id("callback", self.user_id)
        self._mark_action()
        self._emu.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.json,
                    "message": message,
                    "chat_instance": f"-{abs(hash((self.user_id, message['chat']['id']))) % 10**18}",
                    "data": data,
                }
            }
        )
        deadline = time.monotonic() + answer_timeout
        while query_id not in self._emu.callback_answers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await self._emu.wait_change(remaining)
        return self._emu.callback_answers[query_id]

    async def inline_query(self, query: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Type ``@bot query``; returns the results the bot answered ([] if it answered none)."""
        self._emu.register_user(self.json)
        query_id = self._emu.new_query_id("inline", self.user_id)
        self._mark_action()
        self._emu.enqueue_update(
            {
                "inline_query": {
                    "id": query_id,
                    "from": self.json,
                    "query": query,
                    "offset": "",
                    "chat_type": "sender",
                }
            }
        )
        deadline = time.monotonic() + timeout
        while query_id not in self._emu.inline_answers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the bot did not answer inline query {query!r} within {timeout}s")
            await self._emu.wait_change(remaining)
        return self._emu.inline_answers[query_id]


class Driver:
    """Factory for users and groups bound to one emulator."""

    def __init__(self, emulator: BotApiEmulator):
        self.emulator = emulator
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
    ) -> User:
        """The user with this id (made on first call; the bot sees them once they write)."""
        if user_id not in self.users:
            self.users[user_id] = User(self.emulator, user_id, first_name, last_name, username, phone)
        return self.users[user_id]

    def group(self, chat_id: int, title: str) -> Group:
        """A group chat (negative id) that the bot is a member of."""
        if chat_id not in self.groups:
            self.groups[chat_id] = Group(self.emulator, chat_id, title)
        return self.groups[chat_id]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _text_content(text: str) -> dict[str, Any]:
    """A text message as a client sends it: a leading /command carries its bot_command entity."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0] if text.strip() else text
        content["entities"] = [{"offset": 0, "length": _utf16_len(command), "type": "bot_command"}]
    return content
