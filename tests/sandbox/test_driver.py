"""Driven users: their actions arrive as real-shaped updates, their reading sees the bot's replies."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.constants import MessageEntityType

from sandbox.driver import Driver, inline_buttons, reply_keyboard
from sandbox.emulator import BotApiEmulator
from sandbox.terminal import demo_png

pytestmark = pytest.mark.asyncio


async def only_update(bot: Bot) -> Update:
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    return updates[0]


async def test_command_arrives_with_bot_command_entity(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张", "三", username="zhangsan")
    await user.send_command("/start", args="bind")
    update = await only_update(bot)
    assert update.message.text == "/start bind"
    assert update.message.from_user.username == "zhangsan"
    assert update.message.chat.type == "private"
    entity = update.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == (MessageEntityType.BOT_COMMAND, 0, 6)


async def test_offline_message_keeps_its_date(bot: Bot, driver: Driver) -> None:
    yesterday = dtm.datetime.now(dtm.UTC).replace(microsecond=0) - dtm.timedelta(days=1)
    await driver.user(1001, "张三").send_text("昨天发的", date=yesterday)
    assert (await only_update(bot)).message.date == yesterday


async def test_contact_is_own_by_default_and_can_be_forged(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三", phone="+8613800000001")
    await user.share_contact()
    own = (await only_update(bot)).message.contact
    assert (own.phone_number, own.user_id) == ("+8613800000001", 1001)
    await user.share_contact(phone="13900000002", user_id=None)
    forged = (await only_update(bot)).message.contact
    assert (forged.phone_number, forged.user_id) == ("13900000002", None)


async def test_location_arrives(bot: Bot, driver: Driver) -> None:
    await driver.user(1001, "张三").send_location(24.9139, 118.5858, horizontal_accuracy=30)
    location = (await only_update(bot)).message.location
    assert (location.latitude, location.longitude, location.horizontal_accuracy) == (24.9139, 118.5858, 30)


async def test_photo_bytes_download_through_get_file(bot: Bot, driver: Driver) -> None:
    png = demo_png(400, 300)
    await driver.user(1001, "张三").send_photo(png, caption="现场", media_group_id="album1")
    message = (await only_update(bot)).message
    assert message.caption == "现场" and message.media_group_id == "album1"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (400, 300)
    telegram_file = await bot.get_file(largest.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == png


async def test_document_bytes_download(bot: Bot, driver: Driver) -> None:
    await driver.user(1001, "张三").send_document(b"a,b\n1,2\n", "roster.csv", "text/csv")
    document = (await only_update(bot)).message.document
    assert (document.file_name, document.mime_type) == ("roster.csv", "text/csv")
    assert bytes(await (await bot.get_file(document.file_id)).download_as_bytearray()) == b"a,b\n1,2\n"


async def test_bot_photo_upload_is_stored(bot: Bot, driver: Driver, emu: BotApiEmulator) -> None:
    await driver.user(1001, "张三").send_text("在")
    sent = await bot.send_photo(1001, demo_png(), caption="<b>回执</b>", parse_mode="HTML")
    record = emu.messages(1001)[-1]
    assert record.kind == "photo" and record.text == "回执"
    assert emu.files[record.file_id].data == demo_png()
    assert sent.photo[-1].file_id == record.file_id


async def test_press_sends_callback_query_and_returns_the_answer(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三")
    await user.send_text("在")
    await only_update(bot)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("收到", callback_data="ack:7:1"),
                InlineKeyboardButton("无法参加", callback_data="no:7:1"),
            ]
        ]
    )
    notice = await bot.send_message(1001, "集合通知", reply_markup=markup)
    assert inline_buttons(user.last) == [("收到", "ack:7:1"), ("无法参加", "no:7:1")]

    async def bot_side() -> None:
        query = (await only_update(bot)).callback_query
        assert query.data == "ack:7:1" and query.message.message_id == notice.message_id
        await bot.answer_callback_query(query.id, text="已确认", show_alert=True)
        await bot.edit_message_text("集合通知（已收到）", chat_id=1001, message_id=notice.message_id)

    answering = asyncio.create_task(bot_side())
    answer = await user.press("收到")
    await answering
    assert answer is not None and (answer.text, answer.show_alert) == ("已确认", True)
    edited = await user.wait_for_text("已收到")
    assert edited.message_id == notice.message_id and inline_buttons(edited) == []
    with pytest.raises(LookupError):
        await user.press("收到")


async def test_forged_press_reaches_the_bot_with_an_inaccessible_message(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三")
    answer = await user.press_forged("dispatch:ack:999", message_id=77, answer_timeout=0.05)
    assert answer is None
    query = (await only_update(bot)).callback_query
    assert query.data == "dispatch:ack:999" and query.message.message_id == 77
    assert query.message.date.timestamp() == 0  # InaccessibleMessage, as Telegram sends


async def test_inline_query_returns_the_bots_results(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三")

    async def bot_side() -> None:
        query = (await only_update(bot)).inline_query
        assert query.query == "占道"
        await bot.answer_inline_query(query.id, [])

    answering = asyncio.create_task(bot_side())
    assert await user.inline_query("占道") == []
    await answering


async def test_wait_for_sees_only_messages_after_the_last_action(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三")
    await user.send_text("一")
    await bot.send_message(1001, "旧回复")
    await user.send_text("二")
    with pytest.raises(AssertionError, match=r"arrived: \[\]"):
        await user.wait_for_text("旧回复", timeout=0.05)  # it came before the last action

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(1001, "新回复")

    replying = asyncio.create_task(reply_later())
    assert (await user.wait_for_text("新回复", timeout=2)).text == "新回复"
    await replying
    await user.expect_silence(0.05)
    await bot.send_message(1001, "多余")
    with pytest.raises(AssertionError, match="多余"):
        await user.expect_silence(0.05)


async def test_reply_keyboard_is_tracked_until_removed(bot: Bot, driver: Driver) -> None:
    user = driver.user(1001, "张三")
    await user.send_text("在")
    keyboard = ReplyKeyboardMarkup([["查询", "报线索"], [KeyboardButton("分享手机号", request_contact=True)]])
    await bot.send_message(1001, "主菜单", reply_markup=keyboard)
    assert reply_keyboard(user.last) == ["查询", "报线索", "分享手机号"]
    assert user.keyboard == ["查询", "报线索", "分享手机号"]
    await bot.send_message(1001, "已关闭", reply_markup={"remove_keyboard": True})
    assert user.keyboard == []


async def test_group_messages_and_group_reading(bot: Bot, driver: Driver) -> None:
    group = driver.group(-100300, "老城区片区群")
    user = driver.user(1001, "张三")
    await user.send_text("/stats@lc_enforce_bot", chat=group)
    message = (await only_update(bot)).message
    assert (message.chat.id, message.chat.type, message.chat.title) == (-100300, "group", "老城区片区群")
    assert message.entities[0].length == len("/stats@lc_enforce_bot")
    await bot.send_message(group.chat_id, "本周统计")
    assert (await group.wait_for_text("统计")).chat_id == -100300
    assert user.messages == []
