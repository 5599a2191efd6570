"""Fault knobs and update delivery: each must reach PTB as its real exception or behaviour."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator, Faults

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def two_chats(driver: Driver) -> tuple[int, int]:
    await driver.user(1001, "张三").send_text("在")
    await driver.user(1002, "李四").send_text("在")
    return 1001, 1002


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read RetryAfter.retry_after as a timedelta (PTB's forward behaviour, no warning)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_per_chat_limit_gives_retry_after_and_blocks_that_chat_only(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    first, second = two_chats
    emu.faults.per_chat_per_second = 1
    await bot.send_message(first, "一")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(first, "二")
    assert refused.value.retry_after.total_seconds() == 1
    await bot.send_message(second, "别的聊天不受影响")
    with pytest.raises(RetryAfter):
        await bot.send_message(first, "仍在冷却")
    await asyncio.sleep(1.05)
    await bot.send_message(first, "冷却结束")
    assert [m.text for m in emu.messages(first)] == ["一", "冷却结束"]
    assert emu.stats.answered_429 == 2


async def test_burst_allows_extra_sends_in_the_window(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    emu.faults.per_chat_per_second = 1
    emu.faults.per_chat_burst = 2
    for text in ("一", "二", "三"):
        await bot.send_message(two_chats[0], text)
    with pytest.raises(RetryAfter):
        await bot.send_message(two_chats[0], "四")


async def test_global_limit_refuses_every_chat_until_retry_after(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    emu.faults.global_per_second = 2
    await bot.send_message(two_chats[0], "一")
    await bot.send_message(two_chats[1], "二")
    with pytest.raises(RetryAfter):
        await bot.send_message(two_chats[0], "三")
    with pytest.raises(RetryAfter):
        await bot.send_message(two_chats[1], "四")


async def test_group_limit_per_minute(bot: Bot, emu: BotApiEmulator, driver: Driver) -> None:
    group = driver.group(-1001, "江南新区片区群")
    emu.faults.per_group_per_minute = 2
    await bot.send_message(group.chat_id, "一")
    await bot.send_message(group.chat_id, "二")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.chat_id, "三")
    assert 58 <= refused.value.retry_after.total_seconds() <= 60


async def test_random_429_and_5xx_are_reproducible_with_a_seed(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    async def outcomes() -> list[str]:
        emu.reset_faults(Faults(random_429_rate=0.3, random_5xx_rate=0.2, retry_after_range=(1, 3), seed=7))
        found = []
        for _ in range(12):
            try:
                await bot.send_message(two_chats[0], "x")
                found.append("ok")
            except RetryAfter as error:
                found.append(f"429:{int(error.retry_after.total_seconds())}")
                emu.clear_flood_state()
            except NetworkError as error:
                assert "Bad Gateway" in str(error)
                found.append("502")
        return found

    first = await outcomes()
    assert await outcomes() == first
    assert {"ok", "502"} <= set(first) and any(o.startswith("429:") for o in first)
    assert emu.stats.answered_5xx == 2 * first.count("502")


async def test_network_down_raises_network_error_then_recovers(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    emu.faults.network_down = True
    with pytest.raises(NetworkError):
        await bot.send_message(two_chats[0], "发不出去")
    with pytest.raises(NetworkError):
        await bot.get_updates(timeout=0)
    emu.faults.network_down = False
    await bot.send_message(two_chats[0], "恢复")
    assert [m.text for m in emu.messages(two_chats[0])] == ["恢复"]
    assert emu.stats.network_aborts == 2


async def test_latency_applies_after_the_message_is_accepted(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    emu.faults.latency = 0.3
    started = time.monotonic()
    with pytest.raises(NetworkError):  # TimedOut is a NetworkError
        await bot.send_message(two_chats[0], "慢", read_timeout=0.1)
    assert time.monotonic() - started < 0.3
    assert [m.text for m in emu.messages(two_chats[0])] == ["慢"]  # sent although the client gave up


async def test_fail_next_hits_the_nth_matching_call(bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]) -> None:
    emu.fail_next("sendMessage", 429, retry_after=3600, skip=1)
    emu.fail_next("sendMessage", 403, "Forbidden: user is deactivated", chat_id=two_chats[1])
    await bot.send_message(two_chats[0], "第一条")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(two_chats[0], "第二条")
    assert refused.value.retry_after.total_seconds() == 3600
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(two_chats[1], "第三条")
    await bot.send_message(two_chats[1], "第四条")


async def test_sent_log_records_accepted_sends_and_edits(
    bot: Bot, emu: BotApiEmulator, two_chats: tuple[int, int]
) -> None:
    sent = await bot.send_message(two_chats[0], "原")
    await bot.edit_message_text("改", chat_id=two_chats[0], message_id=sent.message_id)
    with pytest.raises(BadRequest):
        await bot.send_message(two_chats[0], "")
    assert [(r.method, r.text) for r in emu.sent_log] == [("sendMessage", "原"), ("editMessageText", "改")]


async def test_second_get_updates_ends_the_waiting_one_with_conflict(bot: Bot, emu: BotApiEmulator) -> None:
    async with Bot("123456:TEST_token-for_sandbox", base_url=emu.base_url) as other:
        waiting = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        assert await other.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(waiting, 2)


async def test_updates_wait_in_the_queue_until_confirmed_by_offset(
    bot: Bot, driver: Driver, emu: BotApiEmulator
) -> None:
    user = driver.user(1001, "张三")
    for text in ("一", "二", "三"):
        await user.send_text(text)
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in first] == ["一", "二"]
    again = await bot.get_updates(timeout=0)
    assert [u.message.text for u in again] == ["一", "二", "三"]
    rest = await bot.get_updates(offset=again[1].update_id + 1, timeout=0)
    assert [u.message.text for u in rest] == ["三"]
    assert await bot.get_updates(offset=rest[0].update_id + 1, timeout=0) == ()
    assert len(emu.confirmed_updates) == 3


async def test_long_poll_returns_as_soon_as_a_user_writes(bot: Bot, driver: Driver) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await driver.user(1001, "张三").send_text("到了吗")
    updates = await asyncio.wait_for(polling, 2)
    assert [u.message.text for u in updates] == ["到了吗"]
    assert time.monotonic() - started < 0.5


async def test_webhook_gets_updates_with_secret_and_blocks_get_updates(
    bot: Bot, driver: Driver, emu: BotApiEmulator
) -> None:
    received: list[tuple[str | None, dict]] = []
    status = {"code": 403}

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=status["code"])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    emu.webhook_retry_delay = 0.05
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret_X")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        await driver.user(1001, "张三").send_text("走网络钩子")
        for _ in range(100):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.02)
        status["code"] = 200
        for _ in range(100):
            if emu.webhook_deliveries and emu.webhook_deliveries[-1].status == 200:
                break
            await asyncio.sleep(0.02)
        assert received[0][0] == "s3cret_X" and received[0][1]["message"]["text"] == "走网络钩子"
        assert emu.webhook_deliveries[0].status == 403 and emu.webhook_deliveries[-1].status == 200
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and "403" in (info.last_error_message or "")
        assert await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


async def test_requeue_confirmed_redelivers_the_same_update_ids(bot: Bot, driver: Driver, emu: BotApiEmulator) -> None:
    user = driver.user(1001, "张三")
    await user.send_text("一")
    await user.send_text("二")
    first = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()
    emu.requeue_confirmed(2)
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first]
