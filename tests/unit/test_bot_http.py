"""The bot's aiohttp request (bot_http.py) keeps PTB's contract against the sandbox Bot API:
answers, Telegram errors, dropped connections, timeouts, uploads, and a bound on requests in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
import pytest_asyncio
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot_http import AiohttpRequest
from sandbox.emulator import BotApiEmulator

TOKEN = "4242424242:AAF-bot-http-test-token-xyz"


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    await emulator.start()
    for user_id in (1, 2):
        emulator.register_user({"id": user_id, "is_bot": False, "first_name": f"u{user_id}"})
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url,
                   request=AiohttpRequest(in_flight=4)) as real_bot:
        yield real_bot


async def test_sends_and_edits_arrive_with_html_and_markup(bot: Bot, emu: BotApiEmulator) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    sent = await bot.send_message(1, "<b>占道</b> 经营 &amp; 油烟", parse_mode="HTML",
                                  reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("更多", callback_data="x:1")]]))
    assert sent.text == "占道 经营 & 油烟" and sent.reply_markup is not None
    await bot.edit_message_text("改过", chat_id=1, message_id=sent.message_id)
    assert [m.text for m in emu.messages(1)] == ["改过"]


async def test_at_most_in_flight_requests_at_once(bot: Bot, emu: BotApiEmulator) -> None:
    emu.faults.latency = 0.05
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(1 + n % 2, f"第{n}条") for n in range(24)))
    assert time.monotonic() - started >= 6 * 0.05 * 0.9  # 24 requests, 4 at a time
    assert len(emu.messages(1)) + len(emu.messages(2)) == 24


async def test_telegram_errors_and_network_faults_become_ptb_errors(bot: Bot, emu: BotApiEmulator) -> None:
    emu.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(NetworkError):
        await bot.send_message(1, "b")
    emu.fail_next("sendMessage", 0)  # connection dropped without an answer
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(1, "c")
    assert TOKEN.split(":")[1] not in str(dropped.value)  # the token (in the URL path) never in messages
    with pytest.raises(BadRequest):
        await bot.send_message(1, "<b>未闭合", parse_mode="HTML")
    emu.faults.latency = 0.4
    with pytest.raises(TimedOut):
        await bot.send_message(1, "慢", read_timeout=0.1)
    emu.faults.latency = 0.0
    await bot.send_message(1, "好了")  # the client recovers after every fault
    assert emu.messages(1)[-1].text == "好了"
    emu.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter):
        await bot.send_message(2, "太快")


async def test_uploads_keep_file_name_type_and_bytes(bot: Bot, emu: BotApiEmulator) -> None:
    data = bytes(range(256)) * 40
    await bot.send_document(1, document=data, filename="导出.xlsx", caption="导出",
                            read_timeout=10)
    stored = [f for f in emu.files.values() if f.file_name == "导出.xlsx"]
    assert stored and stored[0].data == data
    assert emu.messages(1)[-1].text == "导出"


async def test_network_error_messages_never_carry_the_token(bot: Bot, emu: BotApiEmulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp quotes the whole URL in some errors (a write that fails mid-upload, a bad scheme in
    TELEGRAM_BASE_URL); the delivery worker stores and shows those messages to coordinators."""
    import aiohttp

    request = bot.request
    assert isinstance(request, AiohttpRequest)
    secret = TOKEN.split(":")[1]
    session = request._session
    assert session is not None

    def broken_write(method: str, url: str, **_kwargs: object) -> object:
        raise aiohttp.ClientOSError(104, f"Can not write request body for {url}")

    monkeypatch.setattr(session, "request", broken_write)
    with pytest.raises(NetworkError) as reset:
        await bot.send_document(1, document=b"x" * 100, filename="导出.xlsx")
    assert secret not in str(reset.value) and "104" in str(reset.value)
    monkeypatch.undo()
    with pytest.raises(NetworkError) as bad_scheme:
        await request.post(f"htps://api.example/bot{TOKEN}/getMe")
    assert secret not in str(bad_scheme.value)


async def test_an_upload_that_stalls_mid_body_times_out() -> None:
    """aiohttp has no write timeout: a server that stops reading must not hang an upload for ever."""
    held: list[asyncio.StreamWriter] = []

    async def never_read(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, then neither read nor answer

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connect_timeout=1.0, read_timeout=1.0, pool_timeout=1.0,
                             media_read_timeout=1.0, media_write_timeout=1.0)
    upload = SimpleNamespace(json_parameters={"chat_id": "1"},
                             multipart_data={"document": ("大.xlsx", b"x" * (32 * 1024 * 1024), "application/octet-stream")})
    await request.initialize()
    try:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await asyncio.wait_for(request.do_request(f"http://127.0.0.1:{port}/botX/sendDocument", "POST",
                                                      upload), 30)  # type: ignore[arg-type]
        assert time.monotonic() - started < 10
    finally:
        await request.shutdown()
        for writer in held:
            writer.close()
        server.close()


async def test_requests_never_read_netrc(bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp's trust_env reads ~/.netrc in a thread for every request (a quarter of the bot's CPU
    per lookup under load); the bot's request reads the environment's proxies once instead."""
    import netrc

    reads: list[str] = []

    def counting(file: str | None = None) -> None:
        reads.append(str(file))
        raise OSError("no netrc here")

    monkeypatch.setattr(netrc, "netrc", counting)
    for n in range(3):
        await bot.send_message(1, f"第{n}条")
    assert reads == [] and len(emu.messages(1)) == 3


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot_http import _proxy_for

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    _proxy_for.cache_clear()
    try:
        assert _proxy_for("https://api.telegram.org/botX/sendMessage") == "http://proxy.local:3128"
        assert _proxy_for("http://127.0.0.1:8081/botX/sendMessage") is None
        assert _proxy_for("http://api.telegram.org/botX/sendMessage") is None  # no HTTP_PROXY set
    finally:
        _proxy_for.cache_clear()
