"""Issue 13.6 through the real bot: one chat that floods the bot does not stall everybody else."""

from __future__ import annotations

import time

import pytest

from tests.e2e.harness import Stack


@pytest.mark.sqlite_only
@pytest.mark.bot_env(FLOOD_MAX_UPDATES="40", FLOOD_WINDOW_SECONDS="60")
async def test_an_officer_forwarding_150_messages_does_not_stall_another_officers_lookup(stack: Stack) -> None:
    """A bound user's flood: each message is a lookup with a reply (a stranger's flood now costs
    only five refusals a minute, handlers/guard.TurnAwayLimit)."""
    officer = stack.user("officer2")
    await officer.send_text("占道经营")  # the search index is built at the first lookup: not what is measured
    await officer.wait_for_text("已赋权", timeout=20)
    flooder = stack.user("officer")
    for n in range(150):  # as a forward of 150 messages arrives: all queued at once
        await flooder.send_text(f"转发的消息 {n}")
    started = time.monotonic()
    await officer.send_text("油烟扰民")
    await officer.wait_for_text("已赋权", timeout=20)
    waited = time.monotonic() - started
    served_to_flooder = len(flooder.messages)
    # The officer is answered while the flooder's 40 allowed updates are still being worked through
    # one by one; before the fix the officer waited behind all of them (41 replies incl. the warning).
    assert served_to_flooder < 20, f"officer answered only after {served_to_flooder} replies to the flood"
    assert waited < 5.0
    await flooder.wait_for(lambda m: "操作过于频繁" in m.text, timeout=20)
    for _ in range(200):  # the rest of the flood: 40 answers and one warning, nothing more
        if len(flooder.messages) >= 41:
            break
        await stack.emu.wait_change(0.1)
    await flooder.expect_silence(0.5)
    texts = [m.text for m in flooder.messages]
    assert len(texts) == 41 and sum("操作过于频繁" in t for t in texts) == 1  # 40 lookups answered, one warning
