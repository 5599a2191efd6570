"""Issue 3 through the real bot: the roster is the only door, the guard checks every update."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from db.models import AuditEntry, Person
from sandbox.records import BotMessage
from tests.e2e.harness import ROSTER, Stack, seed_roster


async def test_stranger_gets_refusal_and_zones_only(stack: Stack) -> None:
    stranger = stack.stranger()
    await stranger.send_text("占道经营")
    reply = await stranger.wait_for_text("未登记")
    assert "老城区" in reply.text and "江南新区" in reply.text  # the public zone division
    assert not any(m.name in reply.text for m in ROSTER)  # no names from the roster
    assert stranger.keyboard == ["📱 分享本人手机号"]
    await stranger.send_command("/dispatch")
    assert "未登记" in (await stranger.wait_for_text("未登记")).text
    assert await stranger.inline_query("占道") == []


async def test_a_stranger_spamming_gets_five_refusals_a_minute_and_still_can_start(stack: Stack) -> None:
    """Each refusal is a message sent from the bot's ~30/s: strangers must not be able to spend it."""
    stranger = stack.stranger()
    for n in range(10):
        await stranger.send_text(f"占道经营{n}")
    def refusals_up_to(message: BotMessage) -> int:
        return sum("未登记" in m.text for m in stranger.messages if m.message_id <= message.message_id)

    await stranger.wait_for(lambda m: "未登记" in m.text and refusals_up_to(m) == 5)
    await stranger.expect_silence(1.0)  # the other five get nothing
    assert sum("未登记" in m.text for m in stranger.messages) == 5
    await stranger.send_command("/start")  # the public way in is never limited
    await stranger.wait_for_text("分享本人手机号")
    assert (await stranger.press_forged("dsa:ok:1:1", 1)) is not None  # a button press still gets its alert


async def test_own_contact_binds_and_menu_appears(stack: Stack) -> None:
    newcomer = stack.user("unbound")
    await newcomer.send_command("/start")
    await newcomer.wait_for_text("未登记")
    await newcomer.share_contact()
    reply = await newcomer.wait_for_text("绑定成功")
    assert "未绑定队员" in reply.text and "金龙街道" in reply.text
    assert "🔍 查询事项" in newcomer.keyboard
    with stack.db.session() as session:
        person = session.exec(select(Person).where(Person.phone == "13900000010")).one()
        assert person.telegram_id == newcomer.user_id
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "bind.contact")).first() is not None


async def test_someone_elses_contact_is_refused(stack: Stack) -> None:
    stranger = stack.stranger(777)
    await stranger.share_contact(phone="+8613900000010", user_id=1234567)  # a forwarded card of a roster member
    reply = await stranger.wait_for_text("无权限")
    assert "本人" in reply.text
    with stack.db.session() as session:
        assert session.exec(select(Person).where(Person.phone == "13900000010")).one().telegram_id is None
    await stranger.send_text("你好")
    await stranger.wait_for_text("未登记")  # still a stranger


async def test_contact_not_on_roster(stack: Stack) -> None:
    stranger = stack.stranger(778)
    await stranger.share_contact(phone="+8613011112222")
    assert "未登记" in (await stranger.wait_for_text("不在")).text


async def test_reimport_deactivates_at_once(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/help")
    await officer.wait_for_text("片区联合执法助手")
    seed_roster(stack.db, tuple(m for m in ROSTER if m.key != "officer"))
    await officer.send_command("/help")
    assert "停用" in (await officer.wait_for_text("未登记")).text


async def test_role_restricted_command_refused(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/invite", "13900000010")
    await officer.wait_for_text("无权限")
    admin = stack.user("admin")
    await admin.send_command("/invite", "13900000010")
    link = await admin.wait_for_text("绑定链接")
    token = link.text.split("start=")[1].split()[0]
    newcomer = stack.driver.user(4321, "换号队员")
    await newcomer.send_command("/start", token)
    assert "未绑定队员" in (await newcomer.wait_for_text("绑定成功")).text
    other = stack.driver.user(4322, "又一人")
    await other.send_command("/start", token)
    await other.wait_for_text("无权限")  # single use


async def test_forged_callback_refused_and_bot_keeps_answering(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/menu")
    menu = await officer.wait_for_text("主菜单")
    for forged in ("dsp:ack:99999:1", "xx", "case:accept:1:1"):
        answer = await officer.press_forged(forged, menu.message_id)
        assert answer is not None and "无权限" in (answer.text or "")
    await officer.send_command("/help")
    await officer.wait_for_text("片区联合执法助手")


async def test_huge_text_and_empty_caption_answered_politely(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_text("占" * 5000)
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    await officer.send_photo(b"\x89PNG\r\n\x1a\n" + b"0" * 100, caption=None)
    reply = await officer.wait_for(lambda m: True)
    assert "系统出错" not in reply.text
    await officer.send_command("/zones")
    await officer.wait_for_text("江南新区")


async def test_duplicate_update_handled_once(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/zones")
    await officer.wait_for_text("片区划分")
    stack.emu.requeue_confirmed(1)  # Telegram re-delivers the last update (e.g. a lost ack)
    await officer.expect_silence(1.5)


async def test_every_main_menu_button_of_every_role_is_allowed_for_that_role(stack: Stack) -> None:
    """A button shown to a role must not answer 无权限 (the legal reviewers' 会议 did: meetings are managed
    by coordinators; legal reviewers see theirs in 我的日程)."""
    for key in ("officer", "coordinator", "legal", "admin"):
        user = stack.user(key)
        await user.send_command("/menu")
        await user.wait_for(lambda m: True)
        assert user.keyboard, key
        for label in user.keyboard:
            await user.send_text(label)
            reply = await user.wait_for(lambda m: True)
            assert "无权限" not in reply.text, (key, label, reply.text)
            await user.send_command("/cancel")
            await user.wait_for(lambda m: True)


async def test_a_button_of_an_old_menu_is_refused_and_replaced_by_the_roles_menu(stack: Stack) -> None:
    """Legal reviewers had 🗓 会议 on their keyboard; a phone keeps a reply keyboard until a new one comes."""
    legal = stack.user("legal")
    await legal.send_text("🗓 会议")
    assert "无权限" in (await legal.wait_for(lambda m: True)).text
    assert "🗓 会议" not in legal.keyboard and "🗂 片区线索" in legal.keyboard  # the reviewer's current menu


@pytest.mark.bot_env(FLOOD_MAX_UPDATES="200")  # ~30 commands in a few seconds: more than the flood gate lets by
async def test_every_command_in_a_roles_help_is_allowed_for_that_role(stack: Stack) -> None:
    """Legal reviewers were shown the coordinators' /dispatch /stats /export, each answered 无权限."""
    for key in ("officer", "coordinator", "legal", "admin"):
        user = stack.user(key)
        await user.send_command("/help")
        help_text = (await user.wait_for_text("片区联合执法助手")).text
        commands = sorted(set(re.findall(r"^(/[a-z]+)", help_text, flags=re.MULTILINE)))
        assert "/lookup" in commands, key
        for command in commands:
            await user.send_command(command)
            reply = await user.wait_for(lambda m: True, timeout=20)  # /stats draws a chart
            assert "无权限" not in reply.text, (key, command, reply.text)
            await user.send_command("/cancel")
            await user.wait_for(lambda m: True)
