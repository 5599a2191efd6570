"""Fixtures for the fault suites: the real bot process with a crowd of 20 extra officers in 江南新区.

Why a separate roster: a dispatch to ~20 officers makes the outbox work for a few seconds, long
enough to pull the network, the database or the process out from under it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.engine import Database
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import pytest_configure, pytest_runtest_makereport  # noqa: F401  (markers, failure logs)
from tests.e2e.harness import ROSTER, TEST_TOKEN, BotProcess, Stack, seed_roster
from tests.faults.crowd import CROWD


@pytest.fixture
async def crowd(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The standard roster plus CROWD, every member has opened the bot once (chats exist)."""
    marker = request.node.get_closest_marker("bot_env")
    env_extra = {"FLOOD_MAX_UPDATES": "1000", "DISPATCH_BOARD_EDIT_SECONDS": "0.5"}
    env_extra.update({k: str(v) for k, v in (marker.kwargs if marker else {}).items()})
    members = ROSTER + CROWD
    db = Database(db_url)
    seed_roster(db, members)
    emu = BotApiEmulator()
    await emu.start()
    bot = BotProcess(emu=emu, db_url=db_url, workdir=tmp_path, env_extra=env_extra, fork_server=True)
    stack = Stack(emu=emu, driver=Driver(emu), bot=bot, db=db, members={m.key: m for m in members})
    for member in members:
        if member.telegram_id is not None:
            emu.register_user(stack.user(member.key).json)
    try:
        await bot.start()
        yield stack
    finally:
        await bot.stop()
        await emu.stop()
        db.dispose()
        log = bot.log()
        if getattr(request.node, "rep_call_failed", False):
            print(log[-20000:])
    assert TEST_TOKEN.split(":", 1)[1] not in log, "the bot token appeared in the bot's log"
