"""SIGKILL at random points of the case-lead flow (steps, photo download, confirmation, notices)
and of the dispatch flow (wizard, broadcast, acknowledgements), repeated.

After every kill the bot is started again on the same database, as systemd would. At the end:
every XS number an officer was shown is stored with its notices delivered,
every XD number the coordinator was shown is stored, every acknowledgement an officer saw
(已记录：收到) is stored, every notice of every stored action reached its recipient; duplicates
(at-least-once delivery: a kill between send and 'sent') are counted and printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import select

from db.cases import Lead, LeadPhoto
from db.models import OutboxMessage
from sandbox.driver import User
from sandbox.markup import inline_rows
from tests.e2e.harness import Stack
from tests.e2e.test_cases import png
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


async def dispatch_flow(stack: Stack, iterations: int, seed: int, window: float = 4.0, ack_seconds: float = 6.0) -> None:
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
        acking = asyncio.create_task(ack_all(time.monotonic() + ack_seconds))
        try:
            number = await dispatch(coordinator, timeout=3)
            shown.add(number)
        finally:
            await acking

    kills = await kill_repeatedly(stack, scenario, iterations, window=window, seed=seed)
    shown |= {m.group(0) for msg in coordinator.messages if "已派发" in msg.text for m in [XD.search(msg.text)] if m}
    await drained(stack, 120)
    await until(stack, lambda: not audit(stack, shown).missing, 30, "every notice delivered")
    result = audit(stack, shown)
    print(f"\n[kill -9 × {iterations}, dispatch flow, {'PostgreSQL' if stack.db.is_postgres else 'SQLite'}] "
          f"kills at {', '.join(f'{k:.1f}' for k in kills)} s into the round; XD shown {len(shown)}; {result.line()}")
    result.assert_nothing_lost()
    assert result.actions  # the flow got through at least once


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_dispatch_three_times(crowd: Stack) -> None:
    await dispatch_flow(crowd, iterations=3, seed=3, window=2.5, ack_seconds=3.0)


@pytest.mark.slow
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_dispatch_twenty_times(crowd: Stack) -> None:
    await dispatch_flow(crowd, iterations=20, seed=20)


# ------------------------------------------------------------------ case leads
XS = re.compile(r"XS-\d{8}-\d{3}")
FILERS = ("officer", "officer2", "crowd00", "crowd01", "crowd02")
SPOT = (24.9000, 118.5800)  # 浮桥街道


async def press_label(user: User, *fragments: str, timeout: float) -> None:
    """Press the newest button whose label contains the first fragment found."""
    for fragment in fragments:
        for message in reversed(user.messages):
            for row in inline_rows(message):
                for button in row:
                    if fragment in button.get("text", ""):
                        await user.press(button["callback_data"], message, answer_timeout=timeout)
                        return
    raise LookupError(fragments)


async def file_lead(user: User, n: int, shown: set[str], timeout: float = 4.0) -> None:
    """/case → location → street → description → item → one photo → confirm; keeps what it was shown."""
    await user.send_command("/case")
    first = await user.wait_for(lambda m: "第 1 步" in m.text or "未完成的线索草稿" in m.text, timeout=timeout)
    if "未完成的线索草稿" in first.text:  # a draft kept from an interrupted round
        await press_label(user, "重新开始", timeout=timeout)
        await user.wait_for_text("第 1 步", timeout=timeout)
    await user.send_location(SPOT[0] + n * 0.0003, SPOT[1], horizontal_accuracy=10)
    await user.wait_for_text("属于哪个街道", timeout=timeout)
    await press_label(user, "✅", timeout=timeout)
    await user.wait_for_text("第 2 步", timeout=timeout)
    await user.send_text(f"人行道上摆摊卖水果 第{n}次")
    await user.wait_for_text("不确定", timeout=timeout)
    await press_label(user, "占用城市道路", "不确定", timeout=timeout)
    await user.wait_for_text("第 3 步", timeout=timeout)
    await user.send_photo(png(seed=n))
    await user.wait_for_text("已收到 1 张", timeout=timeout)
    await press_label(user, "完成", timeout=timeout)
    await user.wait_for_text("请确认线索", timeout=timeout)
    await press_label(user, "确认上报", timeout=timeout)
    reply = await user.wait_for(lambda m: bool(XS.search(m.text)) or "附近 7 天内" in m.text, timeout=timeout)
    if "附近 7 天内" in reply.text and not XS.search(reply.text.split("\n")[0]):
        await press_label(user, "仍然上报", timeout=timeout)
        reply = await user.wait_for(lambda m: "线索已上报" in m.text, timeout=timeout)
    if "线索已上报" in reply.text or "未重复登记" in reply.text:
        shown.add(XS.search(reply.text).group(0))  # type: ignore[union-attr]


def lead_audit(stack: Stack, shown: set[str]) -> tuple[list[str], int, int, list[str], int]:
    """(numbers shown but not stored, leads stored, notices expected, notices missing, duplicates)."""
    with stack.db.session() as session:
        leads = {lead.number: lead for lead in session.exec(select(Lead)).all()}
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.ref_type == "lead")).all()
    expected: dict[tuple[str, int], int] = {}
    for row in rows:
        key = (row.ref_id or "", row.chat_id)
        expected[key] = expected.get(key, 0) + 1
    missing, duplicates = [], 0
    for (number, chat_id), count in expected.items():
        got = sum(number in m.text for m in stack.emu.messages(chat_id))
        if got == 0:
            missing.append(f"{number}→{chat_id}")
        duplicates += max(got - count, 0)
    lost = sorted(shown - set(leads))
    return lost, len(leads), len(expected), missing, duplicates


async def case_flow(stack: Stack, iterations: int, seed: int, filers_count: int = len(FILERS), window: float = 5.0) -> None:
    filers = [stack.user(key) for key in FILERS[:filers_count]]
    shown: set[str] = set()

    async def scenario(i: int) -> None:
        await asyncio.gather(*(file_lead(u, i * 10 + k, shown) for k, u in enumerate(filers)), return_exceptions=True)

    kills = await kill_repeatedly(stack, scenario, iterations, window=window, seed=seed)
    for user in filers:  # numbers that arrived after the round gave up waiting
        shown |= {m.group(0) for msg in user.messages if "线索已上报" in msg.text for m in [XS.search(msg.text)] if m}
    await drained(stack, 120)
    await until(stack, lambda: not lead_audit(stack, shown)[3], 30, "every lead notice delivered")
    lost, stored, expected, missing, duplicates = lead_audit(stack, shown)
    with stack.db.session() as session:
        photos = len(session.exec(select(LeadPhoto)).all())
    print(f"\n[kill -9 × {iterations}, case-lead flow, {'PostgreSQL' if stack.db.is_postgres else 'SQLite'}] "
          f"kills at {', '.join(f'{k:.1f}' for k in kills)} s; XS shown {len(shown)}, leads stored {stored}, "
          f"photos stored {photos}, XS lost {len(lost)}; notices expected {expected}, lost {len(missing)}, "
          f"duplicates {duplicates}")
    assert not lost, lost
    assert not missing, missing
    assert stored >= 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_case_leads_three_times(crowd: Stack) -> None:
    await case_flow(crowd, iterations=3, seed=5, filers_count=2, window=3.5)


@pytest.mark.slow
@pytest.mark.bot_env(**KILL_ENV)
async def test_kill_during_case_leads_twenty_times(crowd: Stack) -> None:
    await case_flow(crowd, iterations=20, seed=21)
