"""Error handler: log with context (never the token), tell the user, never crash."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application

import texts
from handlers.context import BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    who = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    kind = type(update).__name__
    log.error("error handling %s from user %s: %r", kind, who, context.error, exc_info=context.error)
    if isinstance(context.error, Forbidden) or not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.SYSTEM_ERROR, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.SYSTEM_ERROR)
    except Exception:  # the error handler must not raise itself
        log.warning("could not tell user %s about the error", who)


def register(app: Application) -> None:
    app.add_error_handler(on_error)  # type: ignore[arg-type]
