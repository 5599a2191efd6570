"""Telegram's validation, seen through PTB's real exceptions."""

from __future__ import annotations

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden

from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator

pytestmark = pytest.mark.asyncio

USER_ID = 1001


@pytest_asyncio.fixture
async def chat_id(driver: Driver) -> int:
    """A user who has written to the bot, so their chat exists."""
    await driver.user(USER_ID, "张三").send_text("你好")
    return USER_ID


async def test_get_me_reports_the_token_id_and_username(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "lc_enforce_bot", True)


async def test_text_limit_is_4096_characters(bot: Bot, chat_id: int, emu: BotApiEmulator) -> None:
    sent = await bot.send_message(chat_id, "执" * 4096)
    assert len(sent.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat_id, "执" * 4097)
    assert [m.message_id for m in emu.messages(chat_id)] == [sent.message_id]


async def test_limit_counts_text_after_html_parsing(bot: Bot, chat_id: int) -> None:
    sent = await bot.send_message(chat_id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(sent.text) == 4096


async def test_text_empty_after_parsing_is_refused(bot: Bot, chat_id: int) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat_id, "<b> </b>", parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    "html",
    ["用户输入 <script>", "a < b", "价格 & 数量", "<b>未闭合", "<b>交错<i>标签</b></i>", '<span class="x">s</span>'],
)
async def test_invalid_html_is_refused_like_telegram(bot: Bot, chat_id: int, html: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)


async def test_escaped_html_gives_plain_text_and_utf16_entities(bot: Bot, chat_id: int, emu: BotApiEmulator) -> None:
    html = '😀<b>已赋权</b> &lt;x&gt; &amp; <a href="https://example.org">链接</a> <tg-spoiler>s</tg-spoiler>'
    sent = await bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)
    assert sent.text == "😀已赋权 <x> & 链接 s"
    kinds = [(e.type, e.offset, e.length) for e in sent.entities]
    assert kinds == [("bold", 2, 3), ("text_link", 12, 2), ("spoiler", 15, 1)]
    assert emu.messages(chat_id)[-1].source == html


async def test_caption_limit_is_1024(bot: Bot, chat_id: int) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(chat_id, b"\x89PNG\r\n\x1a\n", caption="字" * 1025)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, chat_id: int) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="查" * 21)]])  # 63 bytes
    await bot.send_message(chat_id, "通知", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(chat_id, "通知", reply_markup=too_long)


async def test_inline_button_without_action_is_refused(bot: Bot, chat_id: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("只有文字")]])
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await bot.send_message(chat_id, "x", reply_markup=markup)


async def test_request_contact_button_only_in_private_chats(bot: Bot, chat_id: int, driver: Driver) -> None:
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True)]])
    await bot.send_message(chat_id, "请分享", reply_markup=keyboard)
    group = driver.group(-100200, "老城区片区群")
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await bot.send_message(group.chat_id, "请分享", reply_markup=keyboard)


async def test_edit_errors_not_found_and_not_modified(bot: Bot, chat_id: int) -> None:
    sent = await bot.send_message(chat_id, "<b>原文</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("新", chat_id=chat_id, message_id=sent.message_id + 50)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>原文</b>", chat_id=chat_id, message_id=sent.message_id, parse_mode=ParseMode.HTML
        )


async def test_edit_keeps_history_and_drops_keyboard_when_omitted(bot: Bot, chat_id: int, emu: BotApiEmulator) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="ack:1")]])
    sent = await bot.send_message(chat_id, "通知", reply_markup=markup)
    edited = await bot.edit_message_text("已收到", chat_id=chat_id, message_id=sent.message_id)
    assert edited.reply_markup is None and edited.edit_date is not None
    record = emu.messages(chat_id)[-1]
    assert record.text == "已收到" and record.reply_markup is None
    assert [old["text"] for old in record.edits] == ["通知"]


async def test_user_never_wrote_means_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "你好")


async def test_blocked_user_gives_forbidden(bot: Bot, chat_id: int, emu: BotApiEmulator) -> None:
    emu.faults.blocked_user_ids.add(chat_id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat_id, "你好")
    assert emu.messages(chat_id) == []


async def test_unknown_callback_query_id_is_too_old(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("999")


async def test_inline_answer_with_more_than_50_results_is_refused(
    bot: Bot, driver: Driver, emu: BotApiEmulator
) -> None:
    user = driver.user(USER_ID, "张三")
    query_id = emu.new_query_id("inline", user.user_id)
    results = [InlineQueryResultArticle(str(i), "标题", InputTextMessageContent("内容")) for i in range(51)]
    with pytest.raises(BadRequest, match="Results_too_much"):
        await bot.answer_inline_query(query_id, results)
    assert await bot.answer_inline_query(query_id, results[:50])


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", {"chat_id": 1})


async def test_commands_are_kept_per_scope(bot: Bot) -> None:
    await bot.set_my_commands([("start", "开始"), ("help", "帮助")])
    await bot.set_my_commands([("stats", "统计")], scope={"type": "chat", "chat_id": 7})
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope={"type": "chat", "chat_id": 7})] == ["stats"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("查询", "中文命令不允许")])
