"""Issue 13 items 13 and 8 through the chat: a roster file that gives an active person's Telegram
account to someone else is refused with row and column (not 系统出错); when the write fails the
preview stays, so the admin presses 确认导入 again without re-uploading; a dimension-bomb workbook
is previewed quickly while others keep being served."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from db.models import Person
from tests.e2e.harness import ROSTER, Stack
from tests.unit.test_table_bombs import bomb

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # DB semantics: tests/db/test_roster_accounts.py

HEADER = "姓名,手机,角色,街道,片区,单位,执法证号,执法证有效期,telegram_id\n"


def roster_csv(extra: str) -> bytes:
    """The standard roster as a file (rows 2-11, accounts left as bound) plus `extra` as row 12."""
    lines = [f"{m.name},{m.phone},{m.role},{m.street or ''},{m.zone},{m.department or ''},TEST-{m.phone[-4:]},"
             "2030-01-01," for m in ROSTER]
    return (HEADER + "\n".join(lines) + "\n" + extra + "\n").encode()


async def test_account_of_an_active_person_is_named_by_row_and_column(stack: Stack) -> None:
    admin = stack.user("admin")
    await admin.send_document(roster_csv("新队员乙,13900000011,officer,浮桥街道,江南新区,,,,1001"), "名册.csv", "text/csv")
    reply = await admin.wait_for_text("第 12 行")
    assert "「telegram_id」列" in reply.text and "浮桥队员甲" in reply.text and "没有任何改动" in reply.text
    assert "系统出错" not in reply.text
    with stack.db.session() as session:
        assert session.exec(select(Person).where(Person.phone == "13900000011")).first() is None


async def test_failed_write_keeps_the_preview_for_a_retry(stack: Stack) -> None:
    admin = stack.user("admin")
    await admin.send_document(roster_csv("新队员乙,13900000011,officer,浮桥街道,江南新区,,,,7777"), "名册.csv", "text/csv")
    preview = await admin.wait_for_text("名册导入预览")
    assert "新增 1" in preview.text
    confirm = preview.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    # Meanwhile account 7777 binds itself to 未绑定队员 (its own contact), so the write must fail.
    someone = stack.driver.user(7777, "某人", phone="+8613900000010")
    await someone.share_contact()
    await someone.wait_for_text("绑定成功")
    await admin.press("确认导入")
    failed = await admin.wait_for_text("预览已保留")
    assert "第 12 行「telegram_id」列" in failed.text and "系统出错" not in failed.text
    with stack.db.session() as session:
        assert session.exec(select(Person).where(Person.phone == "13900000011")).first() is None
        holder = session.exec(select(Person).where(Person.phone == "13900000010")).one()
        holder.telegram_id = None  # the operator frees the account (it was bound by mistake)
        session.add(holder)
    await admin.press("确认导入")  # the same preview, no new upload
    await admin.wait_for_text("名册已导入")
    with stack.db.session() as session:
        added = session.exec(select(Person).where(Person.phone == "13900000011")).one()
        assert (added.name, added.telegram_id, added.active) == ("新队员乙", 7777, True)
    used = await admin.press_forged(confirm, preview.message_id)
    assert used is not None and (used.text or "").startswith("无权限")  # written once; the preview is used up


async def test_dimension_bomb_upload_is_previewed_and_others_are_served(stack: Stack, tmp_path: Path) -> None:
    header = ["姓名", "手机", "角色", "街道", "片区", "telegram_id"]
    rows = [[m.name, m.phone, m.role, m.street or "", m.zone, str(m.telegram_id or "")] for m in ROSTER]
    data = bomb(tmp_path / "名册.xlsx", header, rows).read_bytes()
    assert len(data) < 10_000
    admin, officer = stack.user("admin"), stack.user("officer")
    await admin.send_document(data, "名册.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    await officer.send_text("占道经营")
    await officer.wait_for_text("赋权", timeout=10)
    preview = await admin.wait_for_text("名册导入预览", timeout=20)
    assert "新增 0 人" in preview.text and "停用 0 人" in preview.text  # the padding invented nobody
