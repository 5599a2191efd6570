"""Issue 13 item 4: group chats get only what is meant for groups. Everything else (exports,
statistics, the audit log, invite links, dispatch and its board, meetings, agendas, plans, and any
command added later) answers 「请私聊机器人使用此功能」 in the group and posts nothing else there."""

from __future__ import annotations

import pytest

import texts
from tests.e2e.harness import Stack

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the guard is backend-blind

PRIVATE_ONLY = "请私聊机器人使用此功能"
SENSITIVE = ("/export", "/stats", "/audit", "/invite 13900000010", "/dispatch", "/meeting", "/agenda", "/plans",
             "/jointlist", "/plan", "/cases", "/mycases", "/case", "/help", "/menu", "/aliases", "/cancel",
             "/a_command_added_next_year")


@pytest.mark.bot_env(FLOOD_MAX_UPDATES="100")  # 21 commands in a row from one admin
async def test_sensitive_commands_in_a_group_point_to_the_private_chat(stack: Stack) -> None:
    assert PRIVATE_ONLY in texts.GROUP_PRIVATE_ONLY  # the words
    group = stack.driver.group(-100_1313, "江南片区工作群")
    admin = stack.user("admin")  # an admin may run every one of these in private
    for line in SENSITIVE:
        command, _, args = line.partition(" ")
        await admin.send_command(command, args, chat=group)
        reply = await group.wait_for(lambda m: True)
        assert reply.text == texts.GROUP_PRIVATE_ONLY, (line, reply.text)
    for word in (texts.MENU_STATS, texts.MENU_DISPATCH, texts.MENU_AGENDA):  # main-menu words typed in the group
        await admin.send_text(word, chat=group)
        assert (await group.wait_for(lambda m: True)).text == texts.GROUP_PRIVATE_ONLY
    await group.expect_silence(1.0)
    posted = group.messages
    assert {m.kind for m in posted} == {"text"}  # no export file, no chart
    assert all(m.text == texts.GROUP_PRIVATE_ONLY for m in posted)
    assert not any("start=" in m.source or "inv_" in m.source for m in posted)  # never an invite link
    assert not any(m.reply_markup for m in posted)  # no board, no buttons, no menu keyboard
    assert admin.messages == []  # and nothing was sent privately either


async def test_group_keeps_what_is_meant_for_groups(stack: Stack) -> None:
    group = stack.driver.group(-100_1314, "老城片区工作群")
    officer = stack.user("old_officer")
    await officer.send_command("/zones", chat=group)
    assert "江南新区" in (await group.wait_for_text("片区")).text
    await officer.send_command("/lookup", "占道经营", chat=group)
    await group.wait_for_text("赋权")
    await officer.send_text("大家好，今天下午三点集合", chat=group)  # ordinary chatter: the bot stays out
    await officer.send_command("/start@SomeOtherBot", chat=group)  # another bot's command
    await group.expect_silence(1.0)


async def test_private_buttons_pressed_in_a_group_are_refused(stack: Stack) -> None:
    group = stack.driver.group(-100_1315, "江南片区工作群")
    coordinator = stack.user("coordinator")
    await coordinator.send_command("/zones", chat=group)
    posted = await group.wait_for_text("片区")
    for data in ("dsb:ok:1:1", "dsa:yes:1:1", "imp:ok:abcd", "als:up:1", "mt:x:1"):
        answer = await coordinator._callback(data, posted.raw, 5.0)  # a tampered client, or an old forward
        assert answer is not None and answer.text == texts.GROUP_PRIVATE_ONLY, (data, answer)
    await group.expect_silence(0.5)


async def test_invite_link_is_only_sent_privately(stack: Stack) -> None:
    group = stack.driver.group(-100_1316, "管理群")
    admin = stack.user("admin")
    await admin.send_command("/invite", "13900000010", chat=group)
    assert (await group.wait_for(lambda m: True)).text == texts.GROUP_PRIVATE_ONLY
    await admin.send_command("/invite", "13900000010")
    assert "start=" in (await admin.wait_for_text("绑定链接")).text
    assert not any("start=" in m.text for m in group.messages)
