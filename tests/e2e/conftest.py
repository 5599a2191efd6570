"""Fixtures for end-to-end tests: emulator in this process, the bot as a real subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.engine import Database
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import ROSTER, TEST_TOKEN, BotProcess, Stack, seed_roster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bot_env(**env): extra environment for the bot process")


@pytest.fixture
async def stack(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    marker = request.node.get_closest_marker("bot_env")
    env_extra = {k: str(v) for k, v in (marker.kwargs if marker else {}).items()}
    db = Database(db_url)
    seed_roster(db)
    emu = BotApiEmulator()
    await emu.start()
    bot = BotProcess(emu=emu, db_url=db_url, workdir=tmp_path, env_extra=env_extra, fork_server=True)
    try:
        await bot.start()
        yield Stack(emu=emu, driver=Driver(emu), bot=bot, db=db, members={m.key: m for m in ROSTER})
    finally:
        await bot.stop()
        await emu.stop()
        db.dispose()
        log = bot.log()
        if getattr(request.node, "rep_call_failed", False):
            print(log)  # shown by pytest under the failed test
    secret = TEST_TOKEN.split(":", 1)[1]
    assert secret not in log, "the bot token appeared in the bot's log"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    if report.when == "call" and report.failed:
        item.rep_call_failed = True  # type: ignore[attr-defined]
    return report
