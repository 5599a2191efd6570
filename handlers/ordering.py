"""Concurrent across users, in order for each user, and fair when one user floods.

PTB handles updates one at a time by default, so 50 officers asking at once wait for each other.
Fully concurrent processing would let one user's updates overtake each other and race inside a
conversation. This processor runs different users' updates concurrently and each user's updates
strictly in arrival order.

Each update passes, in this order: the flood gate (memory only, no waiting), the user's own queue
(their earlier updates first), then one of `max_concurrent_updates` slots. So a chat that queued a
hundred updates holds at most one slot, its excess is dropped before it waits for anything, and
everybody else keeps being answered (issue 13.6). PTB takes its own semaphore before calling
`do_process_update`; that one is left effectively unbounded, the real limit is `slots` here.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from handlers.flood import FloodGate

# PTB's semaphore is taken before our per-user queue; it must never make an update wait.
_PTB_SLOTS = 1_000_000


class _UserQueue:
    __slots__ = ("lock", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.pending = 0


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        gate: FloodGate | None = None,
        warn: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(_PTB_SLOTS)
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self.gate = gate
        self._warn = warn
        self._queues: dict[int, _UserQueue] = {}  # only users with updates in flight
        self.busy_slots = 0  # updates being handled now (not those waiting behind their own earlier ones)

    @property
    def users_in_flight(self) -> int:
        return len(self._queues)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if self.gate is not None and key is not None:
            verdict = self.gate.check(key, can_warn=_in_private_chat(update))
            if verdict != "ok":
                if inspect.iscoroutine(coroutine):
                    coroutine.close()  # never started: nothing to clean up
                if verdict == "drop" or self._warn is None:
                    return
                coroutine = self._warn(update)  # once per window, after the user's earlier answers
        user = 0 if key is None else key
        queue = self._queues.get(user)
        if queue is None:
            queue = self._queues[user] = _UserQueue()
        queue.pending += 1
        try:
            async with queue.lock, self._slots:
                self.busy_slots += 1
                try:
                    await coroutine
                finally:
                    self.busy_slots -= 1
        finally:
            queue.pending -= 1
            if queue.pending == 0:
                del self._queues[user]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _in_private_chat(update: object) -> bool:
    """Whether flood.warn can answer this update (it writes to private chats only)."""
    chat = update.effective_chat if isinstance(update, Update) else None
    return chat is not None and chat.type == ChatType.PRIVATE


def _key(update: object) -> int | None:
    """The user whose updates must stay in order (the chat when there is no user)."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None
