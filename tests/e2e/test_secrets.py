"""The token is inside every Bot API URL: even at DEBUG the bot's log must not contain it.
(Every e2e test also checks its bot log at INFO; see conftest.)"""

from __future__ import annotations

import pytest

from tests.e2e.harness import TEST_TOKEN, Stack


@pytest.mark.bot_env(LOG_LEVEL="DEBUG")
async def test_debug_log_never_shows_the_token(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_text("占道")
    await officer.wait_for_text("执法主体")
    await stack.bot.stop()
    log = stack.bot.log()
    assert "DEBUG" in log  # really at DEBUG
    assert TEST_TOKEN.split(":", 1)[1] not in log
