"""The demo terminal chat, driven by scripted input against a tiny real PTB application."""

from __future__ import annotations

import datetime as dtm
import html
import io
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.emulator import BotApiEmulator
from sandbox.terminal import run_terminal_chat
from tests.sandbox.conftest import TOKEN

pytestmark = pytest.mark.asyncio

PERSONAS = {
    "officer": {"user_id": 1001, "first_name": "张三", "phone": "+8613800000001"},
    "coordinator": {"user_id": 1002, "first_name": "李四", "phone": "+8613800000002"},
}


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = ReplyKeyboardMarkup([["查询"], [KeyboardButton("分享手机号", request_contact=True)]])
    await update.message.reply_text("欢迎", reply_markup=keyboard)
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton("收到", callback_data="ack"), InlineKeyboardButton("无法参加", callback_data="no")]]
    )
    await update.message.reply_text("<b>集合通知</b> &amp; 说明", parse_mode=ParseMode.HTML, reply_markup=buttons)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("已记录")
    await query.edit_message_text("集合通知：" + ("已收到" if query.data == "ack" else "无法参加"))


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"绑定成功 {update.message.contact.phone_number}")


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    location = update.message.location
    await update.message.reply_text(f"位置 {location.latitude:.4f},{location.longitude:.4f}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    largest = update.message.photo[-1]
    data = await (await largest.get_file()).download_as_bytearray()
    await update.message.reply_text(f"收到图片 {largest.width}x{largest.height} {len(data)}字节")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"你说：<i>{html.escape(update.message.text)}</i>", parse_mode=ParseMode.HTML)


@pytest_asyncio.fixture
async def echo_app(emu: BotApiEmulator) -> AsyncIterator[Application]:
    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=0.1))
        yield app
        await app.updater.stop()
        await app.stop()


async def chat(emu: BotApiEmulator, script: str) -> str:
    out = io.StringIO()
    await run_terminal_chat(emu, PERSONAS, "officer", stdin=io.StringIO(script), stdout=out, quiet_period=0.15)
    return out.getvalue()


async def test_scripted_session_shows_buttons_keyboard_and_replies(emu: BotApiEmulator, echo_app: Application) -> None:
    script = "\n".join(
        [
            "/start",
            "1",
            "分享手机号",
            "k1",
            "a & <b>",
            ":loc 24.9139 118.5858",
            ":photo",
            "/as coordinator",
            "你好",
            "9",
        ]
    )
    output = await chat(emu, script + "\n")
    assert "[1] 收到  [2] 无法参加" in output
    assert "键盘: [k1] 查询  [k2] 分享手机号" in output
    assert "集合通知 & 说明" in output and "<b>" not in output.split("你说：")[0]
    assert "💬 提示：已记录" in output
    assert "（已编辑）\n  集合通知：已收到" in output
    assert "绑定成功 +8613800000001" in output
    assert "你说：查询" in output and "你说：a & <b>" in output
    assert "位置 24.9139,118.5858" in output
    assert "收到图片 8x8" in output
    assert "当前身份：coordinator（李四）" in output
    assert "🤖 机器人 → coordinator（李四）\n  你说：你好" in output
    assert "最新消息里没有第 9 个按钮" in output
    assert [m.text for m in emu.messages(1002)] == ["你说：你好"]


async def test_quit_stops_reading(emu: BotApiEmulator, echo_app: Application) -> None:
    output = await chat(emu, "你好\n:quit\n这一行不会发出\n")
    assert "你说：你好" in output and "再见" in output
    assert "这一行不会发出" not in output
    assert [m.text for m in emu.messages(1001)] == ["你说：你好"]
