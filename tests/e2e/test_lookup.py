"""Issue 4 through the real bot: cards by text, /lookup and inline; admin catalogue import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import func, select

import texts
from db.catalogue import CatalogueVersion, LearnedAlias
from db.models import Person
from tests.e2e.harness import ROSTER, Stack

STATUS_WORDS = ("已赋权", "未赋权", "已收回")
ZD = "对擅自占用城市道路从事经营活动的处罚"


def status_words(text: str) -> list[str]:
    return [w for w in STATUS_WORDS if w in text]


async def test_plain_text_gives_card_for_own_street(stack: Stack) -> None:
    officer = stack.user("officer")  # 浮桥街道
    await officer.send_text("站道经营")  # a homophone typo
    card = await officer.wait_for_text("执法主体")
    assert card.text.splitlines()[0] == ZD
    assert status_words(card.text) == ["已赋权"]
    assert "执法主体：浮桥街道办事处" in card.text
    assert "类别：综合执法" in card.text and "牵头部门：区城市管理和综合执法局" in card.text
    assert "执法依据：" in card.text and "示例数据，非官方" in card.text


async def test_street_in_query_and_undelegated_street(stack: Stack) -> None:
    officer = stack.user("officer")  # 浮桥 is not in the scope of 违法建设 (老城区 only in the sample)
    await officer.send_text("违建")
    card = await officer.wait_for_text("执法主体")
    assert status_words(card.text) == ["未赋权"] and "浮桥街道办事处" not in card.text
    await officer.send_text("开元 违建")
    card = await officer.wait_for_text("执法主体")
    assert status_words(card.text) == ["已赋权"] and "执法主体：开元街道办事处" in card.text


async def test_lookup_command_withdrawn_and_not_found(stack: Stack) -> None:
    officer = stack.user("officer2")
    await officer.send_command("/lookup", "擅自占用城市绿化用地")
    card = await officer.wait_for_text("执法主体")
    assert status_words(card.text) == ["已收回"] and "2025-03-31" in card.text
    await officer.send_command("/lookup", "护照办理")
    reply = await officer.wait_for_text("未找到")
    assert "执法主体：" not in reply.text and status_words(reply.text) == []


async def test_district_staff_without_street_sees_every_street(stack: Stack) -> None:
    staff = stack.user("district")
    await staff.send_text("油烟扰民")
    card = await staff.wait_for_text("各街道")
    assert card.text.count("已赋权") == 8


async def test_inline_mode_for_bound_users_only(stack: Stack) -> None:
    results = await stack.user("officer").inline_query("占道")
    assert results and results[0]["title"] == ZD
    assert len(results) <= 10
    assert await stack.stranger().inline_query("占道") == []


async def test_picking_a_suggestion_teaches_the_search(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_text("食品")
    reply = await officer.wait_for(lambda m: len(m.reply_markup.get("inline_keyboard", [])) > 1 if m.reply_markup else False)
    buttons = [row[0]["text"] for row in reply.reply_markup["inline_keyboard"] if row[0]["callback_data"].startswith("lk:pick")]
    assert buttons
    await officer.press(buttons[0])
    await officer.wait_for_text("执法主体")
    with stack.db.session() as session:
        learned = session.exec(select(LearnedAlias)).all()
    assert [row.query for row in learned] == ["食品"]
    admin = stack.user("admin")
    await admin.send_command("/aliases")
    listing = await admin.wait_for_text("查询学习记录")
    label = listing.reply_markup["inline_keyboard"][0][0]["text"]
    await admin.press(label)
    await admin.wait_for_text("别名")
    with stack.db.session() as session:
        assert session.exec(select(LearnedAlias)).one().promoted


async def test_admin_imports_catalogue_document(stack: Stack, tmp_path: Path) -> None:
    admin = stack.user("admin")
    good = (
        "编号,事项名称,类别,原行使部门,执法依据,赋权范围,状态,生效日期,收回日期,别名\n"
        "T-1,对测试事项甲的处罚,综合执法,区城市管理和综合执法局,《测试条例》第一条,全部街道,已赋权,2024-01-01,,甲事项\n"
    ).encode()
    await admin.send_document(good, "清单.csv", "text/csv")
    preview = await admin.wait_for_text("导入预览")
    assert "新增 1" in preview.text
    await admin.press("确认导入")
    await admin.wait_for_text("已导入事项清单")
    officer = stack.user("officer")
    await officer.send_text("对测试事项甲的处罚")  # "测试事项甲" alone is now 「可能是以下事项」 (事项 is a filler word)
    card = await officer.wait_for_text("执法主体")
    assert card.text.splitlines()[0] == "对测试事项甲的处罚" and "示例数据" not in card.text


async def test_a_legal_basis_longer_than_a_message_arrives_whole_in_valid_pieces(stack: Stack) -> None:
    """The full text was cut every 4,000 escaped characters: a cut inside &lt; made Telegram refuse it."""
    basis = "".join(f"第{n}条 违反<规定>的，由A&B部门责令改正。\n" for n in range(1, 151))  # 3,800 characters, 5,300 escaped
    admin = stack.user("admin")
    row = f'T-9,对测试事项乙的处罚,综合执法,区城市管理和综合执法局,"{basis}",全部街道,已赋权,2024-01-01,,\n'
    await admin.send_document(("编号,事项名称,类别,原行使部门,执法依据,赋权范围,状态,生效日期,收回日期,别名\n" + row).encode(),
                              "清单.csv", "text/csv")
    await admin.wait_for_text("导入预览")
    await admin.press("确认导入")
    await admin.wait_for_text("已导入事项清单")
    officer = stack.user("officer")
    await officer.send_text("对测试事项乙的处罚")
    card = await officer.wait_for_text("执法主体")
    await officer.press(texts.BUTTON_FULL_BASIS, card)
    await officer.wait_for_text("第150条")
    pieces = [m.text for m in officer.messages if m.message_id > card.message_id]
    assert len(pieces) >= 2 and pieces[0].startswith("对测试事项乙的处罚\n执法依据（全文）：\n")
    # each piece ends at a line end, which Telegram trims from a message: the lines are all there
    assert "\n".join(pieces).split("执法依据（全文）：\n", 1)[1] == basis.strip()


async def test_malformed_catalogue_refused_with_row_named(stack: Stack) -> None:
    admin = stack.user("admin")
    with stack.db.session() as session:
        before = session.exec(select(func.count()).select_from(CatalogueVersion)).one()
    bad = (
        "编号,事项名称,类别,原行使部门,执法依据,赋权范围,状态,生效日期\n"
        "T-1,对测试事项的处罚,综合执法,区城管局,依据,全部街道,已赋予,2024-01-01\n"
    ).encode()
    await admin.send_document(bad, "bad.csv", "text/csv")
    reply = await admin.wait_for_text("第 2 行")
    assert "状态" in reply.text and "没有任何改动" in reply.text
    await admin.send_document(b"%PDF-1.4", "scan.pdf", "application/pdf")
    await admin.wait_for_text(".csv")
    with stack.db.session() as session:
        assert session.exec(select(func.count()).select_from(CatalogueVersion)).one() == before
    officer = stack.user("officer")
    await officer.send_document(good_enough := b"a,b\n1,2\n", "x.csv", "text/csv")
    await officer.wait_for_text("无权限")
    del good_enough


async def test_unsure_lookup_offers_candidates_and_never_says_not_found(stack: Stack) -> None:
    """Issue 12: the middle answer lists candidates as buttons; it never claims the item is not in the list."""
    officer = stack.user("officer")
    await officer.send_text("食品")  # fits several items equally
    reply = await officer.wait_for_text("可能是以下事项")
    assert "未找到" not in reply.text and "不在" not in reply.text and "执法主体" not in reply.text
    picks = [row[0] for row in reply.reply_markup["inline_keyboard"] if row[0]["callback_data"].startswith("lk:pick")]
    assert 2 <= len(picks) <= 5
    await officer.press(picks[0]["text"])
    card = await officer.wait_for_text("执法主体")
    assert card.text.splitlines()[0].startswith(picks[0]["text"].rstrip("…"))


async def test_admin_adds_a_field_word_to_the_thesaurus(stack: Stack) -> None:
    """Issue 12: /thesaurus 现场用语 = 规范用语 takes effect at once; officers may not use it."""
    officer = stack.user("officer")
    await officer.send_text("走鬼")
    await officer.wait_for_text("未找到")
    await officer.send_command("/thesaurus", "走鬼、游击摊 = 占用城市道路从事经营活动")
    await officer.wait_for_text("无权限")
    admin = stack.user("admin")
    await admin.send_command("/thesaurus", "走鬼、游击摊 = 占用城市道路从事经营活动")
    await admin.wait_for_text("已加入词库")
    await officer.send_text("走鬼")
    card = await officer.wait_for_text("执法主体")
    assert card.text.splitlines()[0] == ZD
    await admin.send_command("/thesaurus")
    listing = await admin.wait_for_text("查询词库")
    assert "走鬼、游击摊 → 占用城市道路从事经营活动" in listing.text


async def test_a_roster_file_without_optional_columns_keeps_what_it_does_not_mention(stack: Stack) -> None:
    """A file with only 姓名/手机/角色/片区 set everyone's street, unit and certificate to empty. The
    preview now names who would be deactivated, and an admin cannot import a file without themself."""
    admin = stack.user("admin")
    kept = [m for m in ROSTER if m.key not in ("unbound", "old_officer")]
    rows = "".join(f"{m.name},{m.phone},{m.role},{m.zone}\n" for m in kept)  # roles may be written in English
    await admin.send_document(("姓名,手机,角色,片区\n" + rows).encode(), "名册.csv", "text/csv")
    preview = await admin.wait_for_text("人员名册导入预览")
    assert "将停用" in preview.text and "开元队员丁" in preview.text and "未绑定队员" in preview.text
    await admin.press("确认导入")
    await admin.wait_for_text("名册已导入")
    with stack.db.session() as session:
        officer = session.exec(select(Person).where(Person.phone == "13900000001")).one()
    assert (officer.street, officer.department, officer.certificate_expires) == ("浮桥街道", "浮桥街道综合执法队", date(2030, 1, 1))
    without_me = "".join(line + "\n" for line in rows.splitlines() if "系统管理员" not in line)
    await admin.send_document(("姓名,手机,角色,片区\n" + without_me).encode(), "名册2.csv", "text/csv")
    refused = await admin.wait_for_text("文件中没有您本人")
    assert "没有任何改动" in refused.text
