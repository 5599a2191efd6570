"""Demo mode with scripted stdin (as a newcomer runs it), and per-user flood protection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT, Stack


def test_demo_mode_with_scripted_input(tmp_path: Path) -> None:
    script = "/start\n🔍 查询事项\n占道经营\n/as coordinator\n/zones\n:quit\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DEMO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    done = subprocess.run(
        [sys.executable, "bot.py", "demo"], cwd=ROOT, input=script, capture_output=True, text=True, env=env, timeout=90,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "张伟（示例）" in out  # the sample officer greeted by name
    assert "对擅自占用城市道路从事经营活动的处罚" in out and "已赋权" in out and "示例数据，非官方" in out
    assert "江南新区：" in out and "常泰街道" in out
    assert not (ROOT / "data" / "demo.db").exists() or (tmp_path / "demo.db").exists()
    again = subprocess.run(  # a second run on the same demo database answers too
        [sys.executable, "bot.py", "demo"], cwd=ROOT, input="/zones\n:quit\n", capture_output=True, text=True,
        env=env, timeout=90,
    )
    assert again.returncode == 0 and "江南新区：" in again.stdout, again.stdout[-1000:]


@pytest.mark.bot_env(FLOOD_MAX_UPDATES="5", FLOOD_WINDOW_SECONDS="30")
async def test_flood_gets_one_warning_and_is_dropped(stack: Stack) -> None:
    officer = stack.user("officer")
    for _ in range(9):
        await officer.send_command("/zones")
    await officer.wait_for_text("操作过于频繁", timeout=10)
    await officer.expect_silence(1.5)
    texts = [m.text for m in officer.messages]
    assert sum("片区划分" in t for t in texts) == 5
    assert sum("操作过于频繁" in t for t in texts) == 1
    other = stack.user("officer2")  # other users are not affected
    await other.send_command("/zones")
    await other.wait_for_text("片区划分")
