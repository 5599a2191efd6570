"""The one gate every update passes (group -2): dedupe, flood control, who is this, strangers.

Authorization lives here and in each handler's own re-check, never in hidden buttons.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import select
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

import texts
from db import people
from db.engine import Database
from db.models import ProcessedUpdate, Role, utcnow
from handlers import keyboards
from handlers.common import zones_text
from handlers.context import Actor, BotContext

log = logging.getLogger(__name__)

# Commands a stranger may use: binding and the public zone division.
PUBLIC_COMMANDS = ("/start", "/zones")


class FloodGate:
    """Per-user sliding window: over the limit, one polite warning, the rest dropped."""

    def __init__(self, max_updates: int, window_seconds: float) -> None:
        self.max_updates = max_updates
        self.window = window_seconds
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._warned: dict[int, float] = {}

    def check(self, user_id: int, now: float | None = None) -> str:
        """Return 'ok', 'warn' (first excess in this window) or 'drop'."""
        now = time.monotonic() if now is None else now
        stamps = self._seen[user_id]
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        stamps.append(now)
        if len(stamps) <= self.max_updates:
            return "ok"
        if now - self._warned.get(user_id, -1e9) > self.window:
            self._warned[user_id] = now
            return "warn"
        return "drop"


class UpdateDeduper:
    """Update ids already handled, so a re-delivered update is handled once.

    Checked in memory (a write per update would cost an fsync on the hot path); new ids are
    persisted by the clock tick every few seconds and reloaded at start-up, so re-deliveries
    after a restart are caught too. Handlers stay idempotent for the last seconds before a crash.
    """

    KEEP = 20_000

    def __init__(self) -> None:
        self._seen: dict[int, None] = {}
        self._unsaved: list[int] = []

    def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        self._unsaved.append(update_id)
        if len(self._seen) > self.KEEP:
            for old in list(self._seen)[: self.KEEP // 4]:
                del self._seen[old]
        return True

    def load_recent(self, db: Database, hours: int = 24) -> None:
        since = utcnow() - timedelta(hours=hours)
        with db.session() as session:
            for update_id in session.exec(select(ProcessedUpdate.update_id).where(ProcessedUpdate.at >= since)).all():
                self._seen[update_id] = None

    def flush(self, db: Database) -> None:
        """Persist the ids seen since the last flush; drop rows older than two days."""
        batch, self._unsaved = self._unsaved, []
        if not batch:
            return
        with db.session() as session:
            known = set(session.exec(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(batch))).all())  # type: ignore[attr-defined]
            session.add_all([ProcessedUpdate(update_id=u) for u in dict.fromkeys(batch) if u not in known])
            session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.at < utcnow() - timedelta(days=2)))  # type: ignore[call-overload]


def _is_public(update: Update) -> bool:
    message = update.message
    if message is None:
        return False
    if message.contact is not None:
        return True
    text = (message.text or "").strip()
    return any(text == cmd or text.startswith(cmd + " ") or text.startswith(cmd + "@") for cmd in PUBLIC_COMMANDS)


async def guard(update: Update, context: BotContext) -> None:
    """Resolve the actor or stop the update; runs before every feature handler."""
    services = context.services
    if not context.bot_data["dedupe"].first_time(update.update_id):
        log.info("update %s seen before; skipped", update.update_id)
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    verdict = context.bot_data["flood"].check(user.id)
    if verdict != "ok":
        if verdict == "warn" and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            await context.bot.send_message(user.id, texts.FLOOD_WARNING)
        raise ApplicationHandlerStop

    with services.db.session() as session:
        person = people.by_telegram_id(session=session, telegram_id=user.id)
        actor = Actor.from_person(person) if person is not None and person.active else None
        if actor is not None and person is not None and person.activated_at is None:
            people.mark_activated(session=session, person=person)  # wrote to the bot: no longer 未激活
    if actor is None and user.id in services.settings.admin_ids:
        actor = Actor(telegram_id=user.id, person_id=None, name=user.full_name, role=Role.ADMIN,
                      street=None, zone=None, department=None)
    context.actor = actor
    if actor is not None or _is_public(update):
        return
    await _turn_away(update, deactivated=person is not None)
    raise ApplicationHandlerStop


async def _turn_away(update: Update, *, deactivated: bool) -> None:
    """Strangers learn the public zone division and how to bind: nothing else."""
    chat = update.effective_chat
    if update.inline_query is not None:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif update.callback_query is not None:
        await update.callback_query.answer(texts.STRANGER_CALLBACK, show_alert=True)
    elif chat is not None and chat.type == ChatType.PRIVATE and update.effective_message is not None:
        first = texts.DEACTIVATED if deactivated else texts.STRANGER
        await update.effective_message.reply_text(
            f"{first}\n\n{zones_text()}", reply_markup=keyboards.share_contact()
        )


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), group=-2)
