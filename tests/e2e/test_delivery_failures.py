"""Issue 13.5 through the real bot: a lead whose handler blocked the bot. The reporter is told the
handler did not get it, an admin is told (no other coordinator in the zone), /cases flags the lead;
the card shows an imported account that never opened the bot as 未激活."""

from __future__ import annotations

from db.models import Person
from tests.e2e.harness import Stack
from tests.e2e.test_cases import NUMBER, file_until_card, open_chats


async def test_a_handler_who_blocked_the_bot_is_reported_not_claimed_as_notified(stack: Stack) -> None:
    officer = stack.user("officer")
    others = open_chats(stack, "coordinator", "admin")
    coordinator_id = stack.members["coordinator"].telegram_id
    assert coordinator_id is not None
    stack.emu.faults.blocked_user_ids = {coordinator_id}
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路")
    card = officer.messages[-1].text
    assert "江南协调员（未激活" in card  # imported with a telegram_id, never wrote to the bot
    await officer.press("✅ 确认上报")
    filed = await officer.wait_for_text("线索已上报")
    found = NUMBER.search(filed.text)
    assert found is not None
    number = found.group(0)

    told = await officer.wait_for_text("未收到通知", timeout=15)
    assert number in told.text and "江南协调员" in told.text and "已屏蔽机器人" in told.text and "系统管理员" in told.text
    admin = others["admin"]
    note = await admin.wait_for_text("通知未送达", timeout=15)
    assert "江南协调员" in note.text and number in note.text and "已屏蔽机器人" in note.text

    with stack.db.session() as session:  # the admin looks at every zone
        person = session.get(Person, _person_id(stack, "系统管理员"))
        assert person is not None
        person.zone = None
    await admin.send_command("/cases")
    listing = await admin.wait_for_text("线索", timeout=10)
    line = next(line for line in listing.text.splitlines() if number in line)
    assert line.startswith("⚠️无人接收")


def _person_id(stack: Stack, name: str) -> int:
    from sqlmodel import select

    with stack.db.session() as session:
        found = session.exec(select(Person.id).where(Person.name == name)).one()
    assert found is not None
    return found
