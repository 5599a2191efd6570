"""Reply latency of lookups through the real bot process and the sandbox, with N officers asking
at the same instant (issue 14 goals: p95 < 60 ms with 10 officers, p95 < 150 ms with 50), and the
bot's CPU time per update (its own process CPU time over the counted rounds / updates handled).

    python -m bench.lookup_e2e [--officers 10 50] [--rounds 5] [--no-pin] [--profile OUT.prof]

The load generator (the driven users) and the emulator run in this process, the bot in its own
process. Where the machine has two cores or more, this process is pinned to one core and the bot to
another, so the bot's latency is not the load generator's. Replies are collected by one watcher over
the emulator's change log (not one scanning waiter per user), so the generator's own CPU stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from db.engine import Database
from db.migrate import upgrade
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import ROOT, BotProcess, Member, seed_roster

QUERIES = ["占道经营", "油烟扰民", "zdjy", "违建", "烧烤", "过期食品", "无证经营", "遛狗不拴绳", "乱倒垃圾", "噪音扰民"]
STREET_NAMES = ["浮桥街道", "江南街道", "金龙街道", "常泰街道", "开元街道", "鲤中街道", "海滨街道", "临江街道"]
GOALS_MS = {10: 60, 50: 150}


def officers(count: int) -> tuple[Member, ...]:
    members = []
    for n in range(count):
        street = STREET_NAMES[n % 8]
        zone = "江南新区" if n % 8 < 4 else "老城区"
        members.append(Member(f"o{n}", f"队员{n:03d}", f"139{n:08d}", "officer", street, zone, f"{street}综合执法队", 20_000 + n))
    return tuple(members)


class ProfiledBot(BotProcess):
    """The same bot process, run under cProfile (the profile is written on a clean stop)."""

    profile_out: str = ""

    async def spawn(self) -> None:
        self.starts += 1
        log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cProfile", "-o", self.profile_out, "bot.py", "run",
            cwd=ROOT, env=self.env(), stdout=log, stderr=asyncio.subprocess.STDOUT,
        )


class ReplyWatcher:
    """One pass over the emulator's change log: the first message sent into a chat after a mark."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self._task: asyncio.Task[None] | None = None

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        seen = self.emu.seq
        while True:
            await self.emu.wait_change(60)
            now = time.perf_counter()
            events = self.emu.events
            for event in events[seen:]:
                if event.kind == "sent" and event.chat_id in self.waiting:
                    future = self.waiting.pop(event.chat_id)
                    if not future.done():
                        future.set_result(now)
            seen = len(events)


def pin(pid: int, cpu: int) -> bool:
    try:
        os.sched_setaffinity(pid, {cpu})
    except (AttributeError, OSError):
        return False
    return True


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def run(count: int, rounds: int, *, pinned: bool, profile: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(db_url)
        db = Database(db_url)
        members = officers(count)
        seed_roster(db, members)
        emu = BotApiEmulator()
        await emu.start()
        env = {"FLOOD_MAX_UPDATES": "1000"}
        if profile:
            bot: BotProcess = ProfiledBot(emu=emu, db_url=db_url, workdir=Path(tmp), env_extra=env)
            bot.profile_out = profile  # type: ignore[attr-defined]
        else:
            bot = BotProcess(emu=emu, db_url=db_url, workdir=Path(tmp), env_extra=env)
        await bot.start(timeout=60)
        assert bot.proc is not None
        bot_process = psutil.Process(bot.proc.pid)
        if pinned:
            pinned = pin(0, 0) and pin(bot.proc.pid, 1)
        driver = Driver(emu)
        users = [driver.user(m.telegram_id or 0, m.name) for m in members]
        watcher = ReplyWatcher(emu)
        watcher.start()
        latencies: list[float] = []

        async def one_round(round_no: int | None) -> None:
            futures = [watcher.expect(u.user_id) for u in users]
            started = time.perf_counter()
            for i, user in enumerate(users):
                await user.send_text("占道" if round_no is None else QUERIES[(i + round_no) % len(QUERIES)])
            for done in await asyncio.wait_for(asyncio.gather(*futures), 30):
                latencies.append((done - started) * 1000)

        await one_round(None)  # warm-up round, not counted
        await asyncio.sleep(0.5)
        latencies.clear()
        idle_before, idle_started = cpu_seconds(bot_process), time.perf_counter()
        await asyncio.sleep(2.0)  # the bot's idle cost (clock tick, outbox poll), subtracted below
        idle_rate = (cpu_seconds(bot_process) - idle_before) / (time.perf_counter() - idle_started)
        cpu_before, bench_before, wall_before = cpu_seconds(bot_process), cpu_seconds(psutil.Process()), time.perf_counter()
        for round_no in range(rounds):
            await one_round(round_no)
            await asyncio.sleep(0.2)  # the bot finishes its own bookkeeping for this round
        bot_cpu = cpu_seconds(bot_process) - cpu_before - idle_rate * (time.perf_counter() - wall_before)
        bench_cpu = cpu_seconds(psutil.Process()) - bench_before
        await watcher.stop()
        await bot.stop()
        await emu.stop()
        db.dispose()
        if pinned:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    latencies.sort()
    updates = count * rounds
    result = {
        "replies": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "bot_cpu_ms_per_update": bot_cpu * 1000 / updates,
        "bench_cpu_ms_per_update": bench_cpu * 1000 / updates,
        "bot_idle_cpu_ms_per_s": idle_rate * 1000,
    }
    goal = GOALS_MS.get(count)
    verdict = "" if goal is None else (" ✅" if result["p95_ms"] < goal else " ❌")
    print(f"| {count} officers at once × {rounds} rounds | p50 {result['p50_ms']:.0f} ms | "
          f"p95 {result['p95_ms']:.0f} ms{verdict} | max {result['max_ms']:.0f} ms | "
          f"bot CPU {result['bot_cpu_ms_per_update']:.2f} ms/update | "
          f"{'pinned' if pinned else 'not pinned'} (idle {result['bot_idle_cpu_ms_per_s']:.0f} ms/s) | goal p95 < {goal or '—'} ms |", flush=True)
    return result


async def main(counts: list[int], rounds: int, pinned: bool, profile: str | None) -> None:
    print("| officers asking at once | p50 | p95 | max | bot CPU per update | bench/bot cores | goal |")
    print("|---|---|---|---|---|---|---|")
    for count in counts:
        await run(count, rounds, pinned=pinned, profile=profile)
    print(f"\n(load average {os.getloadavg()[0]:.2f}; bot CPU = user+system time of the bot process during "
          "the counted rounds, less its idle rate, / lookups answered)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--officers", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-pin", action="store_true", help="let the OS place this process and the bot")
    parser.add_argument("--profile", help="run the bot under cProfile and write the profile here")
    args = parser.parse_args()
    asyncio.run(main(args.officers, args.rounds, not args.no_pin and (os.cpu_count() or 1) >= 2, args.profile))
