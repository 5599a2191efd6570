"""Binding accounts, the menu, help, cancel, invites and the public zone division."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.helpers import create_deep_linked_url

import texts
from db import people
from db.models import Role
from handlers import keyboards
from handlers.common import esc, requires, zones_text
from handlers.context import Actor, BotContext
from knowledge.roster import normalize_phone


async def start(update: Update, context: BotContext) -> None:
    """Greet a bound user, bind by invite payload, or ask a stranger for their phone number."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_text(texts.ONLY_PRIVATE)
        return
    payload = context.args[0] if context.args else ""
    if payload.startswith("inv_"):
        with context.db.session() as session:
            person = people.use_invite(session=session, token=payload[4:], telegram_id=update.effective_user.id)
            actor = Actor.from_person(person) if person else None
        if actor is None:
            await message.reply_text(texts.INVITE_BAD)
            return
        await _welcome_bound(update, actor)
        return
    actor = context.actor
    if actor is None:
        with context.db.session() as session:  # a deactivated officer is told so, not asked to bind again
            known = people.by_telegram_id(session=session, telegram_id=update.effective_user.id)
            first = texts.DEACTIVATED if known is not None and not known.active else texts.STRANGER
        await message.reply_text(f"{first}\n\n{zones_text()}", reply_markup=keyboards.share_contact())
        return
    await message.reply_text(texts.WELCOME_BACK.format(name=esc(actor.name)), reply_markup=keyboards.main_menu(actor.role))


async def contact(update: Update, context: BotContext) -> None:
    """Bind by a shared contact, only the sender's own and only a phone on the roster."""
    message = update.effective_message
    assert message is not None and message.contact is not None and update.effective_user is not None
    shared = message.contact
    if shared.user_id != update.effective_user.id:
        await message.reply_text(texts.CONTACT_NOT_OWN)
        return
    phone = normalize_phone(shared.phone_number)
    deactivated = False
    actor = None
    with context.db.session() as session:
        person = people.by_phone(session=session, phone=phone) if phone else None
        if person is not None and not person.active:
            deactivated = True
        elif person is not None:
            people.bind(session=session, person=person, telegram_id=update.effective_user.id, how="contact")
            actor = Actor.from_person(person)
    if deactivated:
        await message.reply_text(texts.CONTACT_DEACTIVATED)
        return
    if actor is None:
        masked = (phone or shared.phone_number or "")[:3] + "****" + (phone or "")[-4:]
        await message.reply_text(texts.CONTACT_NOT_ON_ROSTER.format(phone=esc(masked)))
        return
    await _welcome_bound(update, actor)


async def _welcome_bound(update: Update, actor: Actor) -> None:
    place = f"，{actor.street}" if actor.street else (f"，{actor.zone}（区直）" if actor.zone else "")
    text = texts.BIND_OK.format(name=esc(actor.name), role=texts.ROLE_NAMES[actor.role], place=place)
    assert update.effective_message is not None
    await update.effective_message.reply_text(text, reply_markup=keyboards.main_menu(actor.role))


async def help_command(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    text = texts.HELP
    if actor.has(Role.COORDINATOR):
        text += "\n" + texts.HELP_COORDINATOR
    elif actor.role == Role.LEGAL:  # only what a reviewer may use: the coordinators' list was refused
        text += "\n" + texts.HELP_LEGAL
    if actor.role == Role.ADMIN:
        text += "\n" + texts.HELP_ADMIN
    assert update.effective_message is not None
    await update.effective_message.reply_text(text, reply_markup=keyboards.main_menu(actor.role))


async def menu(update: Update, context: BotContext) -> None:
    actor = context.require_actor()
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.MENU_SHOWN, reply_markup=keyboards.main_menu(actor.role))


async def zones(update: Update, context: BotContext) -> None:
    """The zone division is public: strangers may read it too."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(zones_text())


async def cancel(update: Update, context: BotContext) -> None:
    """Reached only outside any conversation (conversations have their own /cancel)."""
    assert update.effective_message is not None
    actor = context.actor
    markup = keyboards.main_menu(actor.role) if actor else None
    await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL, reply_markup=markup)


@requires(Role.ADMIN)
async def invite(update: Update, context: BotContext) -> None:
    """/invite <phone>: a one-time deep link for someone whose Telegram phone differs."""
    message = update.effective_message
    assert message is not None
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_text(texts.GROUP_PRIVATE_ONLY)  # the link makes whoever opens it first that person
        return
    phone = normalize_phone(" ".join(context.args or []))
    if phone is None:
        await message.reply_text(texts.INVITE_USAGE)
        return
    actor = context.require_actor()
    token = name = None
    with context.db.session() as session:
        person = people.by_phone(session=session, phone=phone)
        if person is not None:
            token = people.create_invite(session=session, phone=phone, created_by=actor.person_id).token
            name = person.name
    if token is None:
        await message.reply_text(texts.INVITE_NOT_ON_ROSTER.format(phone=phone))
        return
    link = create_deep_linked_url(context.bot.username, "inv_" + token)
    await message.reply_text(texts.INVITE_CREATED.format(name=esc(name), phone=phone, link=esc(link)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(MessageHandler(filters.Text([texts.MENU_HELP]), help_command))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CommandHandler("zones", zones))
    app.add_handler(CommandHandler("invite", invite))


def register_fallbacks(app: Application) -> None:
    """Registered after every feature: /cancel outside conversations, unknown input."""
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, unsupported))
    app.add_handler(CallbackQueryHandler(stale_button))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no feature claims: forged, or from a flow that no longer exists."""
    assert update.callback_query is not None
    await update.callback_query.answer(texts.FORGED_BUTTON, show_alert=True)


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


async def unsupported(update: Update, context: BotContext) -> None:
    """Stickers, voice, stray photos: say what the bot understands instead of staying silent."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNSUPPORTED_MESSAGE)
