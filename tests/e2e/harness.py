"""End-to-end harness: the REAL bot process (`python bot.py run`) speaking HTTP to the sandbox
emulator that runs inside the test, with a roster seeded in a fresh database.

    async def test_x(stack: Stack) -> None:
        officer = stack.user("officer")            # a driver User bound on the roster
        await officer.send_text("占道经营")
        card = await officer.wait_for_text("已赋权")

`stack.bot.kill()` sends SIGKILL (no clean shutdown), `await stack.bot.start()` starts it again on
the same database. Extra env for the bot process: `@pytest.mark.bot_env(KEY="value")`.

`BotProcess(..., fork_server=True)` (what the `stack` and `crowd` fixtures use) forks the bot from
a per-worker process that has the modules imported already (tests/e2e/forkserver.py): same
`bot.py` as `__main__`, own pid, env, log and exit status, about 1.2 s of CPU less per start.
The default (False) runs `python bot.py run` as a plain subprocess, as bench/ needs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from db.engine import Database
from db.people import apply_roster
from knowledge.roster import RosterRow
from sandbox.driver import Driver, User
from sandbox.emulator import BotApiEmulator
from tests.e2e.forkserver import ForkedProcess, fork_server

ROOT = Path(__file__).resolve().parents[2]
TEST_TOKEN = "4242424242:AAF-sandbox-test-token-xyz"


@dataclass(frozen=True)
class Member:
    key: str
    name: str
    phone: str
    role: str
    street: str | None
    zone: str
    department: str | None = None
    telegram_id: int | None = None
    certificate_expires: date | None = date(2030, 1, 1)


# The standard test roster: enough people to tell zones, streets and roles apart.
ROSTER: tuple[Member, ...] = (
    Member("officer", "浮桥队员甲", "13900000001", "officer", "浮桥街道", "江南新区", "浮桥街道综合执法队", 1001),
    Member("officer2", "江南队员乙", "13900000002", "officer", "江南街道", "江南新区", "江南街道综合执法队", 1002),
    Member("district", "区直队员丙", "13900000003", "officer", None, "江南新区", "区市场监督管理局", 1003),
    Member("old_officer", "开元队员丁", "13900000004", "officer", "开元街道", "老城区", "开元街道综合执法队", 1004),
    Member("coordinator", "江南协调员", "13900000005", "coordinator", None, "江南新区", "直属二中队", 1005),
    Member("old_coordinator", "老城协调员", "13900000006", "coordinator", None, "老城区", "直属一中队", 1006),
    Member("legal", "江南法制审核", "13900000007", "legal", None, "江南新区", "区城市管理和综合执法局法制科", 1007),
    Member("old_legal", "老城法制审核", "13900000008", "legal", None, "老城区", "区城市管理和综合执法局法制科", 1008),
    Member("admin", "系统管理员", "13900000009", "admin", None, "老城区", "区城市管理和综合执法局", 1009),
    Member("unbound", "未绑定队员", "13900000010", "officer", "金龙街道", "江南新区", "金龙街道综合执法队", None),
)
STRANGER_ID = 666


def seed_roster(db: Database, members: tuple[Member, ...] = ROSTER) -> None:
    rows = [
        RosterRow(name=m.name, phone=m.phone, role=m.role, street=m.street, zone=m.zone, department=m.department,
                  certificate_no=f"TEST-{m.phone[-4:]}", certificate_expires=m.certificate_expires,
                  telegram_id=m.telegram_id)
        for m in members
    ]
    with db.session() as session:
        apply_roster(session=session, rows=rows, actor_person_id=None, dry_run=False)


@dataclass
class BotProcess:
    """One bot process; its log goes to a file the test can read on failure."""

    emu: BotApiEmulator
    db_url: str
    workdir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    proc: asyncio.subprocess.Process | ForkedProcess | None = None
    starts: int = 0
    fork_server: bool = False

    @property
    def log_path(self) -> Path:
        return self.workdir / f"bot-{self.starts}.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            TELEGRAM_BASE_URL=self.emu.base_url,
            TELEGRAM_BASE_FILE_URL=self.emu.base_file_url,
            DATABASE_URL=self.db_url,
            ADMIN_TELEGRAM_IDS="",
            LOG_LEVEL="INFO",
            CLOCK_TICK_SECONDS="0.5",
            DELIVERY_IDLE_SECONDS="0.2",
            POLLING_TIMEOUT_SECONDS="1",
            LOAD_SAMPLE_CATALOGUE="true",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env_extra)
        return env

    async def start(self, timeout: float = 30.0, ready_method: str = "getupdates") -> None:
        """Start `bot.py run` and wait until it calls `ready_method` (polling, or setWebhook)."""
        polls_before = self._polls(ready_method)
        await self.spawn()
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self._polls(ready_method) <= polls_before:
            if self.proc.returncode is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot did not poll within {timeout}s:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def spawn(self) -> None:
        """Start the process without waiting for it to be ready."""
        self.starts += 1
        server = fork_server() if self.fork_server else None
        if server is not None:
            self.proc = server.spawn(["bot.py", "run"], env=self.env(), cwd=ROOT, log=self.log_path)
            return
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "bot.py", "run", cwd=ROOT, env=self.env(), stdout=log, stderr=asyncio.subprocess.STDOUT,
            )

    def _polls(self, method: str = "getupdates") -> int:
        return sum(n for name, n in self.emu.stats.requests.items() if name.lower() == method)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("bot-*.log")))

    async def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or power loss."""
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        return self.proc.returncode


@dataclass
class Stack:
    emu: BotApiEmulator
    driver: Driver
    bot: BotProcess
    db: Database
    members: dict[str, Member]
    _users: dict[str, User] = field(default_factory=dict)

    def user(self, key: str) -> User:
        """A roster member as a Telegram user (the unbound one has a fresh Telegram id)."""
        if key not in self._users:
            member = self.members[key]
            user_id = member.telegram_id or 5000 + int(member.phone[-4:])
            self._users[key] = self.driver.user(user_id, member.name, phone="+86" + member.phone)
        return self._users[key]

    def stranger(self, user_id: int = STRANGER_ID) -> User:
        return self.driver.user(user_id, "陌生人", phone="+8613012345678")
