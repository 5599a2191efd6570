"""Issue 13 items 1 and 9: a start that cannot succeed ends with ONE clear line (Chinese and
English) and a non-zero exit code: no traceback, and never the token.

Each test runs the real `python bot.py run` as a subprocess with bad settings."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import ROOT, BotProcess

# Deliberately NOT shaped like a real token (the log filter's regex would miss it): only
# redaction of the configured value itself keeps it out of the output.
ODD_TOKEN = "77:Zq9-oddSecretPart"
SECRET_PART = "Zq9-oddSecretPart"



def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket goes


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "TELEGRAM_BOT_TOKEN": ODD_TOKEN,
            "POLLING_TIMEOUT_SECONDS": "1"}
    return subprocess.run([sys.executable, "bot.py", "run"], cwd=ROOT, env=base | env, capture_output=True,
                          text=True, timeout=60)


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert SECRET_PART not in output, output
    lines = [line for line in done.stderr.splitlines() if line.startswith("启动失败")]
    assert len(lines) == 1, output
    assert "Start-up" in lines[0]  # Chinese and English on the one line
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_webhook_without_secret_refuses_to_start(tmp_path: Path) -> None:
    done = run_bot(tmp_path, WEBHOOK_URL="https://bot.example.org/telegram", PORT=str(closed_port()),
                   WEBHOOK_LISTEN="127.0.0.1")
    assert_one_clear_line(done, "WEBHOOK_SECRET")
    assert not (tmp_path / "bot.db").exists()  # refused before touching anything


@pytest.mark.parametrize("secret", ["s3cret_Token-1", "x" * 31, "空格 与中文" * 8, "a b" * 20])
def test_webhook_with_a_weak_secret_refuses_to_start(tmp_path: Path, secret: str) -> None:
    done = run_bot(tmp_path, WEBHOOK_URL="https://bot.example.org/telegram", WEBHOOK_SECRET=secret,
                   PORT=str(closed_port()), WEBHOOK_LISTEN="127.0.0.1")
    line = assert_one_clear_line(done, "WEBHOOK_SECRET", "32")
    assert secret not in line


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # start-up checks are backend-blind
async def test_rejected_token_is_one_line_without_the_token(db_url: str, tmp_path: Path) -> None:
    emu = BotApiEmulator()
    emu.valid_tokens = {"4242424242:AAF-the-only-valid-token-here"}
    await emu.start()
    bot = BotProcess(emu=emu, db_url=db_url, workdir=tmp_path, env_extra={"TELEGRAM_BOT_TOKEN": ODD_TOKEN})
    try:
        await bot.spawn()
        code = await bot.wait_exit()
    finally:
        await bot.stop()
        await emu.stop()
    log = bot.log()
    assert code != 0, log
    assert "Traceback" not in log, log
    assert SECRET_PART not in log, log
    assert "TELEGRAM_BOT_TOKEN" in log and "启动失败" in log and "rejected" in log


def test_refused_connection_to_telegram_is_one_line(tmp_path: Path) -> None:
    done = run_bot(tmp_path, TELEGRAM_BASE_URL=f"http://127.0.0.1:{closed_port()}/bot")
    assert_one_clear_line(done, "Telegram")
    assert "Unclosed" not in done.stderr and "ERROR" not in done.stderr, done.stderr  # the session is closed


def test_refused_connection_in_webhook_mode_is_one_line(tmp_path: Path) -> None:
    """run_webhook's own start logged the failed getMe with a traceback before the line."""
    done = run_bot(tmp_path, TELEGRAM_BASE_URL=f"http://127.0.0.1:{closed_port()}/bot",
                   WEBHOOK_URL="https://bot.example.org/telegram", WEBHOOK_SECRET="s3cret_Token-1-0123456789abcdefghij",
                   PORT=str(closed_port()), WEBHOOK_LISTEN="127.0.0.1")
    assert_one_clear_line(done, "Telegram")
    assert "Unclosed" not in done.stderr and "ERROR" not in done.stderr, done.stderr


def test_refused_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    done = run_bot(tmp_path, DATABASE_URL=f"postgresql://postgres:PwdNotShown@127.0.0.1:{closed_port()}/x")
    assert_one_clear_line(done, "DATABASE_URL")
    assert "PwdNotShown" not in done.stdout + done.stderr


def test_invalid_setting_names_the_variable_not_the_value(tmp_path: Path) -> None:
    done = run_bot(tmp_path, PORT="not-a-port")
    line = assert_one_clear_line(done, "PORT")
    assert "not-a-port" not in line
