"""Fixtures for the sandbox tests: a started emulator and a real PTB Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator

TOKEN = "123456:TEST_token-for_sandbox"


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(bot_username="lc_enforce_bot")
    await emulator.start(host="127.0.0.1", port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as real_bot:
        yield real_bot


@pytest_asyncio.fixture
async def driver(emu: BotApiEmulator) -> Driver:
    return Driver(emu)
