"""A 429 storm: some chats answer 429 with a large retry_after during a dispatch. The other chats
keep getting their notices, other users' replies are not frozen, the blocked chats get theirs
once the wait is over — once each."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

from tests.e2e.harness import Stack
from tests.faults.crowd import audit, crowd_users, dispatch, drained, notices_of, press_ack, until


async def lookup_latency(stack: Stack, keys: tuple[str, ...], rounds: int) -> list[float]:
    """Lookups by users whose chats are not blocked; seconds from sending to the reply."""
    latencies = []
    for n in range(rounds):
        user = stack.user(keys[n % len(keys)])
        started = time.monotonic()
        await user.send_text("占道经营")
        await user.wait_for(lambda m: "对擅自占用城市道路" in m.text, timeout=5)
        latencies.append(time.monotonic() - started)
    return latencies


async def storm(stack: Stack, blocked_count: int, retry_after: int) -> None:
    users = crowd_users(stack)
    blocked, free = users[:blocked_count], users[blocked_count:]
    for user in blocked:
        stack.emu.fail_next("sendMessage", 429, retry_after=retry_after, chat_id=user.user_id)
    number = await dispatch(stack.user("coordinator"))
    confirmed = time.monotonic()
    free_in = await until(stack, lambda: all(notices_of(u, number) for u in free), 10, "unblocked chats notified")
    latencies = await lookup_latency(stack, ("officer2", "old_officer", "district"), rounds=6)
    assert await press_ack(free[0], number)  # an answer in a free chat while the others wait
    assert not any(notices_of(u, number) for u in blocked), "a blocked chat was sent to before its retry_after"
    await until(stack, lambda: all(notices_of(u, number) for u in blocked), retry_after + 20, "blocked chats notified")
    blocked_in = time.monotonic() - confirmed
    await drained(stack, 10)
    result = audit(stack, {number})
    print(f"\n[429 storm: {blocked_count} chats retry_after={retry_after}s] free chats all notified in {free_in:.1f}s, "
          f"blocked chats in {blocked_in:.1f}s; other users' lookups p50 {statistics.median(latencies) * 1000:.0f} ms "
          f"max {max(latencies) * 1000:.0f} ms; 429 answered {stack.emu.stats.answered_429}; {result.line()}")
    result.assert_nothing_lost()
    assert result.duplicates == 0
    assert blocked_in >= retry_after
    assert max(latencies) < 2.0, latencies


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_429_on_some_chats_does_not_hold_up_the_rest(crowd: Stack) -> None:
    await storm(crowd, blocked_count=5, retry_after=3)


@pytest.mark.slow
async def test_429_storm_with_large_retry_after(crowd: Stack) -> None:
    await storm(crowd, blocked_count=10, retry_after=30)
    await asyncio.sleep(0)
