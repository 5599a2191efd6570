"""Issue 5 through the real bot: filing a lead, who is told, the lifecycle, duplicates, disputes, crashes."""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
import zlib

from sqlmodel import select

from db import cases as lead_db
from db.cases import Lead, LeadDispute
from db.models import AuditEntry, OutboxMessage
from sandbox.driver import User
from sandbox.markup import inline_rows
from tests.e2e.harness import Stack

FUQIAO_SPOT = (24.9000, 118.5800)  # inside 鲤城区
OUTSIDE_SPOT = (24.9500, 118.6500)  # 丰泽区
NUMBER = re.compile(r"XS-\d{8}-\d{3}")
HANDLERS = ("coordinator", "old_coordinator", "legal", "old_legal", "district", "officer2", "old_officer", "admin")


def png(width: int = 4, height: int = 3, seed: int = 0) -> bytes:
    """A small valid PNG (the emulator reads its size)."""
    rows = b"".join(b"\x00" + bytes((seed + x + y) % 256 for x in range(width * 3)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def press_containing(user: User, fragment: str) -> None:
    """Press the newest inline button whose label contains `fragment`."""
    for message in reversed(user.messages):
        for row in inline_rows(message):
            for button in row:
                if fragment in button.get("text", ""):
                    await user.press(button["callback_data"], message)
                    return
    raise LookupError(fragment)


def open_chats(stack: Stack, *keys: str) -> dict[str, User]:
    """Roster members who have opened their chat with the bot (so notices can reach them)."""
    users = {key: stack.user(key) for key in keys}
    for user in users.values():
        stack.emu.register_user(user.json)
    return users


async def file_until_card(officer: User, description: str, item_fragment: str | None, *,
                          spot: tuple[float, float] = FUQIAO_SPOT, photo: bytes | None = None) -> None:
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_location(*spot, horizontal_accuracy=12)
    await officer.wait_for_text("属于哪个街道")
    try:
        await press_containing(officer, "✅ 浮桥街道")  # proposed: the reporter's own street
    except LookupError:
        await officer.press("浮桥街道")
    await officer.wait_for_text("第 2 步")
    await officer.send_text(description)
    await officer.wait_for_text("不确定")
    await press_containing(officer, item_fragment or "不确定")
    await officer.wait_for_text("第 3 步")
    if photo is not None:
        await officer.send_photo(photo)
        await officer.wait_for_text("已收到 1 张")
    await officer.press("完成")
    await officer.wait_for_text("请确认线索")


async def file_lead(officer: User, description: str, item_fragment: str | None, **kw: object) -> str:
    await file_until_card(officer, description, item_fragment, **kw)  # type: ignore[arg-type]
    await officer.press("✅ 确认上报")
    reply = await officer.wait_for_text("线索已上报")
    found = NUMBER.search(reply.text)
    assert found is not None
    return found.group(0)


def texts_of(user: User) -> list[str]:
    return [m.text for m in user.messages]


async def test_full_flow_notifies_the_right_people_and_reaches_done(stack: Stack) -> None:
    officer = stack.user("officer")
    others = open_chats(stack, *HANDLERS)
    photo = png(seed=7)
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路", photo=photo)
    card = officer.messages[-1].text
    assert "以浮桥街道办事处名义执法" in card and "已赋权" in card and "江南协调员" in card and "照片：1 张" in card
    await officer.press("✅ 确认上报")
    number = NUMBER.search((await officer.wait_for_text("线索已上报")).text).group(0)  # type: ignore[union-attr]

    coordinator = others["coordinator"]
    notice = await coordinator.wait_for_text(number)
    assert "人行道上摆摊卖水果" in notice.text and "待受理" in notice.text
    for key in HANDLERS[1:]:
        await others[key].expect_silence(0.3)
        assert not any(number in text for text in texts_of(others[key])), key

    with stack.db.session() as session:
        lead = lead_db.by_number(session=session, number=number)
        assert lead is not None and lead.street == "浮桥街道" and lead.zone == "江南新区" and lead.item_code == "DEMO-ZH-01"
        assert lead.lat == FUQIAO_SPOT[0] and lead.accuracy_m == 12
        photos = lead_db.photos_of(session=session, lead_id=lead.id or 0)
        assert [p.sha256 for p in photos] == [hashlib.sha256(photo).hexdigest()]
        assert lead_db.get_draft(session=session, reporter_id=lead.reporter_id) is None

    # The handler's buttons: 受理 → 处置中 → 办结; each change reaches the reporter.
    for button, state in (("受理", "已受理"), ("处置中", "处置中"), ("办结", "已办结")):
        await coordinator.press(button, notice)
        await officer.wait_for(lambda m, s=state: number in m.text and f"状态更新：{s}" in m.text)
        notice = await coordinator.wait_for(
            lambda m, s=state, i=notice.message_id: m.message_id == i and f"当前：{s}" in m.text)
    assert "承办人：江南协调员" in notice.text and inline_rows(notice) == []

    await officer.send_command("/mycases")
    listing = await officer.wait_for_text("我上报的线索")
    assert number in listing.text and "已办结" in listing.text
    with stack.db.session() as session:
        actions = [a.action for a in session.exec(select(AuditEntry).where(AuditEntry.entity_id == number)).all()]
    assert actions == ["lead.file", "lead.state.accepted", "lead.state.in_progress", "lead.state.closed"]
    print("\n".join(["--- reporter transcript ---", *texts_of(officer)]))


async def test_illegal_and_foreign_presses_change_nothing(stack: Stack) -> None:
    officer = stack.user("officer")
    others = open_chats(stack, "coordinator", "old_coordinator")
    number = await file_lead(officer, "占道经营", "占用城市道路")
    notice = await others["coordinator"].wait_for_text(number)
    accept = next(b for row in inline_rows(notice) for b in row if b["text"] == "受理")["callback_data"]
    done = accept.replace(":acc:", ":done:")
    answer = await others["coordinator"].press_forged(done, notice.message_id)
    assert answer is not None and "不能改为「已办结」" in (answer.text or "")
    answer = await others["old_coordinator"].press_forged(accept, notice.message_id)  # other zone
    assert answer is not None and "无权限" in (answer.text or "")
    answer = await officer.press_forged(accept, notice.message_id)  # the reporter is not a handler here
    assert answer is not None and "无权限" in (answer.text or "")
    with stack.db.session() as session:
        lead = lead_db.by_number(session=session, number=number)
        assert lead is not None and lead.state == "待受理" and lead.version == 1


async def test_duplicate_prompt_merge_and_resubmission(stack: Stack) -> None:
    officer, colleague = stack.user("officer"), stack.user("officer2")
    coordinator = open_chats(stack, "coordinator")["coordinator"]
    first = await file_lead(officer, "人行道上摆摊卖水果", "占用城市道路")
    # The same report again at once, with a photo taken since: recognised, not filed twice, photo kept.
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路", photo=png(seed=5))
    await officer.press("✅ 确认上报")
    assert first in (await officer.wait_for_text("未重复登记")).text
    assert "新增照片 1 张" in (await coordinator.wait_for_text("收到合并上报")).text
    # A colleague 30 m away, same item: asked to merge or file anyway.
    await file_until_card(colleague, "路边有人摆摊", "占用城市道路", spot=(FUQIAO_SPOT[0] + 0.0003, FUQIAO_SPOT[1]),
                          photo=png(seed=3))
    await colleague.press("✅ 确认上报")
    prompt = await colleague.wait_for_text("附近 7 天内已有同一事项")
    assert first in prompt.text
    await colleague.press(f"合并 {first}")
    assert first in (await colleague.wait_for_text("已合并")).text
    merged = await coordinator.wait_for(lambda m: "收到合并上报（江南队员乙）" in m.text)  # the handler hears of it
    assert first in merged.text and "路边有人摆摊" in merged.text and "新增照片 1 张" in merged.text
    # And once more, choosing 仍然上报: a new number.
    await file_until_card(colleague, "路边又有人摆摊", "占用城市道路", spot=(FUQIAO_SPOT[0] + 0.0003, FUQIAO_SPOT[1]))
    await colleague.press("✅ 确认上报")
    await colleague.wait_for_text("附近 7 天内已有同一事项")
    await colleague.press("仍然上报")
    second = NUMBER.search((await colleague.wait_for_text("线索已上报")).text).group(0)  # type: ignore[union-attr]
    assert second != first
    with stack.db.session() as session:
        assert len(session.exec(select(Lead)).all()) == 2
        lead = lead_db.by_number(session=session, number=first)
        assert lead is not None and len(lead_db.photos_of(session=session, lead_id=lead.id or 0)) == 2
        assert sum("合并上报" in (h.note or "") for h in lead_db.history_of(session=session, lead_id=lead.id or 0)) == 2


async def test_a_closed_lead_is_not_offered_for_merging(stack: Stack) -> None:
    """A violation back after its lead was closed is a new lead: merged, it would reach nobody."""
    officer, colleague = stack.user("officer"), stack.user("officer2")
    coordinator = open_chats(stack, "coordinator")["coordinator"]
    first = await file_lead(officer, "人行道上摆摊卖水果", "占用城市道路")
    notice = await coordinator.wait_for_text(first)
    for button, state in (("受理", "已受理"), ("处置中", "处置中"), ("办结", "已办结")):
        await coordinator.press(button, notice)
        notice = await coordinator.wait_for(
            lambda m, s=state, i=notice.message_id: m.message_id == i and f"当前：{s}" in m.text)
    await file_until_card(colleague, "路边有人摆摊", "占用城市道路", spot=(FUQIAO_SPOT[0] + 0.0003, FUQIAO_SPOT[1]))
    await colleague.press("✅ 确认上报")
    filed = await colleague.wait_for(lambda m: "线索已上报" in m.text or "附近 7 天内" in m.text)
    assert "线索已上报" in filed.text
    second = NUMBER.search(filed.text).group(0)  # type: ignore[union-attr]
    assert second != first
    assert second in (await coordinator.wait_for_text(second)).text
    # The first reporter sends the same report again within 10 minutes: not swallowed by the closed lead.
    await file_until_card(officer, "人行道上摆摊卖水果", "占用城市道路", photo=png(seed=7))
    await officer.press("✅ 确认上报")
    again = await officer.wait_for(lambda m: "线索已上报" in m.text or "未重复登记" in m.text or "附近 7 天内" in m.text)
    assert "未重复登记" not in again.text and first not in again.text


async def test_dispute_reaches_legal_reviewer_and_decision_reroutes(stack: Stack) -> None:
    officer = stack.user("officer")
    others = open_chats(stack, "coordinator", "legal", "old_legal", "district")
    number = await file_lead(officer, "占道经营", "占用城市道路")
    coordinator, legal = others["coordinator"], others["legal"]
    notice = await coordinator.wait_for_text(number)
    await coordinator.press("执法主体有争议", notice)
    await coordinator.wait_for_text("争议")
    await coordinator.send_text("摊主无证经营食品，应由市场监管部门处理")
    assert "法制审核人员将在" in (await coordinator.wait_for_text("已提交执法主体争议")).text
    dispute_notice = await legal.wait_for_text("执法主体争议")
    assert number in dispute_notice.text and "无证经营食品" in dispute_notice.text and "前确定执法主体" in dispute_notice.text
    await others["old_legal"].expect_silence(0.3)
    assert not any(number in t for t in texts_of(others["old_legal"]))

    await legal.press("由区市场监督管理局执法", dispute_notice)
    await legal.wait_for_text("请简要写明理由")
    await legal.send_text("主要违法行为属食品经营")
    assert "区市场监督管理局" in (await legal.wait_for_text("已确定")).text
    # Re-routed: the department's member now gets the lead; the reporter hears the decision.
    rerouted = await others["district"].wait_for_text(number)
    assert "执法主体已确定：区市场监督管理局" in rerouted.text
    await officer.wait_for(lambda m: number in m.text and "执法主体已确定" in m.text)
    with stack.db.session() as session:
        lead = lead_db.by_number(session=session, number=number)
        dispute = session.exec(select(LeadDispute)).one()
        assert lead is not None and lead.basis == "未赋权" and lead.enforcing_subject == "区市场监督管理局"
        assert not lead.disputed and dispute.subject == "区市场监督管理局" and dispute.why == "主要违法行为属食品经营"
        assert dispute.deadline > dispute.raised_at


async def test_outside_district_is_warned_and_must_be_confirmed(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_location(*OUTSIDE_SPOT)
    warning = await officer.wait_for_text("不在鲤城区")
    assert "确认" in warning.text
    await officer.press("确认，仍然上报")
    await officer.wait_for_text("属于哪个街道")
    with stack.db.session() as session:
        draft = lead_db.get_draft(session=session, reporter_id=1)
    assert draft is not None and draft["outside_district"] is True


async def test_impossible_coordinates_and_non_images_are_refused(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_location(0.0, 0.0)
    await officer.wait_for_text("位置坐标无效")
    await officer.send_text("金山社区附近")
    await officer.wait_for_text("海滨街道")
    await press_containing(officer, "✅ 海滨街道")
    await officer.wait_for_text("第 2 步")
    await officer.send_text("店门口乱堆放杂物")
    await officer.wait_for_text("不确定")
    await press_containing(officer, "不确定")
    await officer.wait_for_text("第 3 步")
    await officer.send_document(b"%PDF-1.4", "report.pdf", "application/pdf")
    await officer.wait_for_text("只能接收照片")
    await officer.send_document(b"MZ\x90\x00" + b"\0" * 500, "photo.jpg", "image/jpeg")  # a program labelled JPEG
    assert "photo.jpg" in (await officer.wait_for_text("只能接收照片")).text
    await officer.send_document(png(seed=9), "scan.png", "image/png")  # a real image as a file is fine
    await officer.wait_for_text("已收到")
    await officer.press("完成")
    card = await officer.wait_for_text("请确认线索")
    assert "照片：1 张" in card.text
    assert "转法制审核" in card.text and "老城法制审核" in card.text


async def test_draft_survives_leaving_and_continue_is_offered(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_location(*FUQIAO_SPOT)
    await officer.wait_for_text("属于哪个街道")
    await officer.send_command("/cancel")
    await officer.wait_for_text("草稿已保存")
    await officer.send_command("/case")
    await officer.wait_for_text("未完成的线索草稿")
    await officer.press("继续")
    await officer.wait_for_text("属于哪个街道")


async def test_kill_right_after_confirmation_loses_nothing(stack: Stack) -> None:
    officer = stack.user("officer")
    coordinator = open_chats(stack, "coordinator")["coordinator"]
    await file_until_card(officer, "占道经营", "占用城市道路")
    stack.emu.fail_next("sendMessage", 502, "Bad Gateway", chat_id=coordinator.user_id)  # the notice is still pending
    await officer.press("✅ 确认上报")
    number = NUMBER.search((await officer.wait_for_text("线索已上报")).text).group(0)  # type: ignore[union-attr]
    await stack.bot.kill()
    await stack.bot.start()
    await officer.send_command("/mycases")
    assert number in (await officer.wait_for_text("我上报的线索")).text
    await coordinator.wait_for_text(number, timeout=15)
    for _ in range(50):  # the worker records `sent` just after the emulator accepted the message
        with stack.db.session() as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.ref_id == number)).all()
        if rows and all(row.status == "sent" for row in rows):
            break
        await asyncio.sleep(0.1)
    assert [row.status for row in rows] == ["sent"]


async def test_album_is_acknowledged_once_and_oversized_files_refused(stack: Stack) -> None:
    officer = stack.user("officer")
    await officer.send_command("/case")
    await officer.wait_for_text("第 1 步")
    await officer.send_text("浮桥")
    await officer.wait_for_text("属于哪个街道")
    await press_containing(officer, "✅ 浮桥街道")
    await officer.wait_for_text("第 2 步")
    await officer.send_text("占道经营")
    await officer.wait_for_text("不确定")
    await press_containing(officer, "占用城市道路")
    await officer.wait_for_text("第 3 步")
    for seed in range(3):
        await officer.send_photo(png(seed=seed), media_group_id="album-1")
    ack = await officer.wait_for_text("已收到 3 张")
    await officer.expect_silence(0.5)
    assert [m.text for m in officer.messages].count(ack.text) == 1
    await officer.send_document(b"\xff\xd8" + b"\0" * (20 * 1024 * 1024), "huge.jpg", "image/jpeg")
    await officer.wait_for_text("超过 20 MB")
    await officer.press("完成")
    assert "照片：3 张" in (await officer.wait_for_text("请确认线索")).text
