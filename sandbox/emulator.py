"""A local Telegram Bot API server for end-to-end tests and demo mode (aiohttp, loopback).

Why: the bot must be tested over real HTTP with PTB's real request stack, so that
Telegram's validation and failures (400/403/409/429/5xx, dropped connections) reach the
bot as PTB's real exceptions. Nothing here imports the bot's own packages.

Start and point a bot at it::

    emu = BotApiEmulator(bot_username="lc_enforce_bot")
    await emu.start(host="127.0.0.1", port=0)      # emu.port, emu.base_url, emu.base_file_url
    app = (ApplicationBuilder().token("123456:TEST")
           .base_url(emu.base_url).base_file_url(emu.base_file_url).build())
    ...
    await emu.stop()                              # or: async with BotApiEmulator() as emu:

Standalone: ``python -m sandbox.emulator --port 8081``.

HTTP surface (as Telegram): ``/bot{token}/{method}`` by GET or POST (query string, JSON,
urlencoded or multipart with files; JSON-encoded fields inside forms are decoded; method
names are case-insensitive) and ``/file/bot{token}/{file_path}`` for downloads. Answers are
``{"ok":true,"result":...}`` or ``{"ok":false,"error_code":N,"description":...,
"parameters":{...}}`` with the same HTTP status. A malformed token or unknown method gives
404 "Not Found"; with ``emu.valid_tokens`` set, other well-formed tokens get 401. The bot's
id is the token's part before ':'. One bot per emulator (all tokens share one state).

Methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands,
getMyCommands, deleteMyCommands, setChatMenuButton, getChatMenuButton, getChat, sendMessage,
editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage, sendLocation,
sendPhoto, sendDocument, sendChatAction, answerCallbackQuery, answerInlineQuery, getFile,
close, logOut.

Semantics worth knowing:

* getUpdates: ``offset`` confirms every update below it (negative: keep the last -offset),
  ``limit`` 1-100, ``timeout`` long-polls. A newer getUpdates ends a waiting one with 409
  "Conflict: terminated by other getUpdates request; ...". While a webhook is set,
  getUpdates answers 409 and each update is POSTed to the webhook URL (header
  ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set; http:// is allowed here),
  one at a time, retried every ``webhook_retry_delay`` s until a 2xx; every attempt is in
  ``emu.webhook_deliveries``. Updates stay queued while nobody polls (bot down).
* Validation as Telegram: text 1-4096 characters after entity parsing, caption <= 1024,
  HTML parse mode (see ``sandbox.telegram_html``; ``emu.strict_html`` also rejects a bare
  ``&``), reply markup shape, callback_data 1-64 bytes, request_contact/location buttons
  only in private chats, edits (not found / not modified / no text), unknown chat ("chat
  not found": a chat no driven user ever wrote in), blocked users (403), callback query ids
  (unknown, answered twice or older than ``callback_query_ttl`` s), inline results (<= 50,
  unique ids). editMessageText without reply_markup removes the inline keyboard, as on
  Telegram. Markdown parse modes are accepted without entity parsing; inline_message_id
  edits are not supported.
* Faults: ``emu.faults`` (``sandbox.records.Faults``; ``Faults.telegram_like()`` gives the
  documented limits), ``emu.fail_next(method, error_code, description="", retry_after=None,
  chat_id=None, skip=0, times=1)`` for a planned failure on the (skip+1)-th matching call
  (error_code 0 drops the connection), ``emu.reset_faults(faults=None)`` and
  ``emu.clear_flood_state()`` between test phases, ``emu.requeue_confirmed(n)`` to make
  Telegram re-deliver the last n confirmed updates with their ids.
* Latency is added after the request is applied: a client that times out has still
  sent its message (the ambiguity real timeouts have).

Records for assertions: ``emu.messages(chat_id)`` (BotMessage list, current state),
``emu.sent_log`` (SentRecord per accepted send/edit), ``emu.stats`` (429/5xx/abort counters,
requests per method), ``emu.chat_actions``, ``emu.commands``, ``emu.menu_buttons``,
``emu.callback_answers``, ``emu.inline_answers``, ``emu.files``, ``emu.events``.
Driver-side entry points: ``register_user``, ``register_group``, ``add_user_message``,
``enqueue_update``, ``store_file``, ``new_query_id``, ``pending_updates``, ``seq`` and
``await wait_change(timeout)`` (True when a recorded change happened; long polls do not count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
import re
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.markup import MarkupError, validate_reply_markup
from sandbox.records import (
    BotMessage,
    CallbackAnswer,
    ChangeEvent,
    Faults,
    ScheduledFault,
    SentRecord,
    Stats,
    StoredFile,
    WebhookDelivery,
    to_unix,
    utc_now,
)
from sandbox.telegram_html import EntityParseError, parse_html, strip_text

__all__ = ["ApiError", "BotApiEmulator", "Faults", "ScheduledFault"]

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_INLINE_RESULTS = 50
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_TOKEN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "results", "commands", "scope",
        "menu_button", "allowed_updates", "reply_parameters", "link_preview_options", "button",
    }
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_UPDATE_KINDS = (
    "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
    "chosen_inline_result", "callback_query", "my_chat_member", "chat_member",
)  # fmt: skip


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, Telegram's description."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _DropConnection(Exception):
    """Raised to answer a request with a dropped connection instead of HTTP."""


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class ChatState:
    """One chat: its JSON, message-id counter (shared by both sides, as in Telegram)."""

    chat: dict[str, Any]
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard the client shows now

    @property
    def private(self) -> bool:
        return self.chat.get("type") == "private"


@dataclass
class _QueryState:
    created: float
    user_id: int
    answered: bool = False


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Params:
    """Typed access to request parameters, raising Telegram's 400s."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def integer(self, name: str, default: int | None = None, *, required: str | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            if required:
                raise bad_request(required)
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float | None = None) -> float | None:
        value = self.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)


class BotApiEmulator:
    """A fake Telegram Bot API server; see the module docstring for the whole surface."""

    def __init__(
        self,
        bot_username: str = "lc_enforce_bot",
        bot_first_name: str = "片区联合执法助手",
        *,
        faults: Faults | None = None,
        strict_html: bool = True,
    ):
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id: int = 0  # taken from the token of the first request
        self.faults = faults or Faults()
        self.strict_html = strict_html
        self.valid_tokens: set[str] | None = None
        self.callback_query_ttl = 15.0
        self.webhook_retry_delay = 0.5
        self.port: int = 0
        self.host = "127.0.0.1"

        self.stats = Stats()
        self.sent_log: list[SentRecord] = []
        self.events: list[ChangeEvent] = []
        self.chat_actions: list[tuple[int, str, float]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.inline_answers: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, StoredFile] = {}
        self.webhook = Webhook()
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.scheduled_faults: list[ScheduledFault] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.confirmed_updates: list[dict[str, Any]] = []

        self._chats: dict[int, ChatState] = {}
        self._photo_cache: dict[str, list[dict[str, Any]]] = {}
        self._updates: list[dict[str, Any]] = []
        # Like Telegram, ids keep growing across restarts of the server: a bot that remembers the
        # ids it handled (to drop re-deliveries) must not see a fresh emulator reuse them.
        self._next_update_id = int(time.time() * 1000) % 2_000_000_000
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._seq = 0
        self._changed = asyncio.Event()
        self._stopping = False
        self._callback_queries: dict[str, _QueryState] = {}
        self._inline_queries: dict[str, _QueryState] = {}
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._global_blocked_until = 0.0
        self._chat_blocked_until: dict[int, float] = {}
        self._rng = random.Random()
        self._rng_seed: int | None = None
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Callable[[_Params], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
                "setMyCommands", "getMyCommands", "deleteMyCommands", "setChatMenuButton",
                "getChatMenuButton", "getChat", "sendMessage", "editMessageText",
                "editMessageCaption", "editMessageReplyMarkup", "deleteMessage", "sendLocation",
                "sendPhoto", "sendDocument", "sendChatAction", "answerCallbackQuery",
                "answerInlineQuery", "getFile", "close", "logOut",
            )
        }  # fmt: skip

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port, read it from ``emu.port``)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = int(self._runner.addresses[0][1])
        self._stopping = False
        self._client = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def stop(self) -> None:
        """Stop serving; waiting long polls return at once."""
        self._stopping = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ change notification
    @property
    def seq(self) -> int:
        """Counter of changes so far; driven users remember it at each action."""
        return self._seq

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _record_event(
        self, kind: str, chat_id: int | None, message_id: int | None = None, query_id: str | None = None
    ) -> int:
        self._seq += 1
        self.events.append(ChangeEvent(self._seq, kind, chat_id, message_id, query_id))
        self._notify()
        return self._seq

    async def _wait_signal(self, timeout: float) -> None:
        """Wait for any internal wake-up (a change, a new poll, a webhook change, stop)."""
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), max(timeout, 0))

    async def wait_change(self, timeout: float) -> bool:
        """Wait until a recorded change (message, update, answer) happens; False on timeout."""
        start = self._seq
        deadline = time.monotonic() + timeout
        while self._seq == start:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping:
                return False
            await self._wait_signal(remaining)
        return True

    # ------------------------------------------------------------------ driver-facing state
    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id or 1,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def register_user(self, user: dict[str, Any]) -> ChatState:
        """Remember a user and open their private chat (as when they first write)."""
        self.users[int(user["id"])] = user
        chat_id = int(user["id"])
        if chat_id not in self._chats:
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            self._chats[chat_id] = ChatState(chat=chat)
        return self._chats[chat_id]

    def register_group(self, chat_id: int, title: str, *, supergroup: bool = False) -> ChatState:
        """Make a group the bot is a member of (its id must be negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self._chats:
            chat_type = "supergroup" if supergroup else "group"
            self._chats[chat_id] = ChatState(chat={"id": chat_id, "title": title, "type": chat_type})
        return self._chats[chat_id]

    def chat_state(self, chat_id: int) -> ChatState | None:
        return self._chats.get(chat_id)

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, in order, in their current state."""
        state = self._chats.get(chat_id)
        if state is None:
            return []
        found = sorted(state.bot_messages.values(), key=lambda m: m.message_id)
        return [m for m in found if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        state = self._chats.get(chat_id)
        return None if state is None else state.bot_messages.get(message_id)

    def add_user_message(
        self, chat_id: int, from_user: dict[str, Any], content: dict[str, Any], *, date: Any = None
    ) -> dict[str, Any]:
        """Store a message a user wrote and queue it as a ``message`` update; returns it."""
        state = self._chats[chat_id]
        message = {
            "message_id": state.next_message_id,
            "from": from_user,
            "chat": state.chat,
            "date": to_unix(date),
            **content,
        }
        state.next_message_id += 1
        state.user_messages[message["message_id"]] = message
        keyboard = state.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard"):
            state.reply_keyboard = None
        self.enqueue_update({"message": message})
        return message

    def enqueue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (``payload`` is e.g. {"callback_query": {...}}); returns it."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._record_event("update", None)
        return update

    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def requeue_confirmed(self, count: int) -> None:
        """Put the last ``count`` confirmed updates back, same ids: Telegram re-delivering."""
        again = self.confirmed_updates[-count:] if count else []
        ids = {u["update_id"] for u in self._updates}
        self._updates = sorted(
            [u for u in again if u["update_id"] not in ids] + self._updates, key=lambda u: u["update_id"]
        )
        self._notify()

    def new_query_id(self, kind: str, user_id: int) -> str:
        """A fresh callback/inline query id the bot may answer once."""
        query_id = str(next(self._query_ids))
        registry = self._callback_queries if kind == "callback" else self._inline_queries
        registry[query_id] = _QueryState(created=time.monotonic(), user_id=user_id)
        return query_id

    def store_file(
        self, data: bytes, *, kind: str, mime_type: str | None = None, file_name: str | None = None
    ) -> StoredFile:
        """Keep bytes and give them a file_id, as Telegram does on upload."""
        number = next(self._file_ids)
        folder, ext = ("photos", "jpg") if kind == "photo" else ("documents", _extension(file_name))
        stored = StoredFile(
            file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}AgUAAxkBAAI{number:06d}{kind[:3]}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}.{ext}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self.files[stored.file_id] = stored
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        """PhotoSize list for stored bytes: smaller previews then the original, one file each."""
        width, height = _image_size(stored.data)
        sizes: list[dict[str, Any]] = []
        for limit in (90, 320, 800):
            if max(width, height) <= limit:
                break
            scale = limit / max(width, height)
            preview = self.store_file(stored.data, kind="photo", mime_type=stored.mime_type)
            sizes.append(_photo_size(preview, round(width * scale), round(height * scale)))
        sizes.append(_photo_size(stored, width, height))
        return sizes

    # ------------------------------------------------------------------ HTTP
    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.stats.requests[method] += 1
        try:
            if self.faults.network_down:
                raise _DropConnection
            token = request.match_info["token"]
            match = _TOKEN.match(token)
            if match is None:
                raise ApiError(404, "Not Found")
            if self.valid_tokens is not None and token not in self.valid_tokens:
                raise ApiError(401, "Unauthorized")
            self.bot_id = int(match.group(1))
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            params = _Params(await _read_params(request))
            self._apply_scheduled_fault(method, params)
            if _is_sending(method):
                self._maybe_random_5xx()
            result = await handler(params)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except _DropConnection:
            self.stats.network_aborts += 1
            return _drop(request)
        except ApiError as error:
            body, status = error.body(), error.error_code
            self.stats.errors[status] += 1
            if status == 429:
                self.stats.answered_429 += 1
            elif status >= 500:
                self.stats.answered_5xx += 1
        if self.faults.latency and method.lower() != "getupdates":
            await asyncio.sleep(self.faults.latency)
        return web.json_response(body, status=status, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.faults.network_down:
            self.stats.network_aborts += 1
            return _drop(request)
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ------------------------------------------------------------------ faults
    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str = "",
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        skip: int = 0,
        times: int = 1,
    ) -> ScheduledFault:
        """Plan a failure of the (skip+1)-th matching call; 0 as error_code drops the connection."""
        fault = ScheduledFault(method.lower(), error_code, description, retry_after, chat_id, skip, times)
        self.scheduled_faults.append(fault)
        return fault

    def _apply_scheduled_fault(self, method: str, params: _Params) -> None:
        for fault in list(self.scheduled_faults):
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and params.integer("chat_id") != fault.chat_id:
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.scheduled_faults.remove(fault)
            if fault.error_code == 0:
                raise _DropConnection
            if fault.error_code == 429:
                retry_after = max(1, fault.retry_after or 1)
                chat_id = params.integer("chat_id")
                if chat_id is not None:
                    self._chat_blocked_until[chat_id] = time.monotonic() + retry_after
                raise _too_many(retry_after)
            raise ApiError(fault.error_code, fault.description or _default_description(fault.error_code))

    def clear_flood_state(self) -> None:
        """Forget rate windows and retry_after blocks (e.g. between phases of a test)."""
        self._global_window.clear()
        self._chat_windows.clear()
        self._group_windows.clear()
        self._global_blocked_until = 0.0
        self._chat_blocked_until.clear()

    def reset_faults(self, faults: Faults | None = None) -> None:
        """Install new knobs (default: none), clear flood state and restart the random stream."""
        self.faults = faults or Faults()
        self.scheduled_faults.clear()
        self.clear_flood_state()
        self._rng_seed = self.faults.seed
        self._rng = random.Random(self.faults.seed)

    def _random(self) -> random.Random:
        if self.faults.seed != self._rng_seed:
            self._rng_seed = self.faults.seed
            self._rng = random.Random(self.faults.seed)
        return self._rng

    def _maybe_random_5xx(self) -> None:
        if self.faults.random_5xx_rate and self._random().random() < self.faults.random_5xx_rate:
            raise ApiError(502, "Bad Gateway")

    def _admit(self, chat_id: int, *, counted: bool = True) -> None:
        """Flood control for one send/edit to ``chat_id``: raise 429 or count it."""
        now = time.monotonic()
        faults = self.faults
        if self._global_blocked_until > now:
            raise _too_many(_ceil_seconds(self._global_blocked_until - now))
        blocked_until = self._chat_blocked_until.get(chat_id, 0.0)
        if blocked_until > now:
            raise _too_many(_ceil_seconds(blocked_until - now))
        if counted:
            checks: list[tuple[deque[float], float, int, bool]] = []
            if faults.global_per_second:
                checks.append((self._global_window, 1.0, max(1, int(faults.global_per_second)), True))
            if faults.per_chat_per_second:
                window = 1.0 if faults.per_chat_per_second >= 1 else 1.0 / faults.per_chat_per_second
                allowed = max(1, int(faults.per_chat_per_second * window)) + max(0, faults.per_chat_burst)
                checks.append((self._chat_windows.setdefault(chat_id, deque()), window, allowed, False))
            if faults.per_group_per_minute and chat_id < 0:
                checks.append(
                    (self._group_windows.setdefault(chat_id, deque()), 60.0, faults.per_group_per_minute, False)
                )
            for stamps, window, allowed, is_global in checks:
                while stamps and stamps[0] <= now - window:
                    stamps.popleft()
                if len(stamps) >= allowed:
                    retry_after = _ceil_seconds(stamps[0] + window - now)
                    if is_global:
                        self._global_blocked_until = now + retry_after
                    else:
                        self._chat_blocked_until[chat_id] = now + retry_after
                    raise _too_many(retry_after)
        if faults.random_429_rate and self._random().random() < faults.random_429_rate:
            low, high = faults.retry_after_range
            retry_after = max(1, self._random().randint(int(low), int(high)))
            self._chat_blocked_until[chat_id] = now + retry_after
            raise _too_many(retry_after)
        if counted:
            self._global_window.append(now)
            self._chat_windows.setdefault(chat_id, deque()).append(now)
            if chat_id < 0:
                self._group_windows.setdefault(chat_id, deque()).append(now)

    # ------------------------------------------------------------------ shared checks
    def _target_chat(self, params: _Params) -> ChatState:
        raw = params.get("chat_id")
        if raw is None:
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id in self.faults.blocked_user_ids:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        state = self._chats.get(chat_id)
        if state is None:
            raise bad_request("chat not found")
        return state

    def _formatted(
        self, params: _Params, field_name: str, entities_field: str, *, limit: int, required: bool
    ) -> tuple[str, str, list[dict[str, Any]], str | None]:
        """(plain text, source, entities, parse_mode) of a text or caption, validated."""
        source = params.text(field_name) or ""
        parse_mode = params.get("parse_mode")
        entities: list[dict[str, Any]] = []
        plain = source
        if parse_mode is not None and str(parse_mode).lower() == "html":
            try:
                plain, entities = parse_html(source, strict_ampersand=self.strict_html)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif parse_mode is not None and str(parse_mode).lower() not in ("markdown", "markdownv2"):
            raise bad_request("unsupported parse_mode")
        elif isinstance(params.get(entities_field), list):
            entities = [dict(entity) for entity in params.get(entities_field)]
        plain, entities = strip_text(plain, entities)
        if required and not plain:
            raise bad_request("message text is empty")
        if len(plain) > limit:
            raise bad_request("message is too long" if field_name == "text" else "message caption is too long")
        return plain, source, entities, None if parse_mode is None else str(parse_mode)

    def _markup(self, params: _Params, state: ChatState, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        try:
            validate_reply_markup(markup, private_chat=state.private, inline_only=inline_only)
        except MarkupError as error:
            raise bad_request(str(error)) from None
        return dict(markup)

    def _reply_to(self, params: _Params, state: ChatState) -> int | None:
        reply = params.get("reply_parameters")
        message_id = reply.get("message_id") if isinstance(reply, dict) else params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply") or (
            isinstance(reply, dict) and bool(reply.get("allow_sending_without_reply"))
        )
        if message_id is None:
            return None
        message_id = int(message_id)
        if message_id in state.bot_messages or message_id in state.user_messages:
            return message_id
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _new_bot_message(self, state: ChatState, method: str, **fields: Any) -> BotMessage:
        message = BotMessage(
            chat_id=int(state.chat["id"]),
            message_id=state.next_message_id,
            date=utc_now().replace(microsecond=0),
            **fields,
        )
        state.next_message_id += 1
        state.bot_messages[message.message_id] = message
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            state.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            state.reply_keyboard = None
        self._render(message, state)
        message.seq = self._record_event("sent", message.chat_id, message.message_id)
        self._log_sent(method, message)
        return message

    def _log_sent(self, method: str, message: BotMessage) -> None:
        self.sent_log.append(
            SentRecord(time.monotonic(), utc_now(), method, message.chat_id, message.message_id, message.text)
        )

    def _render(self, message: BotMessage, state: ChatState) -> None:
        """Rebuild ``message.raw``: the Message JSON Telegram would return."""
        raw: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": state.chat,
            "date": to_unix(message.date),
        }
        if message.edit_date is not None:
            raw["edit_date"] = to_unix(message.edit_date)
        if message.reply_to_message_id is not None:
            replied = state.user_messages.get(message.reply_to_message_id) or (
                state.bot_messages[message.reply_to_message_id].raw
                if message.reply_to_message_id in state.bot_messages
                else None
            )
            if replied is not None:
                raw["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        text_key, entities_key = ("text", "entities") if message.kind == "text" else ("caption", "caption_entities")
        if message.kind == "location":
            raw["location"] = message.location
        elif message.kind == "photo" and message.file_id is not None:
            raw["photo"] = self.photo_sizes_for(message.file_id)
        elif message.kind == "document":
            raw["document"] = message.document
        if message.text or message.kind == "text":
            raw[text_key] = message.text
            if message.entities:
                raw[entities_key] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            raw["reply_markup"] = message.reply_markup
        message.raw = raw

    def photo_sizes_for(self, file_id: str) -> list[dict[str, Any]]:
        """PhotoSize list of a stored photo, made once so file_ids stay stable."""
        if file_id not in self._photo_cache:
            self._photo_cache[file_id] = self.photo_sizes(self.files[file_id])
        return self._photo_cache[file_id]

    def _input_file(self, params: _Params, name: str, kind: str) -> StoredFile:
        value = params.get(name)
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, UploadedFile):
            return self.store_file(value.data, kind=kind, mime_type=value.content_type, file_name=value.filename)
        text = str(value)
        if text in self.files:
            return self.files[text]
        if text.startswith(("http://", "https://")):
            return self.store_file(b"", kind=kind, file_name=text.rsplit("/", 1)[-1] or None)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _editable(self, params: _Params) -> tuple[ChatState, BotMessage]:
        if params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        state = self._target_chat(params)
        message_id = params.integer("message_id", required="message identifier is not specified")
        assert message_id is not None
        message = state.bot_messages.get(message_id)
        if message is None or message.deleted:
            if message_id in state.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return state, message

    def _apply_edit(self, state: ChatState, message: BotMessage, method: str, **changes: Any) -> dict[str, Any]:
        before = message.snapshot()
        after = {**before, **changes}
        same = all(before[key] == after[key] for key in ("text", "entities", "reply_markup"))
        if same:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._admit(message.chat_id)
        message.edits.append(before)
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = utc_now().replace(microsecond=0)
        self._render(message, state)
        message.seq = self._record_event("edited", message.chat_id, message.message_id)
        self._log_sent(method, message)
        return message.raw

    # ------------------------------------------------------------------ methods: bot and updates
    async def _m_getMe(self, params: _Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, params: _Params) -> list[dict[str, Any]]:
        if self.webhook.url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.integer("offset", 0) or 0
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = max(params.number("timeout", 0.0) or 0.0, 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older waiting poll wakes up and sees it was superseded
        self._confirm(offset)
        deadline = time.monotonic() + timeout
        while True:
            batch = self._pending_batch(limit)
            if batch or self._stopping:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._wait_signal(remaining)
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_OTHER_POLL)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            done = [u for u in self._updates if u["update_id"] < offset]
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            cut = max(len(self._updates) + offset, 0)
            done, self._updates = self._updates[:cut], self._updates[cut:]
        else:
            done = []
        self.confirmed_updates.extend(done)

    def _pending_batch(self, limit: int) -> list[dict[str, Any]]:
        if self._allowed_updates is not None:
            allowed = set(self._allowed_updates)
            kept = [u for u in self._updates if _update_kind(u) in allowed]
            self.stats.dropped_updates += len(self._updates) - len(kept)
            self._updates = kept
        return [dict(update) for update in self._updates[:limit]]

    async def _m_setWebhook(self, params: _Params) -> bool:
        url = params.text("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        if params.flag("drop_pending_updates"):
            self._confirm(self._next_update_id)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self.webhook = Webhook(
            url=url,
            secret_token=None if secret is None else str(secret),
            max_connections=params.integer("max_connections", 40) or 40,
        )
        self._notify()
        return True

    async def _m_deleteWebhook(self, params: _Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._confirm(self._next_update_id)
        self.webhook = Webhook()
        self._notify()
        return True

    async def _m_getWebhookInfo(self, params: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
        if self.webhook.last_error_date is not None:
            info["last_error_date"] = self.webhook.last_error_date
            info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _webhook_loop(self) -> None:
        """Push queued updates to the webhook one by one, retrying until a 2xx."""
        while not self._stopping:
            if not (self.webhook.url and self._updates and self._client is not None):
                await self._wait_signal(1.0)
                continue
            update = self._updates[0]
            hook = self.webhook
            headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
            status: int | None = None
            error: str | None = None
            try:
                async with self._client.post(
                    hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status, error, utc_now()))
            if status is not None and 200 <= status < 300:
                if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                    self.confirmed_updates.append(self._updates.pop(0))
                self._notify()
                continue
            hook.last_error_date = to_unix(None)
            hook.last_error_message = error or f"Wrong response from the webhook: {status}"
            self._notify()
            await asyncio.sleep(self.webhook_retry_delay)

    # ------------------------------------------------------------------ methods: settings
    async def _m_setMyCommands(self, params: _Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an Array of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope_key(params)] = [dict(command) for command in commands]
        return True

    async def _m_getMyCommands(self, params: _Params) -> list[dict[str, Any]]:
        return list(self.commands.get(_scope_key(params), []))

    async def _m_deleteMyCommands(self, params: _Params) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    async def _m_setChatMenuButton(self, params: _Params) -> bool:
        chat_id = params.integer("chat_id")
        if chat_id is not None and chat_id not in self._chats:
            raise bad_request("chat not found")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button")
        self.menu_buttons[chat_id] = dict(button)
        return True

    async def _m_getChatMenuButton(self, params: _Params) -> dict[str, Any]:
        return self.menu_buttons.get(params.integer("chat_id"), self.menu_buttons.get(None, {"type": "commands"}))

    async def _m_getChat(self, params: _Params) -> dict[str, Any]:
        state = self._target_chat(params)
        return {**state.chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False}}  # fmt: skip

    # ------------------------------------------------------------------ methods: sending
    async def _m_sendMessage(self, params: _Params) -> dict[str, Any]:
        state = self._target_chat(params)
        plain, source, entities, parse_mode = self._formatted(params, "text", "entities", limit=MAX_TEXT, required=True)
        markup = self._markup(params, state)
        reply_to = self._reply_to(params, state)
        self._admit(int(state.chat["id"]))
        message = self._new_bot_message(
            state, "sendMessage", kind="text", text=plain, source=source, parse_mode=parse_mode,
            entities=entities, reply_markup=markup, reply_to_message_id=reply_to,
        )  # fmt: skip
        return message.raw

    async def _m_sendLocation(self, params: _Params) -> dict[str, Any]:
        state = self._target_chat(params)
        latitude = params.number("latitude")
        longitude = params.number("longitude")
        if latitude is None or not -90 <= latitude <= 90:
            raise bad_request("wrong latitude specified")
        if longitude is None or not -180 <= longitude <= 180:
            raise bad_request("wrong longitude specified")
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        accuracy = params.number("horizontal_accuracy")
        if accuracy is not None:
            if not 0 <= accuracy <= 1500:
                raise bad_request("wrong horizontal accuracy specified")
            location["horizontal_accuracy"] = accuracy
        markup = self._markup(params, state)
        reply_to = self._reply_to(params, state)
        self._admit(int(state.chat["id"]))
        message = self._new_bot_message(
            state, "sendLocation", kind="location", location=location, reply_markup=markup,
            reply_to_message_id=reply_to,
        )  # fmt: skip
        return message.raw

    async def _send_file(self, params: _Params, method: str, kind: str) -> dict[str, Any]:
        state = self._target_chat(params)
        caption, source, entities, parse_mode = self._formatted(
            params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
        )
        markup = self._markup(params, state)
        reply_to = self._reply_to(params, state)
        stored = self._input_file(params, kind, kind)
        self._admit(int(state.chat["id"]))
        document = None
        if kind == "document":
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
            }
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
        message = self._new_bot_message(
            state, method, kind=kind, text=caption, source=source, parse_mode=parse_mode,
            entities=entities, reply_markup=markup, reply_to_message_id=reply_to,
            file_id=stored.file_id, document=document,
        )  # fmt: skip
        return message.raw

    async def _m_sendPhoto(self, params: _Params) -> dict[str, Any]:
        return await self._send_file(params, "sendPhoto", "photo")

    async def _m_sendDocument(self, params: _Params) -> dict[str, Any]:
        return await self._send_file(params, "sendDocument", "document")

    async def _m_sendChatAction(self, params: _Params) -> bool:
        state = self._target_chat(params)
        action = params.text("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._admit(int(state.chat["id"]), counted=False)
        self.chat_actions.append((int(state.chat["id"]), action, time.monotonic()))
        return True

    async def _m_editMessageText(self, params: _Params) -> dict[str, Any]:
        state, message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        plain, source, entities, parse_mode = self._formatted(params, "text", "entities", limit=MAX_TEXT, required=True)
        markup = self._markup(params, state, inline_only=True)
        return self._apply_edit(
            state, message, "editMessageText", text=plain, source=source, entities=entities,
            parse_mode=parse_mode, reply_markup=markup,
        )  # fmt: skip

    async def _m_editMessageCaption(self, params: _Params) -> dict[str, Any]:
        state, message = self._editable(params)
        if message.kind not in ("photo", "document"):
            raise bad_request("there is no caption in the message to edit")
        caption, source, entities, parse_mode = self._formatted(
            params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
        )
        markup = self._markup(params, state, inline_only=True)
        return self._apply_edit(
            state, message, "editMessageCaption", text=caption, source=source, entities=entities,
            parse_mode=parse_mode, reply_markup=markup,
        )  # fmt: skip

    async def _m_editMessageReplyMarkup(self, params: _Params) -> dict[str, Any]:
        state, message = self._editable(params)
        markup = self._markup(params, state, inline_only=True)
        return self._apply_edit(state, message, "editMessageReplyMarkup", reply_markup=markup)

    async def _m_deleteMessage(self, params: _Params) -> bool:
        state = self._target_chat(params)
        message_id = params.integer("message_id", required="message identifier is not specified")
        assert message_id is not None
        bot_message = state.bot_messages.get(message_id)
        if bot_message is not None and not bot_message.deleted:
            bot_message.deleted = True
            bot_message.seq = self._record_event("deleted", bot_message.chat_id, message_id)
            return True
        if state.user_messages.pop(message_id, None) is not None:
            self._record_event("deleted", int(state.chat["id"]), message_id)
            return True
        raise bad_request("message to delete not found")

    # ------------------------------------------------------------------ methods: answers and files
    def _live_query(self, registry: dict[str, _QueryState], query_id: str | None) -> _QueryState:
        state = registry.get(query_id or "")
        if state is None or state.answered or time.monotonic() - state.created > self.callback_query_ttl:
            raise ApiError(400, QUERY_INVALID)
        return state

    async def _m_answerCallbackQuery(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id")
        state = self._live_query(self._callback_queries, query_id)
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        state.answered = True
        assert query_id is not None
        self.callback_answers[query_id] = CallbackAnswer(
            text=text or None,
            show_alert=params.flag("show_alert"),
            url=params.text("url"),
            cache_time=params.integer("cache_time", 0) or 0,
        )
        self._record_event("callback_answer", None, query_id=query_id)
        return True

    async def _m_answerInlineQuery(self, params: _Params) -> bool:
        query_id = params.text("inline_query_id")
        state = self._live_query(self._inline_queries, query_id)
        results = params.get("results")
        if results is None:
            results = []
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type"):
                raise bad_request("RESULT_TYPE_INVALID")
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                inner = _Params(
                    {"text": content.get("message_text"), "parse_mode": content.get("parse_mode"),
                     "entities": content.get("entities")}
                )  # fmt: skip
                self._formatted(inner, "text", "entities", limit=MAX_TEXT, required=True)
            if "reply_markup" in result:
                try:
                    validate_reply_markup(result["reply_markup"], private_chat=True, inline_only=True)
                except MarkupError as error:
                    raise bad_request(str(error)) from None
        state.answered = True
        assert query_id is not None
        self.inline_answers[query_id] = [dict(result) for result in results]
        self._record_event("inline_answer", None, query_id=query_id)
        return True

    async def _m_getFile(self, params: _Params) -> dict[str, Any]:
        stored = self.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _m_close(self, params: _Params) -> bool:
        return True

    async def _m_logOut(self, params: _Params) -> bool:
        return True


# ---------------------------------------------------------------------- helpers
def _is_sending(method: str) -> bool:
    lowered = method.lower()
    return lowered.startswith(("send", "edit"))


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def _ceil_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds - 1e-9))


def _default_description(code: int) -> str:
    return {
        400: "Bad Request: BAD_REQUEST",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: CONFLICT_OTHER_POLL,
        500: "Internal Server Error",
        502: "Bad Gateway",
        504: "Gateway Timeout",
    }.get(code, "Error")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _scope_key(params: _Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.text("language_code") or ""


def _extension(file_name: str | None) -> str:
    if file_name and "." in file_name:
        return file_name.rsplit(".", 1)[-1][:8] or "bin"
    return "bin"


def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "width": width,
        "height": height,
    }


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; 1280x960 when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 1280, 960


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge query string and body (JSON, urlencoded, multipart) into one dict."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if isinstance(body, dict):
                values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    values[key] = value
    for key, value in list(values.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            values[key] = files.get(value.removeprefix("attach://"))
        elif key in _JSON_FIELDS and isinstance(value, str):
            try:
                values[key] = json.loads(value)
            except ValueError:
                if key == "reply_markup":
                    raise bad_request("can't parse reply keyboard markup JSON object") from None
                raise bad_request(f"can't parse {key} JSON object") from None
    for key, uploaded in files.items():
        values.setdefault(key, uploaded)
    return values


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the socket without an HTTP answer, so the client sees a network error."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError  # aiohttp treats it as a dead connection: nothing is written


# ---------------------------------------------------------------------- standalone
async def _serve(host: str, port: int, bot_username: str) -> None:
    emulator = BotApiEmulator(bot_username=bot_username)
    await emulator.start(host=host, port=port)
    logger.warning("Bot API emulator on %s (files: %s)", emulator.base_url, emulator.base_file_url)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="lc_enforce_bot")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.bot_username))


if __name__ == "__main__":
    main()
