"""The weekly summary (WEEKLY_SUMMARY_CRON, default Monday 08:30 local) to coordinators and admins.

A periodic clock scan: on the first tick at or after the scheduled moment it computes last week's
figures per scope (each coordinator's zone; the whole district for admins), renders one chart per
scope, stores it in `weeklysummary` and enqueues one send_photo per recipient, all in one
transaction. The unique (week, scope) row and the outbox dedupe keys make that happen once per
week, whatever restarts; a bot that was down at 08:30 sends it on its first tick within a day,
marked 「补发」 (later: recorded as missed). A fresh database starts with the next moment. The delivery worker reads the stored PNG back through a payload loader.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

import texts
from config import Settings
from db import outbox
from db.engine import Database
from db.models import Person, Role
from db.reports import WeeklySummary, compute_stats
from jobs import clock, delivery
from knowledge.stats import PeriodKind, StatsScope, WeeklyAt, parse_weekly, period_of, summary_text, week_key

log = logging.getLogger(__name__)

REF_TYPE = "weekly"
DISTRICT = texts.STATS_ALL_DISTRICT
LATE_AFTER = timedelta(minutes=30)  # sent later than this after the moment: marked 「补发」
MISSED_AFTER = timedelta(days=1)  # later than this: recorded as missed, not sent (stale figures)
NOT_SENT = "-"  # scope key of a marker row: the week was skipped (fresh install, or missed)


def recipients_by_scope(*, session: Session, admin_ids: frozenset[int] = frozenset()) -> dict[str, list[tuple[int, int | None]]]:
    """scope key -> [(chat id, person id)]: active bound coordinators by zone; admins (roster or
    ADMIN_TELEGRAM_IDS) get the district."""
    scopes: dict[str, list[tuple[int, int | None]]] = {}
    people = session.exec(
        select(Person).where(Person.active == True, Person.telegram_id != None,  # noqa: E711, E712
                             Person.role.in_([Role.COORDINATOR, Role.ADMIN]))  # type: ignore[attr-defined]
        .order_by(Person.id)
    ).all()
    seen: set[int] = set()
    for person in people:
        assert person.telegram_id is not None
        key = DISTRICT if person.role == Role.ADMIN or not person.zone else person.zone
        scopes.setdefault(key, []).append((person.telegram_id, person.id))
        seen.add(person.telegram_id)
    for chat_id in sorted(admin_ids - seen):
        scopes.setdefault(DISTRICT, []).append((chat_id, None))
    return scopes


def run_weekly(*, session: Session, now: datetime, settings: Settings, schedule: WeeklyAt) -> int:
    """Create this week's summaries when due and not yet made; returns how many were queued."""
    tz = settings.tz
    due = schedule.latest_due(now, tz)
    week = week_key(due, tz)
    if session.exec(select(WeeklySummary.id).where(WeeklySummary.week == week)).first() is not None:
        return 0
    fresh_install = session.exec(select(WeeklySummary.id)).first() is None
    if fresh_install or now - due > MISSED_AFTER:
        # A new database starts with the next scheduled moment; a week missed by more than a day
        # stays missed (the marker row keeps later ticks from trying again).
        session.add(WeeklySummary(week=week, scope_key=NOT_SENT, caption=""))
        log.info("weekly summary %s not sent (%s)", week, "fresh install" if fresh_install else "missed")
        return 0
    scopes = recipients_by_scope(session=session, admin_ids=settings.admin_ids)
    if not scopes:
        return 0
    from knowledge.charts import render_stats_png  # matplotlib only when a summary is due

    period = period_of(PeriodKind.LAST_WEEK, due.date())
    late = now - due > LATE_AFTER
    queued = 0
    for key, chats in scopes.items():
        scope = StatsScope(zone=None if key == DISTRICT else key)
        stats = compute_stats(session=session, scope=scope, period=period, now=due, tz=tz)
        caption = texts.WEEKLY_CAPTION.format(week=week, summary=summary_text(stats))
        if late:
            caption = texts.WEEKLY_CAPTION_LATE + caption
        try:
            png: bytes | None = render_stats_png(stats)
        except Exception:  # a broken chart must not stop the text summary
            log.exception("weekly chart for %s failed; sending text only", key)
            png = None
        summary = WeeklySummary(week=week, scope_key=key, caption=caption, png=png, recipients=len(chats))
        session.add(summary)
        session.flush()
        for chat_id, person_id in chats:
            method, payload = ("send_photo", {"caption": caption, "summary_id": summary.id}) if png else \
                ("send_message", {"text": caption})
            row = outbox.enqueue(session=session, chat_id=chat_id, person_id=person_id, method=method,
                                 payload=payload, ref_type=REF_TYPE, ref_id=summary.id,
                                 dedupe_key=f"weekly:{week}:{chat_id}")
            queued += row is not None
    log.info("weekly summary %s queued for %d chats", week, queued)
    return queued


def load_payload(db: Database, payload: dict[str, Any]) -> dict[str, Any]:
    """Outbox payload -> send_photo arguments: the stored PNG replaces its summary id."""
    summary_id = payload.pop("summary_id", None)
    if summary_id is None:
        return payload
    with db.session() as session:
        summary = session.get(WeeklySummary, summary_id)
        png = summary.png if summary is not None else None
    if png is None:
        return {"text": payload.get("caption", "")}
    return payload | {"photo": png}


class WeeklyScan:
    """The periodic scan bound to the settings (clock scans get only (session, now))."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.schedule = parse_weekly(settings.weekly_summary_cron)
        self.__name__ = "weekly_summary"

    def __call__(self, session: Session, now: datetime) -> None:
        run_weekly(session=session, now=now, settings=self.settings, schedule=self.schedule)


_installed: WeeklyScan | None = None


def install(settings: Settings) -> None:
    """Register (or re-bind, for a second Application in one process) the scan and the loader."""
    global _installed
    if _installed is not None and _installed in clock._PERIODIC:
        clock._PERIODIC.remove(_installed)
    _installed = WeeklyScan(settings)
    clock.register_periodic(_installed)
    delivery.register_payload_loader(REF_TYPE, load_payload)
