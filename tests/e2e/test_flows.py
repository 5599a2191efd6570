"""Issue 13 items 3 and 15 through the real bot: a location goes to the step that asked for it (and
never wipes a lead draft), live-location edits start nothing, and typed text at a step that waits
for a button is answered there instead of falling through to lookup."""

from __future__ import annotations

from sqlmodel import select

from db import cases as lead_db
from db.actions import JointAction
from db.meetings import Meeting
from db.models import Person
from sandbox.driver import User
from tests.e2e.harness import Stack
from tests.e2e.test_cases import FUQIAO_SPOT, file_until_card, png, press_containing

PRESS = "请点选上方按钮，或发送 /cancel 取消"
OTHER_SPOT = (24.9100, 118.5900)  # also inside 鲤城区


def draft_of(stack: Stack, key: str) -> dict | None:
    with stack.db.session() as session:
        return lead_db.get_draft(session=session, reporter_id=stack_person(stack, key))


def stack_person(stack: Stack, key: str) -> int:
    with stack.db.session() as session:
        return session.exec(select(Person.id).where(Person.phone == stack.members[key].phone)).one()  # type: ignore[return-value]


async def pick_street(officer: User) -> None:
    await officer.wait_for_text("属于哪个街道")
    try:
        await press_containing(officer, "✅ 浮桥街道")
    except LookupError:
        await officer.press("浮桥街道")


# ------------------------------------------------------------------ item 3: locations


async def test_location_at_edit_place_keeps_description_item_and_photos(stack: Stack) -> None:
    officer = stack.user("officer")
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路", photo=png(seed=3))
    await officer.press("✏️ 修改")
    await officer.wait_for_text("要修改哪一项")
    await officer.press("地点")
    await officer.wait_for_text("请发送位置")
    await officer.send_location(*OTHER_SPOT, horizontal_accuracy=8)
    await pick_street(officer)
    card = await officer.wait_for_text("请确认线索")
    assert "人行道上摆摊卖水果" in card.text and "照片：1 张" in card.text and "第 1 步" not in card.text
    assert f"{OTHER_SPOT[0]:.5f}" in card.text
    draft = draft_of(stack, "officer")
    assert draft is not None and draft["description"] == "人行道上摆摊卖水果" and len(draft["photos"]) == 1
    assert draft["item_code"] and draft["lat"] == OTHER_SPOT[0]
    await officer.press("✅ 确认上报")
    await officer.wait_for_text("线索已上报")


async def test_live_location_edits_never_restart_the_case(stack: Stack) -> None:
    officer = stack.user("officer")
    shared = await officer.send_live_location(*FUQIAO_SPOT)
    await pick_street(officer)  # a live location outside any flow starts a lead, once
    await officer.wait_for_text("第 2 步")
    await officer.send_text("人行道上摆摊卖水果")
    await officer.wait_for_text("不确定")
    for step in range(3):  # the client re-sends the moving location as edits
        await officer.edit_live_location(shared, FUQIAO_SPOT[0] + 0.001 * (step + 1), FUQIAO_SPOT[1])
    await officer.expect_silence(1.0)
    draft = draft_of(stack, "officer")
    assert draft is not None and draft["description"] == "人行道上摆摊卖水果" and draft["lat"] == FUQIAO_SPOT[0]
    await press_containing(officer, "占用城市道路")  # the flow is where it was
    await officer.wait_for_text("第 3 步")


async def test_location_outside_the_flow_never_overwrites_a_draft_without_asking(stack: Stack) -> None:
    officer = stack.user("officer")
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路")
    await officer.send_command("/cancel")
    await officer.wait_for_text("已退出")
    await officer.send_location(*OTHER_SPOT)
    ask = await officer.wait_for_text("未完成的线索草稿")
    assert "人行道上摆摊卖水果" in ask.text
    assert draft_of(stack, "officer")["description"] == "人行道上摆摊卖水果"  # type: ignore[index]
    await officer.press("继续")
    card = await officer.wait_for_text("请确认线索")
    assert "人行道上摆摊卖水果" in card.text and f"{FUQIAO_SPOT[0]:.5f}" in card.text
    await officer.send_command("/cancel")
    await officer.wait_for_text("已退出")
    await officer.send_location(*OTHER_SPOT)
    await officer.wait_for_text("未完成的线索草稿")
    await officer.press("以此位置新建")
    await pick_street(officer)
    await officer.wait_for_text("第 2 步")
    draft = draft_of(stack, "officer")
    assert draft is not None and not draft.get("description") and draft["lat"] == OTHER_SPOT[0]


async def test_dispatch_and_its_edit_receive_the_location_they_ask_for(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    for key in stack.members:
        stack.emu.register_user(stack.user(key).json)
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.press("江南新区（全片区）")
    await coordinator.wait_for_text("集合时间")
    await coordinator.send_text("明天 9:30")
    await coordinator.wait_for_text("集合地点")
    await coordinator.send_location(*FUQIAO_SPOT)
    await coordinator.wait_for_text("计划外")  # the wizard's next step, not /case's 第 1 步
    assert not any("属于哪个街道" in m.text or "上报案源线索" in m.text for m in coordinator.messages)
    await coordinator.press("计划外（临时任务）")
    await coordinator.wait_for_text("理由")
    await coordinator.send_text("群众投诉集中")
    await coordinator.wait_for_text("牵头部门")
    await coordinator.press("区城市管理和综合执法局")
    await coordinator.wait_for_text("任务内容")
    await coordinator.send_text("检查沿街占道经营")
    await coordinator.wait_for_text("请确认派发")
    await coordinator.press("✅ 确认派发")
    await coordinator.wait_for_text("已派发")
    with stack.db.session() as session:
        action = session.exec(select(JointAction)).one()
        assert (action.latitude, action.longitude) == FUQIAO_SPOT

    await coordinator.wait_for_text("📋")
    await coordinator.press("修改时间地点")
    await coordinator.wait_for_text("新的集合时间")
    await coordinator.send_text("-")
    await coordinator.wait_for_text("新的集合地点")
    await coordinator.send_location(*OTHER_SPOT)
    await coordinator.wait_for_text("已修改")
    with stack.db.session() as session:
        action = session.exec(select(JointAction)).one()
        assert (action.latitude, action.longitude) == OTHER_SPOT
    with stack.db.session() as session:
        assert lead_db.get_draft(session=session, reporter_id=stack_person(stack, "coordinator")) is None


async def test_meeting_place_steps_receive_the_location(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    for key in ("officer", "officer2"):
        stack.emu.register_user(stack.user(key).json)
    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.press("➕ 新建会议")
    await coordinator.wait_for_text("会议类型")
    await coordinator.press("联席会议")
    await coordinator.wait_for_text("会议名称")
    await coordinator.send_text("现场会")
    await coordinator.wait_for_text("会议时间")
    await coordinator.send_text("明天 15:00")
    await coordinator.wait_for_text("会议地点")
    await coordinator.send_location(*FUQIAO_SPOT)
    await coordinator.wait_for_text("参会人员")
    await coordinator.send_text("浮桥队员甲")
    await coordinator.wait_for_text("议题")
    await coordinator.press("无议题")
    await coordinator.wait_for_text("提醒时间")
    await coordinator.press("默认（1天、1小时）")
    await coordinator.wait_for_text("请确认会议")
    await coordinator.press("✅ 确认发送邀请")
    await coordinator.wait_for_text("已向 1 人发送邀请")
    with stack.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
        assert (meeting.latitude, meeting.longitude) == FUQIAO_SPOT

    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.press("1. 详情")
    await coordinator.wait_for_text("出席情况")
    await coordinator.press("改地点")
    await coordinator.wait_for_text("新的会议地点")
    await coordinator.send_location(*OTHER_SPOT)
    await coordinator.wait_for_text("通知了 1 位")
    with stack.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
        assert (meeting.latitude, meeting.longitude) == OTHER_SPOT


# ------------------------------------------------------------------ item 15: typed text at button steps


async def test_dispatch_button_steps_answer_typed_text_and_accept_natural_answers(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.send_text("占道经营")  # used to fall through to lookup and leave step 1 open
    reply = await coordinator.wait_for_text(PRESS)
    await coordinator.expect_silence(0.5)
    assert "已赋权" not in reply.text
    await coordinator.send_text("江南新区")  # a zone name is a natural answer
    await coordinator.wait_for_text("集合时间")
    await coordinator.send_text("明天 9:30")
    await coordinator.wait_for_text("集合地点")
    await coordinator.send_text("浮桥街道办门口")
    await coordinator.wait_for_text("计划外")
    await coordinator.send_text("占道经营")
    await coordinator.wait_for_text(PRESS)
    await coordinator.send_text("计划外：群众投诉集中")  # 计划外 typed, with its reason
    await coordinator.wait_for_text("牵头部门")
    await coordinator.press("区城市管理和综合执法局")
    await coordinator.wait_for_text("任务内容")
    await coordinator.send_text("检查沿街占道经营")
    preview = await coordinator.wait_for_text("请确认派发")
    assert "临时任务：群众投诉集中" in preview.text
    await coordinator.send_text("好的")
    await coordinator.wait_for_text(PRESS)
    await coordinator.press("✅ 确认派发")
    await coordinator.wait_for_text("已派发")


async def test_typed_plan_step_without_reason_asks_for_it(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.press("江南新区（全片区）")
    await coordinator.wait_for_text("集合时间")
    await coordinator.send_text("明天 10:00")
    await coordinator.wait_for_text("集合地点")
    await coordinator.send_text("江南街道办")
    await coordinator.wait_for_text("计划外")
    await coordinator.send_text("计划外")
    await coordinator.wait_for_text("理由")
    await coordinator.send_text("上级交办")
    await coordinator.wait_for_text("牵头部门")


async def test_meeting_list_and_kind_step_answer_typed_text(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.send_text("占道经营")
    reply = await coordinator.wait_for_text(PRESS)
    assert "已赋权" not in reply.text
    await coordinator.press("➕ 新建会议")
    await coordinator.wait_for_text("会议类型")
    await coordinator.send_text("随便")
    await coordinator.wait_for_text(PRESS)
    await coordinator.send_text("培训")  # a kind typed as on the button
    await coordinator.wait_for_text("会议名称")
    await coordinator.send_command("/cancel")
    await coordinator.wait_for_text("已取消")
    # After a look at the list, a command or a menu tap goes where it was meant (no 已取消).
    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.send_command("/agenda")
    await coordinator.wait_for_text("我的日程")
    await coordinator.send_text("占道经营")  # the list step ended with the command: a lookup again
    await coordinator.wait_for(lambda m: PRESS not in m.text and "已取消" not in m.text)


async def test_case_button_steps_answer_typed_text(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_location(*FUQIAO_SPOT, horizontal_accuracy=12)
    await officer.wait_for_text("属于哪个街道")
    await officer.send_text("随便写写")
    await officer.wait_for_text(PRESS)
    await officer.send_text("江南街道")  # a street typed is a natural answer
    await officer.wait_for_text("第 2 步")
    await officer.send_text("人行道上摆摊卖水果")
    await officer.wait_for_text("不确定")
    await press_containing(officer, "占用城市道路")
    await officer.wait_for_text("第 3 步")
    await officer.press("完成")
    card = await officer.wait_for_text("请确认线索")
    assert "江南街道" in card.text
    await officer.send_text("占道经营")
    await officer.wait_for_text(PRESS)
    await officer.expect_silence(0.5)
    await officer.press("✅ 确认上报")
    await officer.wait_for_text("线索已上报")


async def test_a_location_after_a_look_at_the_meeting_list_starts_a_case(stack: Stack) -> None:
    """The list waits for nothing (a passive step): the location starts /case, not 「不支持」."""
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.send_location(*FUQIAO_SPOT, horizontal_accuracy=12)
    await pick_street(coordinator)
    await coordinator.wait_for_text("第 2 步")


# ------------------------------------------------------------------ leaving a flow for another one


async def test_starting_another_flow_says_what_became_of_the_one_left(stack: Stack) -> None:
    """A half-filled dispatch used to vanish without a word when /case was sent; a lead draft is kept."""
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.press("江南新区（全片区）")
    await coordinator.wait_for_text("集合时间")
    await coordinator.send_command("/case")
    await coordinator.wait_for_text("第 1 步")
    left = await coordinator.wait_for_text("派发已放弃")
    assert "尚未通知任何人" in left.text
    with stack.db.session() as session:
        assert session.exec(select(JointAction)).first() is None

    await coordinator.send_location(*FUQIAO_SPOT, horizontal_accuracy=8)
    await pick_street(coordinator)
    await coordinator.wait_for_text("第 2 步")
    await coordinator.send_command("/dispatch")
    await coordinator.wait_for_text("选择范围")
    await coordinator.wait_for_text("线索草稿已保存")
    assert draft_of(stack, "coordinator") is not None
    await coordinator.send_command("/case")
    await coordinator.wait_for_text("未完成的线索草稿")


async def test_a_flow_left_at_a_passive_step_says_nothing(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/meeting")  # the meeting list waits for nothing
    await coordinator.wait_for_text("会议")
    await coordinator.send_command("/case")
    await coordinator.wait_for_text("第 1 步")
    await coordinator.expect_silence(0.5)
    assert not any("已放弃" in m.text or "未保存" in m.text for m in coordinator.messages)
