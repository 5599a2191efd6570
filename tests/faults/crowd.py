"""The crowd roster and what every fault test asks afterwards: was anything the users saw
confirmed lost, did every notice arrive, how many arrived twice."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import select

from db.actions import ActionRecipient, JointAction, Response
from db.models import OutboxMessage, OutboxStatus, Person
from sandbox.driver import User
from tests.e2e.harness import Member, Stack

CROWD_STREETS = ("浮桥街道", "江南街道", "金龙街道", "常泰街道")
CROWD: tuple[Member, ...] = tuple(
    Member(f"crowd{n:02d}", f"片区队员{n:02d}", f"1370000{n:04d}", "officer", CROWD_STREETS[n % 4], "江南新区",
           f"{CROWD_STREETS[n % 4]}综合执法队", 30_000 + n)
    for n in range(20)
)
XD = re.compile(r"XD-\d{8}-\d{2}")
NOTICE_HEAD = "📣 联合执法行动 "
ACK_SEEN = re.compile(r"已记录：收到。(XD-\d{8}-\d{2})")

# (button or command, text to wait for) — the dispatch wizard of tests/e2e/test_dispatch.py.
WIZARD: tuple[tuple[str, str, str], ...] = (
    ("cmd", "/dispatch", "选择范围"),
    ("press", "江南新区（全片区）", "集合时间"),
    ("text", "明天 9:30", "集合地点"),
    ("text", "浮桥街道办门口", "计划外"),
    ("press", "计划外（临时任务）", "理由"),
    ("text", "群众投诉集中", "牵头部门"),
    ("press", "区城市管理和综合执法局", "任务内容"),
    ("text", "检查笋江路沿街占道经营", "请确认派发"),
    ("press", "✅ 确认派发", "已派发"),
)


async def dispatch(user: User, timeout: float = 5.0) -> str:
    """Walk the wizard; returns the XD number the coordinator was shown (AssertionError on timeout)."""
    seen = None
    for kind, value, expect in WIZARD:
        if kind == "cmd":
            await user.send_command(value)
        elif kind == "press":
            await user.press(value, answer_timeout=timeout)
        else:
            await user.send_text(value)
        seen = await user.wait_for_text(expect, timeout=timeout)
    assert seen is not None
    found = XD.search(seen.text)
    assert found is not None, seen.text
    return found.group(0)


def crowd_users(stack: Stack) -> list[User]:
    return [stack.user(m.key) for m in CROWD]


def notices_of(user: User, number: str | None = None) -> list[str]:
    """Notice texts (not nudges or reminders) in the user's chat, of one action or all."""
    found = []
    for message in user.messages:
        if message.text.startswith(NOTICE_HEAD):
            match = XD.search(message.text)
            if match and (number is None or match.group(0) == number):
                found.append(match.group(0))
    return found


async def until(stack: Stack, condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait for a condition on the emulator's or the database's state; returns the seconds taken."""
    started = time.monotonic()
    while not condition():
        left = started + timeout - time.monotonic()
        if left <= 0:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        await stack.emu.wait_change(min(left, 0.5))
    return time.monotonic() - started


def outbox_open(stack: Stack) -> int:
    """Rows still to be sent (pending or in flight)."""
    with stack.db.session() as session:
        return int(session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))).one())  # type: ignore[attr-defined]


async def drained(stack: Stack, timeout: float) -> float:
    """Wait until the outbox has nothing left to send; the seconds it took."""
    started = time.monotonic()
    while outbox_open(stack):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"outbox not drained within {timeout:.0f}s: {outbox_open(stack)} rows left")
        await asyncio.sleep(0.25)
    return time.monotonic() - started


@dataclass
class Audit:
    """Notices each recipient should have, what arrived, and what the users saw confirmed."""

    actions: list[str] = field(default_factory=list)
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    missing: list[str] = field(default_factory=list)
    acks_seen: int = 0
    acks_lost: list[str] = field(default_factory=list)
    numbers_lost: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"actions {len(self.actions)}, notices expected {self.expected}, delivered {self.delivered}, "
                f"lost {len(self.missing)}, duplicates {self.duplicates}, acks seen {self.acks_seen}, "
                f"acks lost {len(self.acks_lost)}, XD numbers lost {len(self.numbers_lost)}")

    def assert_nothing_lost(self) -> None:
        assert not self.numbers_lost, f"XD numbers shown but not stored: {self.numbers_lost}"
        assert not self.acks_lost, f"acknowledgements shown but not stored: {self.acks_lost}"
        assert not self.missing, f"notices never delivered: {self.missing[:10]}"


def audit(stack: Stack, shown_numbers: set[str] = frozenset()) -> Audit:  # type: ignore[assignment]
    """Compare the database with what every user's chat holds."""
    result = Audit()
    with stack.db.session() as session:
        stored = {a.number: a for a in session.exec(select(JointAction)).all()}
        rows = session.exec(select(ActionRecipient, Person, JointAction).where(
            ActionRecipient.person_id == Person.id, ActionRecipient.action_id == JointAction.id)).all()
        responses = {(action.number, person.telegram_id): row.response for row, person, action in rows}
    result.actions = sorted(stored)
    result.numbers_lost = sorted(set(shown_numbers) - set(stored))
    users = {m.telegram_id: stack.user(m.key) for m in stack.members.values() if m.telegram_id is not None}
    for (number, telegram_id), _response in sorted(responses.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        if telegram_id is None:
            continue  # not bound: the board shows 发送失败, nothing to deliver
        got = len(notices_of(users[telegram_id], number))
        result.expected += 1
        result.delivered += min(got, 1)
        result.duplicates += max(got - 1, 0)
        if got == 0:
            result.missing.append(f"{number}→{telegram_id}")
    for telegram_id, user in users.items():
        seen = {m.group(1) for message in user.messages for m in [ACK_SEEN.search(message.text)] if m}
        seen |= {m.group(1) for answer in acks_answered(stack, user) for m in [ACK_SEEN.search(answer)] if m}
        result.acks_seen += len(seen)
        for number in seen:
            if responses.get((number, telegram_id)) != Response.ACK:
                result.acks_lost.append(f"{number}←{telegram_id}")
    return result


def acks_answered(stack: Stack, user: User) -> list[str]:
    """Toasts the user saw after pressing buttons (answerCallbackQuery texts)."""
    queries = stack.emu._callback_queries  # which user each query id belongs to
    return [answer.text or "" for query_id, answer in stack.emu.callback_answers.items()
            if query_id in queries and queries[query_id].user_id == user.user_id]


async def press_ack(user: User, number: str, timeout: float = 3.0) -> bool:
    """Press 收到 on the newest notice of `number`; True when the bot answered with 已记录."""
    message = next((m for m in reversed(user.messages) if m.text.startswith(NOTICE_HEAD) and number in m.text), None)
    if message is None:
        return False
    answer = await user.press("收到", message=message, answer_timeout=timeout)
    return answer is not None and "已记录" in (answer.text or "")
