"""Issue 6, the board's other buttons through the real bot: 修改时间地点, 取消行动, 记录结果,
answers after the start and changed answers, and a notice Telegram is delaying (429)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from db.actions import ActionRecipient, ActionResult, JointAction, Response
from db.models import ClockItem, Person, utcnow
from handlers import dispatch_notices as notices
from tests.e2e.harness import Stack
from tests.e2e.test_dispatch import dispatch_zone

SH = ZoneInfo("Asia/Shanghai")
FAST = {"DISPATCH_BOARD_EDIT_SECONDS": "0.3"}
OFFICERS = ("officer", "officer2", "district")  # the bound officers of 江南新区


def the_action(stack: Stack) -> JointAction:
    with stack.db.session() as session:
        return session.exec(select(JointAction)).one()


def answers(stack: Stack) -> dict[str, ActionRecipient]:
    with stack.db.session() as session:
        rows = session.exec(select(ActionRecipient, Person).where(ActionRecipient.person_id == Person.id)).all()
        return {person.name: row for row, person in rows}


def action_clock(stack: Stack, action_id: int) -> list[ClockItem]:
    with stack.db.session() as session:
        return list(session.exec(select(ClockItem).where(
            ClockItem.ref_type == notices.REF_ACTION, ClockItem.ref_id == str(action_id)).order_by(ClockItem.id)).all())


def move_start(stack: Stack, starts_at: datetime) -> None:
    """Time passes: the action's start is moved (the bot reads it from the database on every press)."""
    with stack.db.session() as session:
        action = session.exec(select(JointAction)).one()
        action.starts_at = starts_at
        session.add(action)


def board(stack: Stack, number: str) -> str:
    found = [m for m in stack.user("coordinator").messages if f"{number} 看板" in m.text]
    return found[-1].text


@pytest.mark.bot_env(DISPATCH_NUDGE_MINUTES="0.05", **FAST)
async def test_change_time_and_place_notifies_everyone_and_replans(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    for key in OFFICERS:
        await stack.user(key).wait_for_text(number, timeout=10)
    officer2, district = stack.user("officer2"), stack.user("district")
    await officer2.press("收到")
    await officer2.wait_for_text("已记录：收到")
    await district.press("无法参加")
    await district.wait_for_text("原因")
    await district.press("另有任务")
    await district.wait_for_text("已记录：无法参加（另有任务）")
    before = the_action(stack)

    coordinator = stack.user("coordinator")
    new_start = (datetime.now(SH) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
    await coordinator.press("修改时间地点")
    await coordinator.wait_for_text("新的集合时间")
    await coordinator.send_text("明年 14:00")  # not understood: asked again, nothing changes
    await coordinator.wait_for_text("例如")
    await coordinator.send_text(new_start.strftime("%Y-%m-%d %H:%M"))
    await coordinator.wait_for_text("新的集合地点")
    await coordinator.send_text("江南街道办 <东门>")
    done = await coordinator.wait_for_text("已修改")
    assert "3 人" in done.text

    new_when = new_start.strftime("%Y-%m-%d %H:%M")
    for key in OFFICERS:  # every recipient, whatever they answered, gets one update with the new time and place
        user = stack.user(key)
        update = await user.wait_for(lambda m: "已变更" in m.text and number in m.text, timeout=10)
        assert new_when in update.text and "江南街道办 <东门>" in update.text, key
        assert before.starts_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") in update.text, key  # 原定
        assert [b for b in ("收到", "无法参加") if b in str(update.reply_markup)] == ["收到", "无法参加"], key
    for key in OFFICERS:
        assert len([m for m in stack.user(key).messages if "已变更" in m.text]) == 1, key

    after = the_action(stack)
    assert after.starts_at == new_start and after.place_text == "江南街道办 <东门>" and after.version == before.version + 1
    assert {r.response for r in answers(stack).values()} == {Response.NONE}  # the time changed: everyone re-confirms
    latest = await coordinator.wait_for(lambda m: f"{number} 看板" in m.text and new_when in m.text, timeout=5)
    assert "已收到 0" in latest.text and "江南街道办 &lt;东门&gt;" not in latest.text and "江南街道办 <东门>" in latest.text

    items = action_clock(stack, after.id or 0)
    old = [i for i in items if i.payload.get("version") == before.version]
    new = [i for i in items if i.payload.get("version") == after.version]
    assert old and all(i.outcome == "cancelled" for i in old)
    remind = [i for i in new if i.kind == notices.KIND_REMIND]
    assert [i.due_at for i in remind] == [new_start - timedelta(minutes=60)]
    assert any(i.kind == notices.KIND_NUDGE for i in new)

    # A press on the notice from before the change is refused: it would confirm a time never seen.
    first_notice = next(m for m in officer2.messages if number in m.text and "已变更" not in m.text
                        and m.reply_markup and "inline_keyboard" in m.reply_markup)
    stale = await officer2.press("收到", message=first_notice)
    assert stale is not None and "过期" in (stale.text or "")
    # The re-planned nudge (3 s) reaches the silent with the new time; the re-confirmed are left alone.
    await officer2.press("收到", message=officer2.find_button("收到")[0])
    await officer2.wait_for_text(f"已记录：收到。{number} {new_when}")
    officer = stack.user("officer")
    nudge = await officer.wait_for(lambda m: "尚未回复" in m.text, timeout=10)
    assert new_when in nudge.text
    assert not [m for m in officer2.messages if "尚未回复" in m.text]

    # The re-planned reminder, made due now, names the new place; it goes to those who said 收到.
    with stack.db.session() as session:
        item = session.get(ClockItem, remind[0].id)
        assert item is not None
        item.due_at = utcnow()
        session.add(item)
    reminder = await officer2.wait_for(lambda m: "将于" in m.text, timeout=10)
    assert new_when in reminder.text and "江南街道办 <东门>" in reminder.text
    await asyncio.sleep(0.5)
    assert not [m for m in officer.messages if "将于" in m.text]


@pytest.mark.bot_env(DISPATCH_NUDGE_MINUTES="0.05", **FAST)
async def test_cancel_tells_everyone_and_stops_buttons_and_nudges(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    for key in OFFICERS:
        await stack.user(key).wait_for_text(number, timeout=10)
    officer = stack.user("officer")
    await officer.press("收到")
    await officer.wait_for_text("已记录：收到")

    coordinator = stack.user("coordinator")
    await coordinator.press("取消行动")
    await coordinator.wait_for_text("确定取消")
    other = stack.user("old_coordinator")  # another zone's coordinator cannot confirm it
    confirm = coordinator.find_button("确定取消")[0]
    refused = await other.press_forged(coordinator.find_button("确定取消")[1]["callback_data"], confirm.message_id)
    assert refused is not None and "无权限" in refused.text
    await coordinator.press("确定取消")
    await coordinator.wait_for_text(f"{number} 已取消")

    for key in OFFICERS:
        told = await stack.user(key).wait_for_text("已取消", timeout=10)
        assert number in told.text, key
    cancelled_board = await coordinator.wait_for(lambda m: f"{number} 看板" in m.text and "已取消" in m.text, timeout=5)
    assert "取消行动" not in str(cancelled_board.reply_markup)

    officer2 = stack.user("officer2")
    notice = next(m for m in officer2.messages if "联合执法行动" in m.text and number in m.text)
    answer = await officer2.press("收到", message=notice)
    assert answer is not None and "已取消" in answer.text
    answer = await officer2.press("无法参加", message=notice)
    assert answer is not None and "已取消" in answer.text
    assert answers(stack)["江南队员乙"].response == Response.NONE

    items = action_clock(stack, the_action(stack).id or 0)
    assert items and all(i.outcome == "cancelled" for i in items)
    await asyncio.sleep(4.0)  # past the first nudge (3 s): nobody is nudged about a cancelled action
    for key in OFFICERS:
        assert not [m for m in stack.user(key).messages if "尚未回复" in m.text], key


@pytest.mark.bot_env(**FAST)
async def test_result_after_the_action_is_stored_and_shown(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    coordinator = stack.user("coordinator")
    await coordinator.wait_for_text(f"{number} 看板")
    answer = await coordinator.press("记录结果")
    assert answer is not None and "尚未开始" in answer.text  # not before the start

    move_start(stack, utcnow() - timedelta(hours=2))
    await coordinator.press("记录结果")
    await coordinator.wait_for_text("检查户数")
    await coordinator.send_text("很多")
    await coordinator.wait_for_text("整数")
    await coordinator.send_text("２５")  # full-width digits are fine
    await coordinator.wait_for_text("发现问题数")
    await coordinator.send_text("3")
    await coordinator.wait_for_text("立案数")
    await coordinator.send_text("5")
    await coordinator.wait_for_text("不能大于")
    await coordinator.send_text("1")
    await coordinator.wait_for_text("备注")
    await coordinator.send_text("笋江路 3 户占道经营已劝离 <复查>")
    await coordinator.wait_for_text("现场照片")
    await coordinator.send_photo(b"\xff\xd8\xff\xe0 fake jpeg of the street")
    await coordinator.wait_for_text("已收到照片 1 张")
    await coordinator.send_text("就这些")  # typed at the photo step: answered there (issue 13 item 15)
    await coordinator.wait_for_text("请点选上方按钮，或发送 /cancel 取消")
    await coordinator.press("完成")
    saved = await coordinator.wait_for_text("结果已保存")
    assert "检查 25 户" in saved.text and "发现问题 3 个" in saved.text and "立案 1 件" in saved.text
    assert "照片 1 张" in saved.text and "笋江路 3 户占道经营已劝离 <复查>" in saved.text

    with stack.db.session() as session:
        result = session.exec(select(ActionResult)).one()
    assert (result.households_checked, result.problems_found, result.cases_opened) == (25, 3, 1)
    assert result.notes == "笋江路 3 户占道经营已劝离 <复查>" and len(result.photo_file_ids) == 1
    shown = await coordinator.wait_for(lambda m: f"{number} 看板" in m.text and "检查 25 户" in m.text, timeout=5)
    assert "立案 1 件" in shown.text

    officer = stack.user("officer")  # an officer cannot record a result, even with a forged button
    refused = await officer.press_forged(f"dsb:result:{result.action_id}", 1)
    assert refused is not None and "无权限" in refused.text


@pytest.mark.bot_env(**FAST)
async def test_answers_change_until_the_start_and_not_after(stack: Stack) -> None:
    number = await dispatch_zone(stack)
    officer = stack.user("officer")
    await officer.wait_for_text(number, timeout=10)
    coordinator = stack.user("coordinator")

    await officer.press("收到")
    await officer.wait_for_text("已记录：收到")
    await coordinator.wait_for(lambda m: "已收到 1：浮桥队员甲" in m.text, timeout=5)
    await officer.press("无法参加")
    await officer.wait_for_text("原因")
    await officer.press("另有任务")
    await officer.wait_for_text("已记录：无法参加（另有任务）")
    await coordinator.wait_for(lambda m: "已收到 0" in m.text and "浮桥队员甲（另有任务）" in m.text, timeout=5)
    await officer.press("收到")
    await officer.wait_for_text("已记录：收到")
    latest = await coordinator.wait_for(lambda m: "已收到 1：浮桥队员甲" in m.text, timeout=5)
    assert "无法参加 0" in latest.text
    row = answers(stack)["浮桥队员甲"]
    assert row.response == Response.ACK and row.decline_reason is None

    move_start(stack, utcnow() - timedelta(minutes=1))
    answer = await officer.press("无法参加")
    assert answer is not None and "行动已开始" in answer.text
    answer = await stack.user("officer2").press("收到")
    assert answer is not None and "行动已开始" in answer.text
    assert answers(stack)["浮桥队员甲"].response == Response.ACK
    assert answers(stack)["江南队员乙"].response == Response.NONE


@pytest.mark.bot_env(**FAST)
async def test_board_shows_a_notice_telegram_is_delaying(stack: Stack) -> None:
    officer = stack.user("officer")
    stack.emu.fail_next("sendMessage", 429, retry_after=3, chat_id=officer.user_id)
    number = await dispatch_zone(stack)
    coordinator = stack.user("coordinator")
    delayed = await coordinator.wait_for(lambda m: "发送延迟 1" in m.text, timeout=8)
    assert "浮桥队员甲（预计" in delayed.text and "未回复 2" in delayed.text
    expected = re.search(r"预计 (\d\d:\d\d:\d\d)", delayed.text)
    assert expected is not None
    with stack.db.session() as session:
        due = max(r.next_attempt_at for r in session.exec(select(notices.OutboxMessage).where(
            notices.OutboxMessage.chat_id == officer.user_id)).all())
    assert due.astimezone(SH).strftime("%H:%M:%S") == expected.group(1)
    assert not [m for m in officer.messages if number in m.text]

    await officer.wait_for_text(number, timeout=8)  # sent after retry_after
    settled = await coordinator.wait_for(lambda m: f"{number} 看板" in m.text and "发送延迟" not in m.text and "未回复 3" in m.text, timeout=5)
    assert "未回复 3" in settled.text and "浮桥队员甲" in settled.text


@pytest.mark.bot_env(**FAST)
async def test_agenda_lists_actions_with_meetings_and_deadlines_by_time(stack: Stack) -> None:
    from db import meetings as mdb
    from tests.e2e.test_meetings import seed_meeting

    now = datetime.now(SH)
    soon = seed_meeting(stack, now + timedelta(hours=1), [60], "浮桥队员甲、江南队员乙", title="碰头会")
    seed_meeting(stack, now + timedelta(days=3), [60], "浮桥队员甲", title="月度联席会议")
    with stack.db.session() as session:
        meeting = session.get(mdb.Meeting, soon)
        owner = session.exec(select(Person).where(Person.name == "浮桥队员甲")).one()
        organiser = session.exec(select(Person).where(Person.name == "江南协调员")).one()
        assert meeting is not None
        mdb.add_decision(session=session, meeting=meeting, text="整治笋江路占道", owner=owner,
                         deadline_at=now + timedelta(days=2), actor=organiser, actor_telegram_id=organiser.telegram_id)
    number = await dispatch_zone(stack)  # 明天 9:30: after the first meeting, before the deadline
    officer, officer2 = stack.user("officer"), stack.user("officer2")
    await officer.wait_for_text(number, timeout=10)
    await officer.press("收到")
    await officer.wait_for_text("已记录：收到")
    await officer2.wait_for_text(number, timeout=10)
    await officer2.press("无法参加")
    await officer2.wait_for_text("原因")
    await officer2.press("请假")
    await officer2.wait_for_text("已记录：无法参加")

    await officer.send_command("/agenda")
    agenda = await officer.wait_for_text("我的日程")
    lines = [line for line in agenda.text.splitlines() if line.startswith("·")]
    assert len(lines) == 4, agenda.text
    assert "碰头会" in lines[0] and number in lines[1] and "浮桥街道办门口" in lines[1] and "已收到" in lines[1]
    assert "整治笋江路占道" in lines[2] and "月度联席会议" in lines[3]

    await officer2.send_command("/agenda")  # declined: the action is not on their agenda
    agenda2 = await officer2.wait_for_text("我的日程")
    assert number not in agenda2.text and "碰头会" in agenda2.text
    coordinator = stack.user("coordinator")  # the dispatcher sees what they dispatched
    await coordinator.send_command("/agenda")
    mine = await coordinator.wait_for_text("我的日程")
    assert number in mine.text and "我派发" in mine.text
    stack.emu.register_user(stack.user("old_officer").json)
    await stack.user("old_officer").send_command("/agenda")
    other = await stack.user("old_officer").wait_for_text("我的日程")
    assert number not in other.text and "近期没有" in other.text


@pytest.mark.bot_env(**FAST)
async def test_a_board_that_failed_to_send_is_posted_by_the_board_job(stack: Stack) -> None:
    """The board is the only place with 提醒 / 修改 / 取消 / 记录结果: one failed send used to leave
    the action unmanageable for good."""
    coordinator = stack.user("coordinator")
    number = await dispatch_zone(stack, before_confirm=lambda: stack.emu.fail_next(
        "sendMessage", 502, "Bad Gateway", chat_id=coordinator.user_id))
    posted = await coordinator.wait_for(lambda m: f"{number} 看板" in m.text, timeout=10)
    assert "原派发人已停用" not in posted.text and "取消行动" in str(posted.reply_markup)
    for _ in range(50):  # the bot stores the board's message id right after Telegram answers
        action = the_action(stack)
        if action.board_message_id is not None:
            break
        await asyncio.sleep(0.1)
    assert (action.board_chat_id, action.board_message_id) == (coordinator.user_id, posted.message_id)
    officer = stack.user("officer")
    notice = await officer.wait_for_text(number, timeout=10)
    await officer.press("收到", notice)
    await coordinator.wait_for(lambda m: m.message_id == posted.message_id and "浮桥队员甲" in m.text, timeout=10)

