"""Per-user flood gate, applied by the update processor before an update waits for anything.

Why here and not in the guard: the guard runs inside a concurrency slot, so a chat that queued a
hundred updates (a forward of 100 messages) used to hold every slot while its excess waited to be
dropped. The processor asks this gate first; a dropped update costs one dictionary lookup.
Memory is bounded: users idle for a whole window are forgotten, and at most `max_users` are kept.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from typing import Literal

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

import texts

log = logging.getLogger(__name__)

Verdict = Literal["ok", "warn", "drop"]


class _Window:
    __slots__ = ("stamps", "warned")

    def __init__(self, size: int) -> None:
        self.stamps: deque[float] = deque(maxlen=size)
        self.warned = -1e18


class FloodGate:
    """Sliding window per user: over the limit, one polite warning per window, the rest dropped."""

    MAX_USERS = 50_000

    def __init__(self, max_updates: int, window_seconds: float, max_users: int = MAX_USERS) -> None:
        self.max_updates = max_updates
        self.window = window_seconds
        self.max_users = max_users
        # least recently seen first; each deque keeps only the newest max_updates + 1 stamps
        self._users: OrderedDict[int, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def check(self, user_id: int, now: float | None = None, *, can_warn: bool = True) -> Verdict:
        """Return 'ok', 'warn' (first excess in this window) or 'drop'.

        `can_warn` is False for updates the warning cannot answer (group messages, inline
        queries): they are dropped without spending the window's one warning, so the user's
        next private message over the limit still explains why it went unanswered."""
        now = time.monotonic() if now is None else now
        self._forget_idle(now)
        entry = self._users.pop(user_id, None)
        if entry is None:
            entry = _Window(self.max_updates + 1)
        self._users[user_id] = entry
        stamps = entry.stamps
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        stamps.append(now)  # dropped updates count too: a steady flood stays dropped
        if len(stamps) <= self.max_updates:
            return "ok"
        if can_warn and now - entry.warned > self.window:
            entry.warned = now
            return "warn"
        return "drop"

    def _forget_idle(self, now: float) -> None:
        """Users whose newest update left the window have no state worth keeping (LRU order)."""
        users = self._users
        while users:
            user_id, entry = next(iter(users.items()))
            if len(users) < self.max_users and entry.stamps and now - entry.stamps[-1] <= self.window:
                return
            del users[user_id]


async def warn(update: object) -> None:
    """The one warning of a window, in a private chat only (a group is not told about one member)."""
    if not isinstance(update, Update) or update.effective_user is None or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        await update.get_bot().send_message(update.effective_user.id, texts.FLOOD_WARNING)
    except TelegramError as exc:
        log.warning("flood warning not sent: %s", exc)
