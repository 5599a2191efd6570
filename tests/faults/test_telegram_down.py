"""Telegram unreachable (every connection dropped) in the middle of a dispatch to 23 officers:
once it is back, every notice arrives, none is lost, duplicates are counted."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.harness import Stack
from tests.faults.crowd import audit, crowd_users, dispatch, drained, notices_of, press_ack, until

SLOW_BROADCAST = {"DELIVERY_PER_SECOND": "5"}  # 23 notices take ~5 s: the outage lands mid-broadcast


async def outage_during_dispatch(stack: Stack, down_seconds: float, recover_timeout: float) -> None:
    number = await dispatch(stack.user("coordinator"))
    await asyncio.sleep(1.0)  # a few notices are out, most are not
    early = sum(bool(notices_of(u, number)) for u in crowd_users(stack))
    stack.emu.faults.network_down = True
    await asyncio.sleep(down_seconds)
    aborted = stack.emu.stats.network_aborts
    stack.emu.faults.network_down = False
    back = time.monotonic()
    await until(stack, lambda: all(notices_of(u, number) for u in crowd_users(stack)), recover_timeout,
                "every crowd officer has the notice")
    all_in = time.monotonic() - back
    await drained(stack, 30)
    officer = crowd_users(stack)[0]
    assert await press_ack(officer, number, timeout=10)  # answers work again
    result = audit(stack, {number})
    print(f"\n[telegram down {down_seconds:.0f}s] delivered before the outage {early}/20, "
          f"connections dropped {aborted}, all delivered {all_in:.1f}s after recovery; {result.line()}")
    result.assert_nothing_lost()
    assert result.expected == 23 and result.delivered == 23


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.bot_env(**SLOW_BROADCAST)
async def test_short_outage_during_dispatch(crowd: Stack) -> None:
    await outage_during_dispatch(crowd, down_seconds=2, recover_timeout=30)


@pytest.mark.slow
@pytest.mark.bot_env(**SLOW_BROADCAST)
async def test_thirty_second_outage_during_dispatch(crowd: Stack) -> None:
    await outage_during_dispatch(crowd, down_seconds=30, recover_timeout=120)
