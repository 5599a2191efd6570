"""What the emulator remembers: fault knobs, sent messages, files, counters.

Kept apart from the HTTP code so tests, benchmarks and the driver can read the records
without caring how requests are served.
"""

from __future__ import annotations

import datetime as dtm
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

UTC = dtm.UTC


@dataclass
class Faults:
    """Run-time fault knobs; change any field at any time (``emu.faults.network_down = True``).

    Rate limits count accepted sendX/editX calls (not sendChatAction) in sliding windows.
    Over a limit the emulator answers 429 with ``parameters.retry_after`` = whole seconds
    until allowed (at least 1) and refuses that chat (or, for the global limit, every chat)
    until then, as Telegram does. Random 429s block their chat the same way.
    Random faults apply to sending methods only (send*, edit*); ``network_down`` and
    ``latency`` apply to every request (latency not to getUpdates).
    """

    global_per_second: float | None = None  # Telegram: about 30
    per_chat_per_second: float | None = None  # Telegram: about 1
    per_chat_burst: int = 0  # extra sends one chat may make inside its window
    per_group_per_minute: int | None = None  # Telegram: about 20, chats with a negative id
    random_429_rate: float = 0.0
    retry_after_range: tuple[int, int] = (1, 3)
    random_5xx_rate: float = 0.0  # answered 502 "Bad Gateway"; the request is not applied
    network_down: bool = False  # drop the connection without an HTTP answer
    latency: float = 0.0  # seconds added before answering; the request is applied first
    blocked_user_ids: set[int] = field(default_factory=set)  # 403 bot was blocked by the user
    seed: int | None = None  # makes random faults reproducible

    @classmethod
    def telegram_like(cls) -> Faults:
        """The documented limits: 30/s overall, 1/s per chat (small burst), 20/min per group."""
        return cls(global_per_second=30, per_chat_per_second=1, per_chat_burst=2, per_group_per_minute=20)


@dataclass
class ScheduledFault:
    """One planned failure: the (skip+1)-th matching call fails, ``times`` calls in a row.

    ``error_code`` 0 drops the connection; 429 also needs ``retry_after`` (and blocks the
    chat); any other code answers ``description`` with that HTTP status.
    """

    method: str
    error_code: int
    description: str = ""
    retry_after: int | None = None
    chat_id: int | None = None
    skip: int = 0
    times: int = 1


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (after edits).

    ``text`` is what the user reads: the plain text after entity parsing, or the caption
    of a photo/document ("" for a location). ``source`` is the string the bot sent.
    ``reply_markup`` keeps any markup (inline or reply keyboard) even though Telegram
    only echoes inline keyboards back in Message objects. ``raw`` is the Message JSON
    as the Bot API returns it. ``edits`` holds earlier states, oldest first.
    """

    chat_id: int
    message_id: int
    kind: str  # text | photo | location | document
    date: dtm.datetime
    text: str = ""
    source: str = ""
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    file_id: str | None = None
    document: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: dtm.datetime | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    seq: int = 0  # the emulator's change counter at the last change of this message
    raw: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """The editable state, used for edit history and the not-modified check."""
        return {
            "text": self.text,
            "source": self.source,
            "entities": [dict(entity) for entity in self.entities],
            "reply_markup": self.reply_markup,
            "edit_date": self.edit_date,
        }


@dataclass
class StoredFile:
    """Bytes behind a file_id: uploaded by a driven user or by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str | None = None
    file_name: str | None = None


@dataclass
class SentRecord:
    """One accepted sendX/editX call, for throughput and duplicate analysis."""

    at: float  # time.monotonic()
    time: dtm.datetime
    method: str
    chat_id: int
    message_id: int
    text: str


@dataclass
class CallbackAnswer:
    """What the bot answered to a callback query."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook and what came back."""

    update_id: int
    status: int | None  # HTTP status, None when the connection failed
    error: str | None
    time: dtm.datetime


@dataclass
class ChangeEvent:
    """Something a user could notice: a bot message sent, edited or deleted, or an answer."""

    seq: int
    kind: str  # sent | edited | deleted | callback_answer | inline_answer | update
    chat_id: int | None
    message_id: int | None = None
    query_id: str | None = None


@dataclass
class Stats:
    """Counters for benchmarks and fault tests."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    answered_429: int = 0
    answered_5xx: int = 0
    network_aborts: int = 0
    dropped_updates: int = 0


def utc_now() -> dtm.datetime:
    return dtm.datetime.now(UTC)


def to_unix(moment: dtm.datetime | int | float | None) -> int:
    """Unix seconds of an aware datetime (or a number); a naive datetime is refused."""
    if moment is None:
        return int(utc_now().timestamp())
    if isinstance(moment, dtm.datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        return int(moment.timestamp())
    return int(moment)
