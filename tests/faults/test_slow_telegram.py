"""Telegram answering slowly (1 s per call) while an officer hits the duplicate-lead prompt.

Regression: the prompt was sent while the filing transaction was still open. On SQLite that held
the write lock across a network call; the next update's session then busy-waited on the event
loop's own thread, so nothing could finish for 15 s and other officers got 系统出错 (found by
bench/soak.py). Now other officers keep getting answers within the slow server's latency.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.harness import Stack
from tests.e2e.test_cases import file_until_card


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_duplicate_prompt_on_a_slow_server_does_not_freeze_others(crowd: Stack) -> None:
    first, second, asker = crowd.user("officer"), crowd.user("crowd00"), crowd.user("officer2")
    await file_until_card(first, "人行道上摆摊卖水果", "占用城市道路")
    await first.press("✅ 确认上报")
    await first.wait_for_text("线索已上报")
    await file_until_card(second, "人行道上摆摊卖水果", "占用城市道路")  # same spot, same item: a duplicate
    crowd.emu.faults.latency = 1.0
    await second.press("✅ 确认上报", answer_timeout=0.2)
    await asyncio.sleep(1.4)  # after the 1 s answerCallbackQuery: the prompt is on its way to the slow server
    started = time.monotonic()
    await asker.send_text("占道经营")
    reply = await asker.wait_for(lambda m: True, timeout=10)
    waited = time.monotonic() - started
    assert "系统出错" not in reply.text and waited < 5, (waited, reply.text)
    assert "附近 7 天内" in (await second.wait_for_text("附近 7 天内", timeout=10)).text
