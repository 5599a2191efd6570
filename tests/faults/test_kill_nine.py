"""SIGKILL at random points of the dispatch flow (wizard, broadcast, acknowledgements), repeated.

After every kill the bot is started again on the same database, as systemd would. At the end:
every XD number the coordinator was shown is stored, every acknowledgement an officer saw
(已记录：收到) is stored, every notice of every stored action reached its recipient; duplicates
(at-least-once delivery: a kill between send and 'sent') are counted and printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable

import pytest

from tests.e2e.harness import Stack
from tests.faults.crowd import XD, audit, crowd_users, dispatch, drained, notices_of, press_ack, until

KILL_ENV = {"DELIVERY_PER_SECOND": "10"}  # the broadcast spans ~2 s, so kills land inside it too
ACKERS = 8  # crowd officers who answer every notice they get

Scenario = Callable[[int], Awaitable[None]]


async def kill_repeatedly(stack: Stack, scenario: Scenario, iterations: int, window: float, seed: int) -> list[float]:
    """Run `scenario(i)` and SIGKILL the bot after a random delay; restart; next. The kill times."""
    rng = random.Random(seed)
    kill_times = []
    for i in range(iterations):
        task = asyncio.create_task(scenario(i))
        delay = rng.uniform(0.1, window)
        await asyncio.sleep(delay)
        kill_times.append(delay)
        await stack.bot.kill()
        await stack.bot.start()
        with contextlib.suppress(AssertionError, LookupError):  # a step the kill interrupted
            await task
    return kill_times


async def dispatch_flow(stack: Stack, iterations: int, seed: int) -> None:
    coordinator = stack.user("coordinator")
    ackers = crowd_users(stack)[:ACKERS]
    shown: set[str] = set()
    pressed: set[tuple[int, str]] = set()

    async def ack_all(user_deadline: float) -> None:
        while time.monotonic() < user_deadline:
            todo = [(u, n) for u in ackers for n in set(notices_of(u)) if (u.user_id, n) not in pressed]
            for user, number in todo:
                pressed.add((user.user_id, number))
            await asyncio.gather(*(press_ack(u, n, timeout=2) for u, n in todo), return_exceptions=True)
            await asyncio.sleep(0.2)

    async def scenario(i: int) -> None:
        acking = asyncio.create_task(ack_all(time.monotonic() + 6))
        try:
            number = await dispatch(coordinator, timeout=3)
            shown.add(number)
        finally:
            await acking

    kills = await kill_repeatedly(stack, scenario, iterations, window=4.0, seed=seed)
    shown |= {m.group(0) for msg in coordinator.messages if "已派发" in msg.text for m in [XD.search(msg.text)] if m}
    await drained(stack, 120)
    users = {u.user_id: u for u in crowd_users(stack)}
    result = audit(stack, shown)
    await until(stack, lambda: not audit(stack, shown).missing, 30, "every notice delivered")
    result = audit(stack, shown)
    print(f"\n[kill -9 × {iterations}, dispatch flow, {'PostgreSQL' if stack.db.is_postgres else 'SQLite'}] "
          f"kills at {', '.join(f'{k:.1f}' for k in kills)} s into the round; XD shown {len(shown)}; {result.line()}")
    result.assert_nothing_lost()
    assert len(users) == 20 and result.actions  # the flow got through at least once


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_dispatch_three_times(crowd: Stack) -> None:
    await dispatch_flow(crowd, iterations=3, seed=3)


@pytest.mark.slow
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_dispatch_twenty_times(crowd: Stack) -> None:
    await dispatch_flow(crowd, iterations=20, seed=20)
