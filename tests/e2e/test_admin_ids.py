"""Issue 13 item 2: ADMIN_TELEGRAM_IDS only bootstraps. A deactivated person is never an admin,
the variable does not override a roster that has its own active admin, and it still works for
an operator who is on no roster at all."""

from __future__ import annotations

import pytest

from tests.e2e.harness import ROSTER, Stack, seed_roster

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the guard is backend-blind


@pytest.mark.bot_env(ADMIN_TELEGRAM_IDS="1009,1005,4444")
async def test_admin_who_left_loses_everything_despite_the_variable(stack: Stack) -> None:
    admin = stack.user("admin")  # 1009: on the roster as 管理员 AND listed in ADMIN_TELEGRAM_IDS
    await admin.send_command("/invite", "13900000010")
    await admin.wait_for_text("绑定链接")
    seed_roster(stack.db, tuple(m for m in ROSTER if m.key != "admin"))  # re-import: the admin has left
    for command in ("/invite 13900000010", "/export", "/audit", "/help"):
        name, _, args = command.partition(" ")
        await admin.send_command(name, args)
        reply = await admin.wait_for(lambda m: True)
        assert "停用" in reply.text and "绑定链接" not in reply.text, (command, reply.text)
    await admin.expect_silence(0.5)


@pytest.mark.bot_env(ADMIN_TELEGRAM_IDS="1005,4444")
async def test_variable_counts_only_while_the_roster_has_no_admin(stack: Stack) -> None:
    coordinator = stack.user("coordinator")  # 1005: a 协调员 on the roster, listed in the variable
    await coordinator.send_command("/invite", "13900000010")
    await coordinator.wait_for_text("无权限")  # the roster has an active admin: the roster decides
    operator = stack.driver.user(4444, "机房运维")  # listed, on no roster: the bootstrap operator
    await operator.send_command("/invite", "13900000010")
    await operator.wait_for_text("绑定链接")
    seed_roster(stack.db, tuple(m for m in ROSTER if m.key != "admin"))  # no active admin left
    await coordinator.send_command("/invite", "13900000010")
    await coordinator.wait_for_text("绑定链接")  # bootstrap again until the roster names an admin
    seed_roster(stack.db)  # the admin is back
    await coordinator.send_command("/invite", "13900000010")
    await coordinator.wait_for_text("无权限")
