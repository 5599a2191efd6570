"""The outbox delivery worker: sends queued notices at Telegram's limits and survives crashes.

At-least-once: a row is marked `sending` (claimed by this worker) before the HTTP call and `sent`
after it, so a crash in between re-sends only the rows that were in flight (a possible duplicate,
never a loss). A 429 delays only the row that got it (by its retry_after); 5xx and network errors
back off exponentially; 403 (blocked) and 400 are final, recorded, and reported to the feature
that queued the row through its failure hook (e.g. the dispatch board shows 发送失败).

Pacing: at most `per_second` sends in any sliding window of one second (plus a small safety
margin, because the server counts arrival times), one message at a time per chat, about 1/s per
private chat and 20/min per group. Several worker processes may share one PostgreSQL database:
rows are claimed with `FOR UPDATE SKIP LOCKED`, a chat with a row in flight is never claimed by
another worker, and only claims older than `stale_claim` (or this worker's own, after a restart)
are re-queued.

The limits are per worker process, not shared: each process paces itself to its own
`per_second` (Settings.delivery_per_second, env DELIVERY_PER_SECOND) and knows only its own
chats' last sends. Telegram's ~30/s is per bot token, so the default is ONE worker per bot
token (the one started by `app.py`). To run N workers against one token, split the budget:
set DELIVERY_PER_SECOND to 30/N in each (e.g. 15 with two), or they will earn 429s together.
The per-chat spacing holds across workers only because a chat with a row in flight is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from db.engine import Database
from db.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 12
FailureHook = Callable[[Session, OutboxMessage], None]

# ref_type -> hook called (in the same transaction) when a row of that type fails for good.
FAILURE_HOOKS: dict[str, FailureHook] = {}


def register_failure_hook(ref_type: str, hook: FailureHook) -> None:
    """Features call this at import time: 'tell the sender' when a notice cannot be delivered."""
    FAILURE_HOOKS[ref_type] = hook


# ref_type -> hook called after a row of that type was sent or put back with a delay (429,
# backoff), outside any transaction; must be quick and must not raise (e.g. mark a view dirty).
ChangeHook = Callable[[OutboxMessage], None]
CHANGE_HOOKS: dict[str, ChangeHook] = {}


def register_change_hook(ref_type: str, hook: ChangeHook) -> None:
    """Features call this at import time to follow their rows (e.g. the board's 发送延迟)."""
    CHANGE_HOOKS[ref_type] = hook


# ref_type -> loader that turns a stored payload into call arguments, e.g. a PNG kept in a feature
# table (the JSON payload cannot hold bytes) read back as `photo=bytes` for send_photo.
PayloadLoader = Callable[[Database, dict[str, Any]], dict[str, Any]]
PAYLOAD_LOADERS: dict[str, PayloadLoader] = {}


def register_payload_loader(ref_type: str, loader: PayloadLoader) -> None:
    """Features call this at import time for rows whose payload refers to stored bytes."""
    PAYLOAD_LOADERS[ref_type] = loader


class Pacer:
    """Evenly spaced slots: at most `limit` sends in any `window` seconds, and never a burst.

    Why not a token bucket: a burst of 30 leaves in one instant but reaches the server spread out,
    so the next burst one second later overlaps the server's sliding window and earns a 429 that
    stops every chat. Even spacing keeps arrivals under the limit whatever the jitter.
    """

    def __init__(self, limit: float, window: float) -> None:
        self.interval = window / max(limit, 0.001)
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


class DeliveryWorker:
    """One asyncio task that drains the outbox; `wake()` after committing new rows."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        group_per_minute: float = 20.0,
        safety_margin: float = 0.05,
        idle_seconds: float = 1.0,
        stale_claim: timedelta = timedelta(seconds=60),
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        worker_id: str = "w1",
    ) -> None:
        self.bot = bot
        self.db = db
        self.global_limit = Pacer(per_second, 1.0 + safety_margin)
        self.per_chat_interval = per_chat_interval + safety_margin
        self.group_interval = 60.0 / group_per_minute + safety_margin
        self.idle_seconds = idle_seconds
        self.stale_claim = stale_claim
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.worker_id = worker_id
        self._last_sent: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_stale_scan = 0.0
        self.failure_hooks: dict[str, FailureHook] = {}  # per-instance additions to FAILURE_HOOKS

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.requeue_claims(own=True)
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
                if time.monotonic() - self._last_stale_scan > self.stale_claim.total_seconds() / 2:
                    self._last_stale_scan = time.monotonic()
                    self.requeue_claims(own=False)
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

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.per_chat_interval

    def _claim(self) -> list[OutboxMessage]:
        now = utcnow()
        mono = time.monotonic()
        busy_chats = {chat for chat, at in self._last_sent.items() if mono - at < self._chat_interval(chat)}
        in_flight = select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.SENDING)
        with self.db.session() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.chat_id.not_in(in_flight),  # type: ignore[union-attr]
                )
                .order_by(OutboxMessage.id)
                .limit(BATCH * 4)
            )
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            candidates = session.exec(query).all()
            blocked = self._chats_with_earlier_rows(session, candidates)
            picked: list[OutboxMessage] = []
            chats: set[int] = set()
            for row in candidates:
                # One message per chat per round keeps the per-chat order and the chat limits.
                if row.chat_id in chats or row.chat_id in busy_chats or (row.chat_id, row.id) in blocked:
                    chats.add(row.chat_id)
                    continue
                chats.add(row.chat_id)
                row.status = OutboxStatus.SENDING
                row.claimed_at = now
                row.claimed_by = self.worker_id
                row.attempts += 1
                session.add(row)
                picked.append(row)
                if len(picked) >= BATCH:
                    break
        return picked

    @staticmethod
    def _chats_with_earlier_rows(session: Session, candidates: list[OutboxMessage]) -> set[tuple[int, int]]:
        """(chat, row) pairs whose chat still has an older pending row waiting (a 429 or backoff):
        the later row waits too, so a chat never sees its messages out of order."""
        if not candidates:
            return set()
        chats = {row.chat_id for row in candidates}
        first_pending = dict(
            session.exec(
                select(OutboxMessage.chat_id, OutboxMessage.id)
                .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.chat_id.in_(chats))  # type: ignore[attr-defined]
                .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
            ).all()
        )  # dict keeps the last pair per chat, i.e. the lowest id
        return {(row.chat_id, row.id) for row in candidates if first_pending.get(row.chat_id, row.id) < (row.id or 0)}

    async def _send_row(self, row: OutboxMessage) -> None:
        await self.global_limit.acquire()
        self._last_sent[row.chat_id] = time.monotonic()
        try:
            result = await self._call(row)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            self._finish(row, OutboxStatus.PENDING, error=f"429 retry_after={delay:g}", retry_after=delay, next_in=delay)
            return
        except Forbidden as exc:
            self._finish(row, OutboxStatus.FAILED, error=f"403 {exc.message}")
            return
        except BadRequest as exc:
            self._finish(row, OutboxStatus.FAILED, error=f"400 {exc.message}")
            return
        except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError; 5xx lands here too
            if row.attempts >= MAX_ATTEMPTS:
                self._finish(row, OutboxStatus.FAILED, error=f"gave up: {exc}"[:300])
            else:
                self._finish(row, OutboxStatus.PENDING, error=str(exc)[:300], next_in=self.backoff(row.attempts))
            return
        message_id = getattr(result, "message_id", None)
        self._finish(row, OutboxStatus.SENT, message_id=message_id)

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter: 1, 2, 4 ... seconds (×0.8–1.2), capped; never sooner than the
        chat's own interval, because the failed attempt may have counted against the chat's limit."""
        delay = min(self.backoff_base * 2 ** max(0, attempts - 1), self.backoff_cap) * random.uniform(0.8, 1.2)
        return max(delay, self.per_chat_interval)

    async def _call(self, row: OutboxMessage) -> Any:
        payload = dict(row.payload)
        loader = PAYLOAD_LOADERS.get(row.ref_type or "")
        if loader is not None:
            payload = loader(self.db, payload)
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
            fresh.claimed_by = None
            if status == OutboxStatus.SENT:
                fresh.sent_at = utcnow()
                fresh.telegram_message_id = message_id
            if next_in is not None:
                fresh.next_attempt_at = utcnow() + timedelta(seconds=next_in)
            session.add(fresh)
            hook = self.failure_hooks.get(fresh.ref_type or "") or FAILURE_HOOKS.get(fresh.ref_type or "")
            if status == OutboxStatus.FAILED and hook is not None:
                try:
                    with session.begin_nested():
                        hook(session, fresh)
                except Exception:
                    log.exception("failure hook for %s %s failed", fresh.ref_type, fresh.ref_id)
        observer = CHANGE_HOOKS.get(fresh.ref_type or "")
        if observer is not None and status in (OutboxStatus.SENT, OutboxStatus.PENDING):
            try:
                observer(fresh)
            except Exception:
                log.exception("change hook for %s %s failed", fresh.ref_type, fresh.ref_id)
        if status == OutboxStatus.PENDING:
            self.wake()

    def requeue_claims(self, *, own: bool) -> int:
        """Rows left `sending` by a crash go back to pending (at-least-once).

        Claims older than `stale_claim` belong to a dead worker; with `own`, this worker's own
        claims (a restart under the same worker id) are re-queued at once, whatever their age.
        """
        cutoff = utcnow() - self.stale_claim
        condition = or_(OutboxMessage.claimed_at == None, OutboxMessage.claimed_at <= cutoff)  # noqa: E711
        if own:
            condition = or_(condition, OutboxMessage.claimed_by == self.worker_id)
        with self.db.session() as session:
            query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENDING, condition)
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            stale = session.exec(query).all()
            for row in stale:
                row.status = OutboxStatus.PENDING
                row.claimed_by = None
                session.add(row)
            if stale:
                log.info("re-queued %d outbox rows left in sending", len(stale))
            return len(stale)


def _seconds(value: float | timedelta | int) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
