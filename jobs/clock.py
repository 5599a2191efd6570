"""The clock: one repeating tick finds due ClockItems in the database and hands them to their
kind's handler, which usually enqueues outbox rows. Nothing depends on in-memory jobs surviving.

Catch-up policy after downtime: an item found due late (more than LATE_AFTER after due_at, or due
before this process started) is still handled while its event has not started (the handler marks
the text 「补发」); once the event has started it is recorded as `missed` and `on_missed` of its kind
runs (e.g. tell the organiser). Each item is done once.

Precision: ClockRunner ticks every CLOCK_TICK_SECONDS and, after each tick, asks the database for
the next due_at and sets a one-shot JobQueue wake-up exactly then, so an item fires within
milliseconds of its due time without a fast repeating tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from sqlalchemy import func
from sqlmodel import Session, select

from db.engine import Database
from db.models import ClockItem, utcnow

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)  # found due later than this after due_at -> 「补发」


@dataclass(frozen=True)
class Firing:
    """What a handler learns about the firing: now, and whether it is a late catch-up."""

    now: datetime
    late: bool


ClockHandler = Callable[[Session, ClockItem, Firing], str | None]  # returns outcome or None = "sent"
MissedHandler = Callable[[Session, ClockItem, Firing], None]


@dataclass
class ClockKind:
    handle: ClockHandler
    on_missed: MissedHandler | None = None


KINDS: dict[str, ClockKind] = {}
_PERIODIC: list[Callable[[Session, datetime], None]] = []


def register_kind(kind: str, handle: ClockHandler, on_missed: MissedHandler | None = None) -> None:
    """Features call this at import time of their handler module."""
    KINDS[kind] = ClockKind(handle, on_missed)


def register_periodic(scan: Callable[[Session, datetime], None]) -> None:
    """A scan run on every tick (e.g. certificate expiry); must be idempotent."""
    if scan not in _PERIODIC:
        _PERIODIC.append(scan)


def schedule(
    *,
    session: Session,
    kind: str,
    due_at: datetime,
    ref_type: str | None = None,
    ref_id: str | int | None = None,
    person_id: int | None = None,
    event_at: datetime | None = None,
    payload: dict | None = None,
) -> ClockItem:
    item = ClockItem(
        kind=kind, due_at=due_at, ref_type=ref_type, ref_id=None if ref_id is None else str(ref_id),
        person_id=person_id, event_at=event_at, payload=payload or {},
    )
    session.add(item)
    return item


def cancel(*, session: Session, ref_type: str, ref_id: str | int, kind: str | None = None) -> int:
    """Cancel the not-yet-done items of one entity (e.g. a meeting moved or called off)."""
    query = select(ClockItem).where(
        ClockItem.ref_type == ref_type, ClockItem.ref_id == str(ref_id), ClockItem.done_at == None  # noqa: E711
    )
    if kind is not None:
        query = query.where(ClockItem.kind == kind)
    items = session.exec(query).all()
    now = utcnow()
    for item in items:
        item.done_at = now
        item.outcome = "cancelled"
        session.add(item)
    return len(items)


TICK_LIMIT = 500  # items handled per tick; more due ones are taken by an immediate next run


def tick(db: Database, now: datetime | None = None, *, limit: int = TICK_LIMIT, started_at: datetime | None = None) -> int:
    """Handle every due item, each in its own transaction; returns how many were handled.

    `started_at` (this process's start) makes an item that fell due while the bot was down late.
    """
    return run_due(db, now, limit=limit, started_at=started_at)[0]


def run_due(db: Database, now: datetime | None = None, *, limit: int = TICK_LIMIT,
            started_at: datetime | None = None) -> tuple[int, int]:
    """tick(), returning (handled, taken up): a failing item is taken up but not handled, and a
    tick that took up `limit` items has more waiting, whether or not some failed."""
    now = now or utcnow()
    with db.session() as session:
        due_ids = session.exec(
            select(ClockItem.id)
            .where(ClockItem.done_at == None, ClockItem.due_at <= now)  # noqa: E711
            .order_by(ClockItem.due_at)
            .limit(limit)
        ).all()
    handled = 0
    for item_id in due_ids:
        try:
            with db.session() as session:
                item = session.get(ClockItem, item_id, with_for_update=db.is_postgres)
                if item is None or item.done_at is not None:
                    continue
                _fire(session, item, now, started_at)
                handled += 1
        except Exception:
            log.exception("clock item %s failed; will retry next tick", item_id)
    for scan in _PERIODIC:
        try:
            with db.session() as session:
                scan(session, now)
        except Exception:
            log.exception("periodic scan %s failed", getattr(scan, "__name__", scan))
    return handled, len(due_ids)


def next_due_at(db: Database, after: datetime | None = None) -> datetime | None:
    """When the earliest not-done item (due after `after`, if given) falls due; None when none."""
    query = select(func.min(ClockItem.due_at)).where(ClockItem.done_at == None)  # noqa: E711
    if after is not None:
        query = query.where(ClockItem.due_at > after)
    with db.session() as session:
        return session.exec(query).one()


def _fire(session: Session, item: ClockItem, now: datetime, started_at: datetime | None = None) -> None:
    kind = KINDS.get(item.kind)
    late = now - item.due_at > LATE_AFTER or (started_at is not None and item.due_at < started_at)
    firing = Firing(now=now, late=late)
    if kind is None:
        log.error("no handler for clock kind %s", item.kind)
        item.outcome = "skipped"
    elif item.event_at is not None and late and item.event_at <= now:
        item.outcome = "missed"
        if kind.on_missed is not None:
            kind.on_missed(session, item, firing)
    else:
        item.outcome = kind.handle(session, item, firing) or ("late" if late else "sent")
    item.done_at = now
    session.add(item)


class ClockRunner:
    """Drives tick() from PTB's JobQueue: a repeating tick plus a precise one-shot at the next due_at."""

    def __init__(
        self,
        db: Database,
        *,
        tick_seconds: float,
        on_handled: Callable[[], None] | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.db = db
        self.tick_seconds = tick_seconds
        self.on_handled = on_handled
        self.started_at = started_at or utcnow()
        self._lock = asyncio.Lock()
        self._job_queue: Any = None
        self._wakeup: Any = None
        self._wakeup_at: datetime | None = None

    def start(self, job_queue: Any) -> None:
        self._job_queue = job_queue
        job_queue.run_repeating(
            self._run, interval=self.tick_seconds, first=0.5, name="clock",
            job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def poke(self) -> None:
        """Call after scheduling an item that may fall due before the next tick."""
        self._arm(utcnow())

    async def _run(self, _context: Any = None) -> None:
        async with self._lock:
            ticked_at = utcnow()
            handled, taken = await asyncio.to_thread(run_due, self.db, limit=TICK_LIMIT, started_at=self.started_at)
            if handled and self.on_handled is not None:
                self.on_handled()
            # Items due at this tick and still open failed: they wait for the next regular tick
            # (re-arming for them would retry every few milliseconds); the next wake-up is for later ones.
            upcoming = await asyncio.to_thread(next_due_at, self.db, ticked_at)
        if taken >= TICK_LIMIT:  # more were due than one tick takes: go on at once
            self._arm(utcnow())
        elif upcoming is not None and upcoming - utcnow() < timedelta(seconds=self.tick_seconds * 1.5):
            self._arm(upcoming)

    def _arm(self, at: datetime) -> None:
        """One pending one-shot at most: keep the earlier of the armed time and `at`."""
        if self._job_queue is None:
            return
        now = utcnow()
        at = max(at, now)
        if self._wakeup is not None and self._wakeup_at is not None and now < self._wakeup_at <= at:
            return
        if self._wakeup is not None and self._wakeup_at is not None and self._wakeup_at > now:
            try:
                self._wakeup.schedule_removal()
            except JobLookupError:  # it fired meanwhile
                pass
        self._wakeup_at = at
        self._wakeup = self._job_queue.run_once(
            self._run, when=at + timedelta(milliseconds=5), name="clock-wakeup",
            job_kwargs={"misfire_grace_time": None},
        )
