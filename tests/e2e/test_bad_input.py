"""Hostile and clumsy input through the real bot (issue 9): strangers and deactivated users in a
group, HTML-looking and control-character text in every free-text step, 256-character inline
queries. Each gets a clear Chinese answer or is ignored; nothing is stored that should not be, and
the strict emulator never sees a parse error (it would answer 400 and the bot would say 系统出错).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, text
from sqlmodel import SQLModel, select

import db.schema  # noqa: F401  (every table in the metadata)
from db.models import OutboxMessage, OutboxStatus
from tests.e2e.harness import ROSTER, Stack, seed_roster
from tests.faults.crowd import dispatch

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # input handling is backend-blind

VOLATILE = {"processedupdate", "clockitem", "weeklysummary"}  # dedupe, clock and the weekly job move on their own
HTML = "<b>加粗</b> & <script>alert(1)</script> <占道>"
CONTROL = "占道\x00经营\x07\x1b[31m\u202e\u200b\ufeff"


def snapshot(stack: Stack) -> dict[str, int]:
    """Row count of every table that only user actions change."""
    with stack.db.session() as session:
        return {name: int(session.exec(select(func.count()).select_from(text(name))).one())  # type: ignore[call-overload]
                for name in sorted(SQLModel.metadata.tables) if name not in VOLATILE}


def failed_rows(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)).all()
        return [f"{r.chat_id}: {r.last_error}" for r in rows]


async def test_strangers_and_deactivated_users_in_a_group_change_nothing(stack: Stack) -> None:
    seed_roster(stack.db, tuple(m for m in ROSTER if m.key != "old_officer"))  # 开元队员丁 deactivated
    group = stack.driver.group(-100_777, "江南片区工作群")
    stranger, gone = stack.stranger(), stack.user("old_officer")
    before = snapshot(stack)
    for person in (stranger, gone):
        await person.send_text("占道经营", chat=group)
        await person.send_command("/dispatch", chat=group)
        await person.send_command("/report", chat=group)
        await person.send_command("/meeting", chat=group)
        await person.send_location(24.90, 118.59, chat=group)
        await person.send_text(HTML, chat=group)
    await group.expect_silence(1.0)  # ignored: nobody in the group learns anything
    await stranger.send_command("/start", chat=group)
    assert "私聊" in (await group.wait_for(lambda m: True)).text  # the public command gets a clear pointer
    await gone.send_text("占道经营")  # in private the deactivated officer is told why
    assert "停用" in (await gone.wait_for(lambda m: True)).text
    await gone.send_command("/start")
    assert "停用" in (await gone.wait_for(lambda m: True)).text
    assert snapshot(stack) == before
    officer = stack.user("officer")  # the bot is fine and bound users still get answers
    await officer.send_text("占道经营")
    await officer.wait_for_text("已赋权")


async def test_html_looking_text_is_shown_literally_in_every_free_text_step(stack: Stack) -> None:
    officer, coordinator = stack.user("officer"), stack.user("coordinator")
    for key in stack.members:
        stack.emu.register_user(stack.user(key).json)
    await officer.send_text(HTML)
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    await officer.send_text("<i>完全不存在的东西</i> & <")
    reply = await officer.wait_for(lambda m: True)
    assert "<i>完全不存在的东西</i> & <" in reply.text  # echoed as typed, not as markup
    await officer.send_command("/lookup", args=HTML)
    assert "系统出错" not in (await officer.wait_for(lambda m: True)).text

    # Dispatch: place, off-plan reason and task typed with markup; the notices carry it literally.
    steps = [("cmd", "/dispatch", "选择范围"), ("press", "江南新区（全片区）", "集合时间"),
             ("text", "明天 9:30", "集合地点"), ("text", "<u>浮桥</u>街道办 & 门口", "计划外"),
             ("press", "计划外（临时任务）", "理由"), ("text", "投诉 <多> & 急", "牵头部门"),
             ("press", "区城市管理和综合执法局", "任务内容"), ("text", f"检查 {HTML}", "请确认派发")]
    for kind, value, expect in steps:
        if kind == "cmd":
            await coordinator.send_command(value)
        elif kind == "press":
            await coordinator.press(value)
        else:
            await coordinator.send_text(value)
        preview = await coordinator.wait_for(lambda m, e=expect: e in m.text or "系统出错" in m.text)
        assert "系统出错" not in preview.text, value
    assert HTML in preview.text and "投诉 <多> & 急" in preview.text
    await coordinator.press("✅ 确认派发")
    await coordinator.wait_for_text("已派发")
    notice = await officer.wait_for_text("联合执法行动", timeout=10)
    assert HTML in notice.text and "<u>浮桥</u>街道办 & 门口" in notice.text

    # A free-text reason for 无法参加 shows on the coordinator's board as typed.
    await officer.press("无法参加")
    await officer.wait_for_text("原因")
    await officer.press("其他")
    await officer.wait_for_text("请输入原因")
    await officer.send_text("<b>车坏了</b> & 堵车")
    assert "<b>车坏了</b> & 堵车" in (await officer.wait_for_text("已记录")).text

    # Meeting: title, place and agenda typed with markup.
    await coordinator.send_command("/meeting")
    await coordinator.wait_for_text("我组织的会议")
    await coordinator.press("➕ 新建会议")
    await coordinator.wait_for_text("会议类型")
    await coordinator.press("联席会议")
    await coordinator.wait_for_text("会议名称")
    for value, expect in (("<b>联席</b> & 会议 <1>", "会议时间"), ("明天 15:00", "会议地点"), ("<u>三楼</u> & 会议室", "参会人员"),
                          ("浮桥队员甲", "议题"), ("议题 <一> & 二", "提醒时间")):
        await coordinator.send_text(value)
        reply = await coordinator.wait_for(lambda m, e=expect: e in m.text or "系统出错" in m.text)
        assert "系统出错" not in reply.text, value
    await coordinator.send_text("30")
    confirm = await coordinator.wait_for_text("请确认会议")
    assert "<b>联席</b> & 会议 <1>" in confirm.text and "<u>三楼</u> & 会议室" in confirm.text and "议题 <一> & 二" in confirm.text
    await coordinator.press("✅ 确认发送邀请")
    invite = await officer.wait_for_text("<b>联席</b> & 会议 <1>", timeout=10)
    assert "<u>三楼</u> & 会议室" in invite.text
    await officer.expect_silence(0.5)
    assert failed_rows(stack) == []  # no notice was refused by the (strict) server


async def test_inline_queries_of_256_characters_and_control_characters(stack: Stack) -> None:
    officer = stack.user("officer")
    before = snapshot(stack)
    for query in ("占" * 256, ("<b>&" * 64), ("占道经营 " * 52)[:256], CONTROL * 20):
        results = await officer.inline_query(query[:256])
        assert len(results) <= 10
    await officer.send_text(CONTROL)
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    await officer.send_text("\x01\x02\x03")
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    assert snapshot(stack) == before
    # A control-character dispatch task is stored cleanly enough to be delivered.
    for key in stack.members:
        stack.emu.register_user(stack.user(key).json)
    number = await dispatch(stack.user("coordinator"))
    await officer.wait_for_text(number, timeout=10)
    assert failed_rows(stack) == []


async def test_case_flow_wrong_documents_markup_and_control_characters(stack: Stack) -> None:
    from tests.e2e.test_cases import press_containing

    officer, legal = stack.user("officer"), stack.user("legal")  # an unsure item goes to legal review
    stack.emu.register_user(legal.json)
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    before = snapshot(stack)
    await officer.send_document(b"PK\x03\x04 not really", "名单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text and "无权限" not in reply.text, reply.text  # a step hint, not a refusal
    await officer.send_text(f"<b>浮桥</b> & {CONTROL}")
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    await officer.send_location(24.9000, 118.5800, horizontal_accuracy=10)
    await officer.wait_for_text("属于哪个街道")
    await press_containing(officer, "✅")
    await officer.wait_for_text("第 2 步")
    await officer.send_document(b"%PDF-1.4", "说明.pdf", "application/pdf")
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text and "无权限" not in reply.text, reply.text
    description = f"<i>摆摊</i> & 占道 <水果>{CONTROL}"
    await officer.send_text(description)
    await officer.wait_for_text("不确定")
    await press_containing(officer, "不确定")
    await officer.wait_for_text("第 3 步")
    await officer.send_document(b"MZ\x90\x00", "virus.exe", "application/x-msdownload")
    await officer.wait_for_text("只能接收照片")
    await officer.press("完成")
    card = await officer.wait_for_text("请确认线索")
    assert "<i>摆摊</i> & 占道 <水果>" in card.text
    assert {k: v for k, v in snapshot(stack).items() if k != "leaddraft"} == {
        k: v for k, v in before.items() if k != "leaddraft"}  # only the draft moved: no lead, no photo
    await officer.press("✅ 确认上报")
    await officer.wait_for_text("线索已上报")
    notice = await legal.wait_for_text("新线索", timeout=10)
    assert "<i>摆摊</i> & 占道 <水果>" in notice.text
    assert failed_rows(stack) == []


async def test_an_edited_message_is_never_run_again(stack: Stack) -> None:
    """An edit arrives as a new update: an edited /plan add used to add a second entry, and an edited
    text went to the lookup. Bound users are told to send again; strangers and live locations get nothing."""
    admin = stack.user("admin")
    await admin.send_command("/jointlist", "add DEMO-001")
    await admin.wait_for_text("DEMO-001")
    sent = await admin.send_command("/plan", "add DEMO-001 老城区 每月一次 区城市管理和综合执法局 2026-01-01 2026-12-31")
    await admin.wait_for_text("已新增计划条目")
    before = snapshot(stack)
    await admin.edit_text(sent, "/plan add DEMO-001 老城区 每周一次 区城市管理和综合执法局 2026-01-01 2026-12-31")
    await admin.wait_for_text("编辑过的消息不会被处理")
    officer = stack.user("officer")
    asked = await officer.send_text("占道经营")
    await officer.wait_for_text("执法主体")
    await officer.edit_text(asked, "油烟扰民")
    reply = await officer.wait_for_text("请重新发送")
    await officer.expect_silence(0.5)
    assert "执法主体" not in reply.text
    stranger = stack.stranger()
    said = await stranger.send_text("你好")
    await stranger.wait_for_text("未登记")
    await stranger.edit_text(said, "你好吗")
    await stranger.expect_silence(0.5)
    await admin.expect_silence(0.1)
    assert snapshot(stack) == before


async def test_business_and_guest_messages_are_not_asked_for_and_get_no_answer(stack: Stack) -> None:
    """With every update type allowed, a customer writing to an officer's business-connected account
    looked like a private chat to the guard and would have been answered."""
    officer = stack.user("officer")
    await officer.send_text("占道经营")
    await officer.wait_for_text("执法主体")  # polling has started with its allowed_updates
    dropped = stack.emu.stats.dropped_updates
    customer = {"id": 555_001, "is_bot": False, "first_name": "顾客"}
    for kind in ("business_message", "guest_message", "channel_post", "my_chat_member"):
        stack.emu.enqueue_update({kind: {"message_id": 1, "date": 0, "text": "占道经营", "from": customer,
                                         "chat": {"id": officer.user_id, "type": "private"}, "business_connection_id": "b1"}})
    await officer.expect_silence(1.0)
    assert stack.emu.stats.dropped_updates == dropped + 4
