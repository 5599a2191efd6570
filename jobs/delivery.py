"""The outbox delivery worker: sends queued notices at Telegram's limits and survives crashes.

At-least-once: a row is marked `sending` (claimed by this worker) before the HTTP call and `sent`
after it, so a crash in between re-sends only the rows that were in flight (a possible duplicate,
never a loss). A 429 delays only the row that got it (by its retry_after); 5xx and network errors
back off exponentially; 403 (blocked) and 400 are final, recorded, and reported to the feature
that queued the row through its failure hook (e.g. the dispatch board shows 发送失败).

Right before each send the worker re-reads the row: a row cancelled meanwhile, a row for a person
deactivated since it was queued, and a row whose `ref_version` is no longer the current version of
what it announces (an action edited or cancelled while the row waited out a 429) are not sent but
marked `cancelled` (issue 13.7, 13.12).

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
from collections import deque
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select
from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from db import people
from db.engine import Database
from db.models import OutboxMessage, OutboxStatus, Person, utcnow

log = logging.getLogger(__name__)

BATCH = 50
GLOBAL_429_CHATS = 4  # this many different chats answered 429 in a row: the whole bot is throttled
GLOBAL_429_PAUSE = 1.0  # seconds every send then waits before probing again
MAX_ATTEMPTS = 12
# Network errors and 5xx: a row is given up after MAX_ATTEMPTS tries while other sends get through
# (something is wrong with this row). While nothing has got through for `outage_after` seconds
# (DeliveryWorker), the bot is cut off (uplink, proxy, Telegram down): rows keep trying at the
# capped backoff until GIVE_UP_AFTER old. With the backoff capped at 5 minutes, 12 tries last only
# ~14 minutes, and an outage that long must not fail every queued notice for good.
GIVE_UP_AFTER = timedelta(hours=24)
FailureHook = Callable[[Session, OutboxMessage], None]

# ref_type -> hook called (in the same transaction) when a row of that type fails for good.
FAILURE_HOOKS: dict[str, FailureHook] = {}


def register_failure_hook(ref_type: str, hook: FailureHook) -> None:
    """Features call this at import time: 'tell the sender' when a notice cannot be delivered."""
    FAILURE_HOOKS[ref_type] = hook


# Called for a failed row whose ref_type has no hook of its own: nobody's notice fails silently
# (handlers/notice_failures.py tells the zone's coordinator, else an admin).
DEFAULT_FAILURE_HOOK: list[FailureHook] = []


def register_default_failure_hook(hook: FailureHook) -> None:
    DEFAULT_FAILURE_HOOK[:] = [hook]


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


# ref_type -> the current version of what a row announces (None: gone or cancelled). Rows queued
# with a ref_version are dropped before sending when it differs (e.g. an old dispatch notice).
VersionLookup = Callable[[Session, OutboxMessage], int | None]
VERSION_LOOKUPS: dict[str, VersionLookup] = {}


def _chat_heads() -> Any:
    """Each chat's oldest pending row (ids): a chat's messages go out in order, one at a time."""
    return (select(func.min(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.PENDING)
            .group_by(OutboxMessage.chat_id))


def register_version_lookup(ref_type: str, lookup: VersionLookup) -> None:
    """Features call this at import time for rows that must not go out once outdated."""
    VERSION_LOOKUPS[ref_type] = lookup


DROP_GONE = "cancelled before sending"
DROP_INACTIVE = "inactive: person deactivated"
DROP_STALE = "stale: version changed"


class Pacer:
    """Evenly spaced departures (window/limit apart) that may catch up a little after a delay,
    and never more than `limit` actual departures in any `window` seconds.

    The schedule is kept on a virtual clock so the loop's own work (a database write per row,
    other tasks) does not add up to lost time; but a slot missed by more than `catch_up`
    seconds is forfeited, so an event-loop stall never releases a burst of booked slots at once
    (that burst would reach the server inside one window and earn a 429 for the whole bot).
    Why not a token bucket: a full bucket leaves in one instant.

    The window holds one departure less than `limit`: the bot's other messages (replies, the
    dispatch board's edits) count against the same ~30/s of the token, and arrivals at the
    server jitter by some milliseconds; running at the very edge earned a 429 for the whole bot
    (every chat then waits) about once per 120-notice broadcast on a busy machine.
    """

    def __init__(self, limit: float, window: float, catch_up: float = 0.1) -> None:
        self.limit = max(1, int(limit) - 1) if limit >= 10 else max(1, int(limit))
        self.window = window
        self.interval = window / max(limit, 0.001)
        self.catch_up = catch_up
        self._next = 0.0
        self._paused_until = 0.0
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()  # waiters leave in arrival order

    def _wait(self, now: float, slot: float) -> float:
        while self._stamps and self._stamps[0] <= now - self.window:
            self._stamps.popleft()
        wait = max(slot, self._paused_until) - now
        if len(self._stamps) >= self.limit:
            wait = max(wait, self._stamps[0] + self.window - now)
        return wait

    def pause(self, seconds: float) -> None:
        """No departure for `seconds` (the bot as a whole got a 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        arrived = time.monotonic()
        async with self._lock:
            # A waiter that came after its slot (the pacer was idle) starts the schedule afresh:
            # idle time is no credit. One that was queued and woke late keeps the schedule, up to
            # `catch_up` seconds behind.
            slot = max(self._next, arrived)
            while (wait := self._wait(time.monotonic(), slot)) > 0:
                await asyncio.sleep(wait)
            now = time.monotonic()
            self._next = max(slot, now - self.catch_up) + self.interval
            self._stamps.append(now)


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
        backoff_base: float = 0.5,
        backoff_cap: float = 300.0,
        outage_after: float = 60.0,
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
        self.outage_after = outage_after
        self.worker_id = worker_id
        self._last_sent: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_stale_scan = 0.0
        self.failure_hooks: dict[str, FailureHook] = {}  # per-instance additions to FAILURE_HOOKS
        self._inflight: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._recent_429: deque[tuple[float, int]] = deque()
        self._last_success = time.monotonic()  # a fresh worker is not yet cut off
        # rows per claim: about half a second of sends, so a claim never books far ahead
        self.batch = max(1, min(BATCH, int(per_second // 2)))

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.requeue_claims(own=True)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        # The flag as well as the cancel: asyncio.wait_for (3.11) can swallow a cancellation
        # that lands just as the wake event fires, and the loop would go on forever.
        self._stopping = True
        self._wake.set()
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking, so a wake() during the round is not lost
            try:
                if time.monotonic() - self._last_stale_scan > self.stale_claim.total_seconds() / 2:
                    self._last_stale_scan = time.monotonic()
                    self.requeue_claims(own=False)
                claimed = await self.drain_once(wait=False)
            except Exception:
                log.exception("outbox round failed; retrying")
                claimed = False
            if not claimed:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._idle_timeout())
                except TimeoutError:
                    pass

    def _idle_timeout(self) -> float:
        """Sleep until the earliest pending row is due (a 429's retry_after, a backoff), not a
        fixed idle period: a retry that waits a whole extra poll interval is where time went.
        Rows already due but held back (their chat is busy or in flight) are polled briefly. Only
        each chat's oldest row counts: the rows behind one waiting out a 429 wait with it."""
        try:
            with self.db.session() as session:
                earliest = session.exec(
                    select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.id.in_(_chat_heads()))  # type: ignore[union-attr]
                ).one()
        except Exception:
            log.exception("outbox: next due time unknown")
            return self.idle_seconds
        if earliest is None:
            return self.idle_seconds
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=UTC)
        delay = (earliest - utcnow()).total_seconds()
        if delay <= 0:
            return min(0.1, self.idle_seconds)
        return min(max(delay, 0.005), self.idle_seconds)

    async def drain_once(self, *, wait: bool = True) -> bool:
        """Claim a batch of due rows and send them; True when anything was claimed.

        With wait=False (the worker loop) it returns as soon as the last row of the batch has
        left the pacer, so the next claim overlaps the answers still on their way and a retry
        that came due meanwhile gets the next free slot instead of waiting for the batch to end.
        Tests call it with wait=True: every row of the batch is finished when it returns."""
        rows = self._claim()
        if not rows:
            return False
        if wait:
            await asyncio.gather(*(self._send_row(row) for row in rows))
            return True
        remaining = [len(rows)]
        all_left = asyncio.Event()

        def left() -> None:
            remaining[0] -= 1
            if remaining[0] <= 0:
                all_left.set()

        for row in rows:
            task = asyncio.get_running_loop().create_task(self._send_row(row, on_departure=left))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        await all_left.wait()
        return True

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.per_chat_interval

    def _claim(self) -> list[OutboxMessage]:
        """Up to `batch` rows, at most one per chat: each chat's oldest pending row, when it is due
        and the chat is neither in flight nor inside its own spacing. Chosen in SQL, so one chat
        with a long backlog (or an oldest row waiting out a 429) cannot fill the fetch and hold
        every other chat back; a chat's later rows wait behind its oldest, so order is kept."""
        now = utcnow()
        mono = time.monotonic()
        busy_chats = [chat for chat, at in self._last_sent.items() if mono - at < self._chat_interval(chat)]
        in_flight = select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.SENDING)
        heads = _chat_heads()
        with self.db.session() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(heads),  # type: ignore[union-attr]
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.chat_id.not_in(in_flight),  # type: ignore[union-attr]
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch)
            )
            if busy_chats:
                query = query.where(OutboxMessage.chat_id.not_in(busy_chats))  # type: ignore[union-attr]
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            picked = list(session.exec(query).all())
            for row in picked:
                row.status = OutboxStatus.SENDING
                row.claimed_at = now
                row.claimed_by = self.worker_id
                row.attempts += 1
                session.add(row)
        return picked

    def _drop_reason(self, row: OutboxMessage) -> str | None:
        """Re-read the row just before its send: None when it should still go out; otherwise the
        row is marked cancelled here (deactivated person, outdated version, cancelled meanwhile)."""
        with self.db.session() as session:
            fresh = session.get(OutboxMessage, row.id)
            if fresh is None:
                return DROP_GONE
            if fresh.status != OutboxStatus.SENDING or fresh.claimed_by != self.worker_id:
                return DROP_GONE  # cancelled by the feature, or re-queued as stale, while this worker held it
            reason = None
            if fresh.person_id is not None:
                person = session.get(Person, fresh.person_id)
                if person is None or not person.active:
                    reason = DROP_INACTIVE
            lookup = VERSION_LOOKUPS.get(fresh.ref_type or "")
            if reason is None and fresh.ref_version is not None and lookup is not None:
                if lookup(session, fresh) != fresh.ref_version:
                    reason = DROP_STALE
            if reason is not None:
                fresh.status = OutboxStatus.CANCELLED
                fresh.last_error = reason
                fresh.claimed_by = None
                session.add(fresh)
        if reason is not None:
            log.info("outbox row %s not sent: %s", row.id, reason)
            self._observe(fresh, OutboxStatus.CANCELLED)
        return reason

    async def _send_row(self, row: OutboxMessage, on_departure: Callable[[], None] | None = None) -> None:
        departed = False
        try:
            await self.global_limit.acquire()
            departed = True
            if on_departure is not None:
                on_departure()
            await self._send_paced(row)
        finally:
            if not departed and on_departure is not None:
                on_departure()

    async def _send_paced(self, row: OutboxMessage) -> None:
        if self._drop_reason(row) is not None:
            return
        self._last_sent[row.chat_id] = time.monotonic()
        try:
            result = await self._call(row)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            self._note_429(row.chat_id, delay)
            self._finish(row, OutboxStatus.PENDING, error=f"429 retry_after={delay:g}", retry_after=delay, next_in=delay)
            return
        except Forbidden as exc:
            self._finish(row, OutboxStatus.FAILED, error=f"403 {exc.message}")
            return
        except BadRequest as exc:
            self._finish(row, OutboxStatus.FAILED, error=f"400 {exc.message}")
            return
        except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError; 5xx lands here too
            cut_off = time.monotonic() - self._last_success > self.outage_after
            if row.attempts >= MAX_ATTEMPTS and (not cut_off or utcnow() - row.created_at >= GIVE_UP_AFTER):
                self._finish(row, OutboxStatus.FAILED, error=f"gave up: {exc}"[:300])
            else:
                self._finish(row, OutboxStatus.PENDING, error=str(exc)[:300], next_in=self.backoff(row.attempts))
            return
        self._recent_429.clear()  # an answer that is not a 429: the bot as a whole is not blocked
        self._last_success = time.monotonic()
        message_id = getattr(result, "message_id", None)
        self._finish(row, OutboxStatus.SENT, message_id=message_id)

    def _note_429(self, chat_id: int, delay: float) -> None:
        """429s for several different chats in a row, with no success between, mean the bot as a
        whole is over the limit (Telegram's flood control then refuses every chat): pause all
        sends for a moment instead of spending the next slots on more 429s. The pause is short
        (GLOBAL_429_PAUSE, not the retry_after): the run may also be per-chat 429s that happen to
        come together, and then the other chats must not wait; if the bot is still blocked, the
        next send gets a 429 again and pauses again. A lone 429 delays only its own row; at a
        10% random 429 rate, 4 in a row happen about once in 10,000 sends."""
        self._recent_429.append((time.monotonic(), chat_id))
        if len({chat for _at, chat in self._recent_429}) >= GLOBAL_429_CHATS:
            pause = min(delay, GLOBAL_429_PAUSE)
            log.warning("429 for %d chats in a row: pausing every send for %.1f s", len(self._recent_429), pause)
            self.global_limit.pause(pause)
            self._recent_429.clear()

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter: 0.5, 1, 2, 4 ... seconds (×0.8–1.2), capped; never sooner than
        the chat's own interval, because the failed attempt may have counted against the chat's
        limit. `attempts` counts every try (429s too), so a 5xx after a 429 waits longer already."""
        delay = min(self.backoff_base * 2 ** min(max(0, attempts - 1), 30), self.backoff_cap) * random.uniform(0.8, 1.2)
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
            if fresh.status == OutboxStatus.CANCELLED and status != OutboxStatus.SENT:
                return  # cancelled by the feature while in flight: a 429/5xx must not revive it
            fresh.status = status
            fresh.last_error = error
            fresh.retry_after = retry_after
            fresh.claimed_by = None
            if status == OutboxStatus.SENT:
                fresh.sent_at = utcnow()
                fresh.telegram_message_id = message_id
                person = session.get(Person, fresh.person_id) if fresh.person_id is not None else None
                if person is not None and person.telegram_id == fresh.chat_id:
                    people.mark_activated(session=session, person=person)  # delivered: the chat is open (未激活 no more)
            if next_in is not None:
                fresh.next_attempt_at = utcnow() + timedelta(seconds=next_in)
            session.add(fresh)
            hook = (self.failure_hooks.get(fresh.ref_type or "") or FAILURE_HOOKS.get(fresh.ref_type or "")
                    or next(iter(DEFAULT_FAILURE_HOOK), None))
            if status == OutboxStatus.FAILED and hook is not None:
                try:
                    with session.begin_nested():
                        hook(session, fresh)
                except Exception:
                    log.exception("failure hook for %s %s failed", fresh.ref_type, fresh.ref_id)
        self._observe(fresh, status)
        self.wake()  # a retry to schedule, or a chat free again for its next row

    @staticmethod
    def _observe(row: OutboxMessage, status: str) -> None:
        observer = CHANGE_HOOKS.get(row.ref_type or "")
        if observer is not None and status in (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.CANCELLED):
            try:
                observer(row)
            except Exception:
                log.exception("change hook for %s %s failed", row.ref_type, row.ref_id)

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
