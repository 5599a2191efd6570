"""Issue 6 through the real bot: dispatch to a zone, answers, the live board, nudges, refusals."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import select

from db.actions import ActionRecipient, JointAction, Response
from db.models import Person
from sandbox.driver import User
from tests.e2e.harness import Stack

FAST = {"DISPATCH_BOARD_EDIT_SECONDS": "0.3"}


async def dispatch_zone(stack: Stack, zone: str = "江南新区", who: str = "coordinator",
                        before_confirm: Callable[[], object] | None = None,
                        give_place: Callable[[User], Awaitable[object]] | None = None) -> str:
    """Walk the wizard as a coordinator; returns the XD number. `before_confirm` runs just before
    ✅ 确认派发 is pressed (e.g. to plan a fault); `give_place` answers the place step (default: a text)."""
    for key in stack.members:  # everyone has opened the bot once; views exist before the notices arrive
        stack.emu.register_user(stack.user(key).json)
    coordinator = stack.user(who)
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.press(f"{zone}（全片区）")
    await coordinator.wait_for_text("集合时间")
    await coordinator.send_text("明天 9:30")
    await coordinator.wait_for_text("集合地点")
    if give_place is None:
        await coordinator.send_text("浮桥街道办门口")
    else:
        await give_place(coordinator)
    await coordinator.wait_for_text("计划外")
    await coordinator.press("计划外（临时任务）")
    await coordinator.wait_for_text("理由")
    await coordinator.send_text("群众投诉集中")
    await coordinator.wait_for_text("牵头部门")
    await coordinator.press("区城市管理和综合执法局")
    await coordinator.wait_for_text("任务内容")
    await coordinator.send_text("检查笋江路沿街占道经营")
    preview = await coordinator.wait_for_text("请确认派发")
    assert "临时任务：群众投诉集中" in preview.text
    if before_confirm is not None:
        before_confirm()
    await coordinator.press("✅ 确认派发")
    created = await coordinator.wait_for_text("已派发")
    return re.search(r"XD-\d{8}-\d{2}", created.text).group(0)  # type: ignore[union-attr]


def notices(stack: Stack, key: str, number: str) -> list[str]:
    return [m.text for m in stack.user(key).messages if number in m.text and "联合执法行动" in m.text]


@pytest.mark.bot_env(**FAST)
async def test_zone_scoping_one_notice_each_and_board(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    assert number.startswith("XD-") and len(number) == len("XD-20261127-01")
    for key in ("officer", "officer2", "district"):  # street officers and district staff of 江南新区
        await stack.user(key).wait_for_text(number, timeout=10)
    await stack.user("old_officer").expect_silence(1.0)  # 老城区 gets nothing from a 江南新区 action
    for key in ("officer", "officer2", "district"):
        assert len(notices(stack, key, number)) == 1, key
    for key in ("old_officer", "coordinator", "legal", "old_coordinator"):
        assert notices(stack, key, number) == [], key
    board = await stack.user("coordinator").wait_for_text("📋")
    assert "未回复 3" in board.text and "发送失败 1" in board.text and "未绑定队员" in board.text

    officer, officer2 = stack.user("officer"), stack.user("officer2")
    await officer2.press("收到")
    await officer2.wait_for_text("已记录：收到")
    await officer.press("无法参加")
    await officer.wait_for_text("原因")
    await officer.press("请假")
    await officer.wait_for_text("已记录：无法参加（请假）")
    board = await stack.user("coordinator").wait_for(
        lambda m: "已收到 1" in m.text and "无法参加 1" in m.text and "请假" in m.text, timeout=8)
    assert "江南队员乙" in board.text and "浮桥队员甲（请假）" in board.text and "未回复 1" in board.text
    with stack.db.session() as session:
        rows = {p.name: r for r, p in session.exec(select(ActionRecipient, Person).where(ActionRecipient.person_id == Person.id))}
    assert rows["浮桥队员甲"].response == Response.DECLINE and rows["浮桥队员甲"].decline_reason == "请假"
    assert rows["江南队员乙"].response == Response.ACK

    # People may change their answer until the start: free-text reason.
    await officer.press("无法参加")
    await officer.press("其他")
    await officer.wait_for_text("请输入原因")
    await officer.send_text("车辆故障")
    await officer.wait_for_text("车辆故障")
    with stack.db.session() as session:
        assert session.exec(select(ActionRecipient).where(ActionRecipient.decline_reason == "车辆故障")).first() is not None


async def test_officer_cannot_dispatch(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/dispatch")
    await officer.wait_for_text("无权限")
    with stack.db.session() as session:
        assert session.exec(select(JointAction)).first() is None


async def test_forged_acknowledgement_is_refused(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    officer, officer2 = stack.user("officer"), stack.user("officer2")
    await officer.wait_for_text(number, timeout=10)
    notice = await officer2.wait_for_text(number, timeout=10)
    with stack.db.session() as session:
        victim = session.exec(select(ActionRecipient, Person).where(
            ActionRecipient.person_id == Person.id, Person.name == "浮桥队员甲")).one()[0]
    for data in (f"dsa:ack:{victim.id}", f"dsa:no:{victim.id}", f"dsa:rsn:{victim.id}:leave", "dsa:ack:99999", "dsb:cancelyes:1"):
        answer = await officer2.press_forged(data, notice.message_id)
        assert answer is not None and "无权限" in answer.text, data
    with stack.db.session() as session:
        assert session.get(ActionRecipient, victim.id).response == Response.NONE  # type: ignore[union-attr]
        action = session.exec(select(JointAction)).one()
        assert action.status == "active"


@pytest.mark.bot_env(DISPATCH_NUDGE_MINUTES="0.05", **FAST)
async def test_nudges_then_escalation_to_the_coordinator(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    officer2 = stack.user("officer2")
    await officer2.wait_for_text(number, timeout=10)
    await officer2.press("收到")
    officer = stack.user("officer")
    await officer.wait_for(lambda m: "尚未回复" in m.text, timeout=15)
    escalation = await stack.user("coordinator").wait_for(lambda m: "两次提醒后仍未回复" in m.text, timeout=25)
    assert "浮桥队员甲" in escalation.text and "区直队员丙" in escalation.text and "江南队员乙" not in escalation.text
    assert len([m for m in officer.messages if "尚未回复" in m.text]) == 2
    assert not [m for m in officer2.messages if "尚未回复" in m.text]


async def test_answers_without_a_version_are_stale(stack: Stack) -> None:
    """Issue 13 item 14: a forged answer on one's own row without the action's version is refused,
    and so is an old-version reason button (on_reason_button checked no version at all)."""
    number = await dispatch_zone(stack)
    officer = stack.user("officer")
    notice = await officer.wait_for_text(number, timeout=10)
    with stack.db.session() as session:
        own, action = session.exec(select(ActionRecipient, JointAction).where(
            ActionRecipient.action_id == JointAction.id, ActionRecipient.person_id == Person.id,
            Person.name == "浮桥队员甲")).one()
    forged = (f"dsa:ack:{own.id}", f"dsa:no:{own.id}", f"dsa:rsn:{own.id}:leave", f"dsa:rsn:{own.id}:task.",
              f"dsa:rsn:{own.id}:other.{action.version + 1}", f"dsa:ack:{own.id}:{action.version - 1}")
    for data in forged:
        answer = await officer.press_forged(data, notice.message_id)
        assert answer is not None and "过期" in answer.text, data
    with stack.db.session() as session:
        assert session.get(ActionRecipient, own.id).response == Response.NONE  # type: ignore[union-attr]
    # The real buttons still work: 无法参加, then a versioned 请假.
    await officer.press("无法参加")
    await officer.wait_for_text("原因")
    assert f"leave.{action.version}" in officer.find_button("请假")[1]["callback_data"]
    await officer.press("请假")
    await officer.wait_for_text("已记录：无法参加（请假）")


async def test_meeting_point_location_is_checked_and_a_map_place_keeps_its_name(stack: Stack) -> None:
    async def place(coordinator: User) -> None:
        await coordinator.send_location(0.0, 0.0)  # a phone without a fix
        await coordinator.wait_for_text("位置坐标无效")
        await coordinator.send_location(24.48, 118.09)  # 厦门: not this district's joint action
        assert "不在鲤城区内" in (await coordinator.wait_for_text("集合地点")).text
        await coordinator.send_venue(24.8995, 118.5805, "浮桥街道办事处", "笋江路 88 号")

    number = await dispatch_zone(stack, give_place=place)
    notice = await stack.user("officer").wait_for_text(number, timeout=10)
    assert "浮桥街道办事处 笋江路 88 号" in notice.text
    coordinator = stack.user("coordinator")  # 修改时间地点 checks the new place the same way
    await coordinator.press("修改时间地点")
    await coordinator.wait_for_text("新的集合时间")
    await coordinator.send_text("不改")
    await coordinator.wait_for_text("新的集合地点")
    await coordinator.send_location(24.48, 118.09)
    await coordinator.wait_for_text("不在鲤城区内")
    await coordinator.send_venue(24.8960, 118.5790, "江南街道办", "江南大街 1 号")
    await coordinator.wait_for_text("已修改")
    assert "江南街道办 江南大街 1 号" in (await stack.user("officer").wait_for_text("江南大街", timeout=10)).text

