"""Issue 8 through the real bot: /stats with its chart and buttons, export as a document, /audit, refusals."""

from __future__ import annotations

from tests.e2e.harness import Stack


async def test_officer_cannot_see_stats_export_or_audit(stack: Stack) -> None:
    officer = stack.user("officer")
    for command in ("/stats", "/export", "/audit XS-20261126-001"):
        await officer.send_text(command)
        await officer.wait_for_text("无权限")
    legal = stack.user("legal")
    await legal.send_command("/export")
    await legal.wait_for_text("无权限")


async def test_coordinator_gets_a_chart_for_the_own_zone_and_an_export(stack: Stack) -> None:
    coordinator = stack.user("coordinator")
    await coordinator.send_text("📊 统计")
    chart = await coordinator.wait_for(lambda m: m.kind == "photo", timeout=20)
    assert "统计：江南新区" in chart.text and "本周" in chart.text and "案源线索 0 条" in chart.text
    await coordinator.press("浮桥", message=chart)
    street_chart = await coordinator.wait_for(lambda m: m.kind == "photo" and "浮桥街道" in m.text, timeout=20)
    assert "江南新区 · 浮桥街道" in street_chart.text
    # Another zone's figures through a forged button: refused, nothing sent.
    answer = await coordinator.press_forged("rp:v:100w", message_id=street_chart.message_id)
    assert answer is not None and "无权限" in (answer.text or "")
    await coordinator.press("📥 导出 Excel", message=street_chart)
    document = await coordinator.wait_for(lambda m: m.kind == "document", timeout=20)
    assert document.document is not None and document.document.get("file_name", "").endswith(".xlsx")
    assert "江南新区" in document.text and "线索 0" in document.text


async def test_admin_audit_of_unknown_number_and_usage(stack: Stack) -> None:
    admin = stack.user("admin")
    await admin.send_text("/audit XS-20991231-001")
    await admin.wait_for_text("未找到编号为 XS-20991231-001")
    await admin.send_text("/audit")
    await admin.wait_for_text("用法：/audit")
