"""Operations through real processes: webhook mode with its secret, one instance per token,
backup and restore."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from db.engine import Database
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import ROOT, BotProcess, Stack, seed_roster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_refuses_requests_without_the_secret(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    seed_roster(db)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    emu = BotApiEmulator()
    await emu.start()
    bot = BotProcess(emu=emu, db_url=db_url, workdir=tmp_path, env_extra={
        "WEBHOOK_URL": url, "WEBHOOK_SECRET": "s3cret_Token-1-0123456789abcdefghij", "PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"})
    try:
        await bot.start(ready_method="setwebhook")
        officer = Driver(emu).user(1001, "浮桥队员甲")
        await officer.send_command("/zones")  # the emulator POSTs it with the secret header
        await officer.wait_for_text("片区划分", timeout=10)
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"},
                                             "from": {"id": 1001, "is_bot": False, "first_name": "x"}, "text": "/zones"}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
        await officer.expect_silence(1.0)  # the forged posts changed nothing
    finally:
        await bot.stop()
        await emu.stop()
        db.dispose()


async def test_second_instance_refuses_to_start(stack: Stack, tmp_path: Path) -> None:
    second = BotProcess(emu=stack.emu, db_url=stack.bot.db_url, workdir=tmp_path / "second")
    second.workdir.mkdir()
    await second.spawn()
    assert await second.wait_exit() == 3
    assert "Another instance" in second.log()
    officer = stack.user("officer")  # the first one keeps answering
    await officer.send_command("/zones")
    await officer.wait_for_text("片区划分")


def test_backup_and_restore(db_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = db_factory.sqlite()
    db = Database(url)
    seed_roster(db)
    db.dispose()
    out = tmp_path / "backup.db"
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "bot.py", "backup", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "完整性检查通过" in done.stdout
    with sqlite3.connect(out) as restored:
        names = {row[0] for row in restored.execute("SELECT name FROM person")}
    assert "浮桥队员甲" in names and len(names) == 10
    restored_db = Database(f"sqlite:///{out}")  # the copy is a working database
    seed_roster(restored_db)
    restored_db.dispose()


async def test_kill_and_restart_keeps_answering(stack: Stack) -> None:
    await stack.bot.kill()
    officer = stack.user("officer")
    await officer.send_command("/zones")  # queued while the bot is down, as Telegram does
    await asyncio.sleep(0.2)
    await stack.bot.start()
    await officer.wait_for_text("片区划分", timeout=10)
