"""The outbox delivery worker: sends queued notices at Telegram's limits and survives crashes.

At-least-once: a row is marked `sending` before the HTTP call and `sent` after it, so a crash in
between re-sends that one row on restart (a possible duplicate, never a loss). A 429 delays only
the row that got it (by its retry_after); 5xx and network errors back off exponentially; 403
(blocked) and 400 are final and recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy import or_
from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from db.engine import Database
from db.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

BATCH = 50
STALE_CLAIM = timedelta(minutes=2)
MAX_ATTEMPTS = 12
FailureHook = Callable[[Session, OutboxMessage], None]


class DeliveryWorker:
    """One asyncio task that drains the outbox; `wake()` after committing new rows."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        per_second: float = 25.0,
        per_chat_interval: float = 1.0,
        idle_seconds: float = 1.0,
        worker_id: str = "w1",
    ) -> None:
        self.bot = bot
        self.db = db
        self.global_limit = AsyncLimiter(per_second, 1.0)
        self.per_chat_interval = per_chat_interval
        self.idle_seconds = idle_seconds
        self.worker_id = worker_id
        self._last_sent: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failure_hooks: dict[str, FailureHook] = {}  # ref_type -> called when a row fails for good

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._requeue_stale_claims(all_claims=True)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            try:
                sent_any = await self.drain_once()
            except Exception:
                log.exception("outbox round failed; retrying")
                sent_any = False
            if not sent_any:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds)
                except TimeoutError:
                    pass

    async def drain_once(self) -> bool:
        """Claim a batch of due rows and send them; True when anything was attempted."""
        rows = self._claim()
        if not rows:
            return False
        await asyncio.gather(*(self._send_row(row) for row in rows))
        return True

    def _claim(self) -> list[OutboxMessage]:
        now = utcnow()
        busy_chats = {chat for chat, at in self._last_sent.items() if time.monotonic() - at < self.per_chat_interval}
        with self.db.session() as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(BATCH * 4)
            )
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            picked: list[OutboxMessage] = []
            chats: set[int] = set()
            for row in session.exec(query).all():
                # One message per chat per round keeps the per-chat order and the ~1/s chat limit.
                if row.chat_id in chats or row.chat_id in busy_chats:
                    continue
                chats.add(row.chat_id)
                row.status = OutboxStatus.SENDING
                row.claimed_at = now
                row.attempts += 1
                session.add(row)
                picked.append(row)
                if len(picked) >= BATCH:
                    break
        return picked

    async def _send_row(self, row: OutboxMessage) -> None:
        async with self.global_limit:
            self._last_sent[row.chat_id] = time.monotonic()
            try:
                result = await self._call(row)
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                self._finish(row, OutboxStatus.PENDING, error=f"429 retry_after={delay}", retry_after=delay,
                             next_in=delay)
                return
            except Forbidden as exc:
                self._finish(row, OutboxStatus.FAILED, error=f"403 {exc.message}")
                return
            except BadRequest as exc:
                self._finish(row, OutboxStatus.FAILED, error=f"400 {exc.message}")
                return
            except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError; 5xx lands here too
                if row.attempts >= MAX_ATTEMPTS:
                    self._finish(row, OutboxStatus.FAILED, error=f"gave up: {exc}")
                else:
                    self._finish(row, OutboxStatus.PENDING, error=str(exc)[:300], next_in=min(2 ** row.attempts, 300))
                return
        message_id = getattr(result, "message_id", None)
        self._finish(row, OutboxStatus.SENT, message_id=message_id)

    async def _call(self, row: OutboxMessage) -> Any:
        payload = dict(row.payload)
        markup = payload.pop("reply_markup", None)
        if isinstance(markup, dict):
            kind = ReplyKeyboardMarkup if "keyboard" in markup else InlineKeyboardMarkup
            payload["reply_markup"] = kind.de_json(markup, self.bot)
        method = getattr(self.bot, row.method)
        return await method(chat_id=row.chat_id, **payload)

    def _finish(
        self,
        row: OutboxMessage,
        status: OutboxStatus,
        *,
        error: str | None = None,
        message_id: int | None = None,
        retry_after: float | None = None,
        next_in: float | None = None,
    ) -> None:
        with self.db.session() as session:
            fresh = session.get(OutboxMessage, row.id)
            if fresh is None:
                return
            fresh.status = status
            fresh.last_error = error
            fresh.retry_after = retry_after
            if status == OutboxStatus.SENT:
                fresh.sent_at = utcnow()
                fresh.telegram_message_id = message_id
            if next_in is not None:
                fresh.next_attempt_at = utcnow() + timedelta(seconds=next_in)
            session.add(fresh)
            if status == OutboxStatus.FAILED and fresh.ref_type in self.failure_hooks:
                self.failure_hooks[fresh.ref_type](session, fresh)
        if status == OutboxStatus.PENDING:
            self.wake()

    def _requeue_stale_claims(self, *, all_claims: bool = False) -> int:
        """Rows left `sending` by a crash go back to pending (at-least-once)."""
        cutoff = utcnow() - (timedelta(0) if all_claims else STALE_CLAIM)
        with self.db.session() as session:
            stale = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    or_(OutboxMessage.claimed_at == None, OutboxMessage.claimed_at <= cutoff),  # noqa: E711
                )
            ).all()
            for row in stale:
                row.status = OutboxStatus.PENDING
                session.add(row)
            return len(stale)


def _seconds(value: float | timedelta | int) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
