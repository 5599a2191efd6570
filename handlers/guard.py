"""The one gate every update passes (group -2): dedupe, who is this, strangers.

Authorization lives here and in each handler's own re-check, never in hidden buttons.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlmodel import select
from telegram import Message, Update
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

# Group chats get only what is meant for a group: the public zone division, item lookup (the
# catalogue is public; its buttons answer in private) and /start (which points to the private
# chat). Everything else is private BY DEFAULT, so a new command never leaks into a group:
# names, certificates, GPS, statistics, invite links and boards stay in private chats.
GROUP_COMMANDS = frozenset({"start", "zones", "lookup"})
GROUP_CALLBACK_FEATURES = frozenset({"lk"})


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
            now = utcnow()
            fresh = [{"update_id": u, "at": now} for u in dict.fromkeys(batch) if u not in known]
            if fresh:  # one executemany: an ORM object per update cost ~2% of a burst's CPU (py-spy)
                session.execute(insert(ProcessedUpdate), fresh)
            session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.at < utcnow() - timedelta(days=2)))  # type: ignore[call-overload]


class TurnAwayLimit:
    """At most `most` refusals per stranger per `window` seconds. Each refusal is a message the bot
    must send, from the same ~30/s that officers' notices need: without a limit, fifteen strangers
    at the flood gate's 20 updates / 10 s would use it all. Callback alerts and empty inline
    answers are not messages and are not limited."""

    def __init__(self, most: int = 5, window: float = 60.0, max_users: int = 10_000) -> None:
        self.most, self.window, self.max_users = most, window, max_users
        self._sent: dict[int, list[float]] = {}

    def allow(self, user_id: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        recent = [t for t in self._sent.get(user_id, ()) if now - t < self.window]
        if len(recent) >= self.most:
            self._sent[user_id] = recent
            return False
        if user_id not in self._sent and len(self._sent) >= self.max_users:  # forget the quiet (bounded memory)
            self._sent = {u: ts for u, ts in self._sent.items() if now - ts[-1] < self.window}
            if len(self._sent) >= self.max_users:
                return False
        self._sent[user_id] = [*recent, now]
        return True


def _is_public(update: Update) -> bool:
    message = update.message
    if message is None:
        return False
    if message.contact is not None:
        return True
    text = (message.text or "").strip()
    return any(text == cmd or text.startswith(cmd + " ") or text.startswith(cmd + "@") for cmd in PUBLIC_COMMANDS)


def _outside_private(update: Update) -> bool:
    """True for updates from a group, supergroup or channel, and for buttons on inline messages."""
    if update.callback_query is not None and update.callback_query.message is None:
        return True  # a button under a message sent in inline mode: it lives in some other chat
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def group_verdict(update: Update, bot_username: str | None) -> str:
    """For an update outside a private chat: 'pass' (meant for groups), 'private' (answer
    「请私聊机器人使用此功能」) or 'ignore' (group chatter, other bots' commands, member changes)."""
    query = update.callback_query
    if query is not None:
        feature = (query.data or "").split(":", 1)[0]
        return "pass" if feature in GROUP_CALLBACK_FEATURES else "private"
    message = update.message
    if message is None or message.text is None:
        return "ignore"  # edits, member changes, photos, locations, contacts: nothing for groups
    text = message.text.strip()
    if text in keyboards.MENU_TEXTS:
        return "private"  # someone typed a main-menu word into the group
    if not text.startswith("/"):
        return "ignore"
    name, _, addressee = text.split(maxsplit=1)[0][1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return "ignore"  # another bot's command
    return "pass" if name.lower() in GROUP_COMMANDS else "private"


async def _private_only(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.GROUP_PRIVATE_ONLY, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(texts.GROUP_PRIVATE_ONLY)


def _resolve_actor(db: Database, user_id: int, full_name: str, admin_ids: frozenset[int]) -> tuple[Actor | None, bool]:
    """(actor, known-but-deactivated). The roster decides; ADMIN_TELEGRAM_IDS only bootstraps:
    it counts for ids of nobody on the roster, and for active people while the roster has no
    active admin. A deactivated person is never an admin (an admin who left keeps nothing).
    The roster read is a plain query (no session, never cached), so a deactivation bites at once."""
    person = people.row_by_telegram_id(db, user_id)
    if person is not None and not person.active:
        return None, True
    if person is None:
        if user_id in admin_ids:
            return Actor(telegram_id=user_id, person_id=None, name=full_name, role=Role.ADMIN,
                         street=None, zone=None, department=None), False
        return None, False
    actor = Actor.from_person(person)
    if not person.activated:
        people.mark_activated_by_id(db, person.id)  # wrote to the bot: no longer 未激活
    if actor.role != Role.ADMIN and user_id in admin_ids:
        with db.session() as session:
            bootstrap = not people.has_active_admin(session=session)
        if bootstrap:
            actor = dataclasses.replace(actor, role=Role.ADMIN)
    return actor, False


async def guard(update: Update, context: BotContext) -> None:
    """Resolve the actor or stop the update; runs before every feature handler."""
    services = context.services
    if not context.bot_data["dedupe"].first_time(update.update_id):
        log.info("update %s seen before; skipped", update.update_id)
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    group = group_verdict(update, context.bot.username) if _outside_private(update) else "pass"
    if group == "ignore":
        raise ApplicationHandlerStop  # ordinary group chatter costs no database query
    if update.edited_message is not None and update.edited_message.location is not None:
        raise ApplicationHandlerStop  # a live location moving, every few seconds: no query, no reply
    # Flood control happens earlier, in the update processor (handlers/flood.py), before a slot is taken.
    actor, deactivated = _resolve_actor(services.db, user.id, user.full_name, services.settings.admin_ids)
    context.actor = actor
    if update.edited_message is not None:
        await _edited(update.edited_message, known=actor is not None)
        raise ApplicationHandlerStop
    if actor is None and not _is_public(update):
        await _turn_away(update, deactivated=deactivated, limit=context.bot_data["turn_away"])
        raise ApplicationHandlerStop
    if group == "private":
        await _private_only(update)
        raise ApplicationHandlerStop


async def _edited(message: Message, *, known: bool) -> None:
    """An edit is never new input: an edited command would run twice (/plan add adds twice) and an
    edited case description would fall through to a lookup. A bound user who corrects a text is
    told to send it again; strangers' edits get no reply at all (each reply to a stranger is one more message the bot must send)."""
    if known and message.chat.type == ChatType.PRIVATE:
        await message.reply_text(texts.EDIT_IGNORED)


async def _turn_away(update: Update, *, deactivated: bool, limit: TurnAwayLimit) -> None:
    """Strangers learn the public zone division and how to bind: nothing else."""
    chat = update.effective_chat
    user = update.effective_user
    if update.inline_query is not None:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif update.callback_query is not None:
        await update.callback_query.answer(texts.STRANGER_CALLBACK, show_alert=True)
    elif (chat is not None and chat.type == ChatType.PRIVATE and update.effective_message is not None
          and user is not None and limit.allow(user.id)):
        first = texts.DEACTIVATED if deactivated else texts.STRANGER
        await update.effective_message.reply_text(
            f"{first}\n\n{zones_text()}", reply_markup=keyboards.share_contact()
        )


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), group=-2)
