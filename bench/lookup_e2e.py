"""Reply latency of lookups through the real bot process and the sandbox, with N officers asking
at the same instant (issue 14 goals: p95 < 60 ms with 10 officers, p95 < 150 ms with 50), and the
bot's CPU time per update (its own process CPU time over the counted rounds / updates handled).

    python -m bench.lookup_e2e [--officers 10 50] [--rounds 5] [--no-pin]
        [--py-spy OUT.txt]      sampling profile of the bot during the counted rounds (requirements-dev)
        [--profile OUT.prof]    the bot under cProfile (distorts asyncio; prefer py-spy)
        [--callgrind DIR]       instructions per update under valgrind: the same on a busy machine

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
from collections.abc import Awaitable, Callable
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


class WrappedBot(BotProcess):
    """The same bot process started under a profiler (`prefix` goes before `python bot.py run`)."""

    prefix: tuple[str, ...] = ()
    profile_out: str = ""

    async def spawn(self) -> None:
        self.starts += 1
        log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            *self.prefix, sys.executable, *(["-m", "cProfile", "-o", self.profile_out] if self.profile_out else []),
            "bot.py", "run", cwd=ROOT, env=self.env(), stdout=log, stderr=asyncio.subprocess.STDOUT,
        )


class Callgrind:
    """Instruction counts of the bot process (valgrind): the same on a busy machine as on a quiet one."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.pid = 0

    @property
    def prefix(self) -> tuple[str, ...]:
        return ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={self.out_dir}/cg.%p")

    async def _control(self, *args: str) -> None:
        done = await asyncio.create_subprocess_exec("callgrind_control", *args, str(self.pid),
                                                    stdout=asyncio.subprocess.DEVNULL)
        await done.wait()

    async def measure(self, work: Callable[[], Awaitable[None]]) -> tuple[int, float]:
        """Instructions the bot executed while `work` ran, and how long that took (s)."""
        before = set(self.out_dir.glob("cg.*"))
        started = time.perf_counter()
        await self._control("-z")
        await self._control("-i", "on")
        await work()
        seconds = time.perf_counter() - started
        await self._control("-i", "off")
        await self._control("-d")
        for _ in range(100):
            new = set(self.out_dir.glob("cg.*")) - before
            if new:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        total = 0
        for path in new:
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(("summary:", "totals:")):
                    total = max(total, int(line.split()[1]))
        return total, seconds


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
            self._task = None

    async def _run(self) -> None:
        seen = self.emu.seq
        while True:
            if not await self.emu.wait_change(60) and self.emu._stopping:  # noqa: SLF001
                return
            now = time.perf_counter()
            events = self.emu.events
            for event in events[seen:]:
                if event.kind == "sent" and event.chat_id in self.waiting:
                    future = self.waiting.pop(event.chat_id)
                    if not future.done():
                        future.set_result(now)
            seen = len(events)


def _beside_python(tool: str) -> str:
    """A tool installed in the same virtualenv (requirements-dev), else whatever PATH finds."""
    candidate = Path(sys.executable).with_name(tool)
    return str(candidate) if candidate.exists() else tool


def pin(pid: int, cpu: int) -> bool:
    try:
        os.sched_setaffinity(pid, {cpu})
    except (AttributeError, OSError):
        return False
    return True


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def run(count: int, rounds: int, *, pinned: bool, profile: str | None = None,
              py_spy: str | None = None, callgrind: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(db_url)
        db = Database(db_url)
        members = officers(count)
        seed_roster(db, members)
        emu = BotApiEmulator()
        await emu.start()
        # production timings for the bot's own background work (the test harness shortens them)
        env = {"FLOOD_MAX_UPDATES": "1000", "CLOCK_TICK_SECONDS": "5", "DELIVERY_IDLE_SECONDS": "1",
               "POLLING_TIMEOUT_SECONDS": "10"}
        grind = Callgrind(callgrind) if callgrind else None
        bot = WrappedBot(emu=emu, db_url=db_url, workdir=Path(tmp), env_extra=env)
        bot.profile_out = profile or ""
        bot.prefix = grind.prefix if grind else ()
        await bot.start(timeout=300 if grind else 60)
        assert bot.proc is not None
        bot_process = psutil.Process(bot.proc.pid)
        if pinned:
            pinned = pin(0, 0) and pin(bot.proc.pid, 1)
        driver = Driver(emu)
        users = [driver.user(m.telegram_id or 0, m.name) for m in members]
        watcher = ReplyWatcher(emu)
        watcher.start()
        latencies: list[float] = []

        async def rounds_only(n: int) -> None:
            for round_no in range(n):
                await one_round(round_no)

        async def one_round(round_no: int | None) -> None:
            futures = [watcher.expect(u.user_id) for u in users]
            started = time.perf_counter()
            for i, user in enumerate(users):
                await user.send_text("占道" if round_no is None else QUERIES[(i + round_no) % len(QUERIES)])
            for done in await asyncio.wait_for(asyncio.gather(*futures), 600 if grind else 30):
                latencies.append((done - started) * 1000)

        await one_round(None)  # warm-up round, not counted
        await asyncio.sleep(0.5)
        latencies.clear()
        if grind is not None:
            grind.pid = bot.proc.pid
            idle, idle_seconds = await grind.measure(lambda: asyncio.sleep(3.0))
            busy, busy_seconds = await grind.measure(lambda: rounds_only(rounds))
            await watcher.stop()
            await bot.stop(timeout=60)
            await emu.stop()
            db.dispose()
            per_update = (busy - idle / idle_seconds * busy_seconds) / (count * rounds)
            print(f"| {count} officers at once × {rounds} rounds, bot under callgrind | "
                  f"{per_update / 1e6:.2f} M instructions per update | idle {idle / idle_seconds / 1e6:.1f} M/s, "
                  f"subtracted for {busy_seconds:.0f} s |", flush=True)
            return {"instructions_per_update": per_update}
        idle_before, idle_started = cpu_seconds(bot_process), time.perf_counter()
        await asyncio.sleep(2.0)  # the bot's idle cost (clock tick, outbox poll), subtracted below
        idle_rate = (cpu_seconds(bot_process) - idle_before) / (time.perf_counter() - idle_started)
        cpu_before, bench_before, wall_before = cpu_seconds(bot_process), cpu_seconds(psutil.Process()), time.perf_counter()
        sampler = None
        if py_spy:  # sampling profile of the counted rounds only (py-spy on PATH or $PY_SPY)
            sampler = await asyncio.create_subprocess_exec(
                os.environ.get("PY_SPY") or _beside_python("py-spy"), "record", "--pid", str(bot.proc.pid), "--format", "raw",
                "--rate", "500", "--nonblocking", "-o", py_spy, stdout=asyncio.subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)
        per_round: list[float] = []  # bot CPU ms per update in each round, less the idle rate
        for round_no in range(rounds):
            round_cpu, round_wall = cpu_seconds(bot_process), time.perf_counter()
            await one_round(round_no)
            await asyncio.sleep(0.2)  # the bot finishes its own bookkeeping for this round
            spent = cpu_seconds(bot_process) - round_cpu - idle_rate * (time.perf_counter() - round_wall)
            per_round.append(spent * 1000 / count)
        if sampler is not None:
            if sampler.returncode is None:
                sampler.send_signal(2)
            await sampler.wait()
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
        "bot_cpu_ms_per_update_best_round": min(per_round),
    }
    goal = GOALS_MS.get(count)
    verdict = "" if goal is None else (" ✅" if result["p95_ms"] < goal else " ❌")
    print(f"| {count} officers at once × {rounds} rounds | p50 {result['p50_ms']:.0f} ms | "
          f"p95 {result['p95_ms']:.0f} ms{verdict} | max {result['max_ms']:.0f} ms | "
          f"bot CPU {result['bot_cpu_ms_per_update']:.2f} ms/update (best round {min(per_round):.2f}) | "
          f"{'pinned' if pinned else 'not pinned'} (bench CPU {result['bench_cpu_ms_per_update']:.2f} ms/update) | "
          f"{f'p95 < {goal} ms' if goal else '—'} |", flush=True)
    return result


async def main(counts: list[int], rounds: int, pinned: bool, profile: str | None, py_spy: str | None,
               callgrind: str | None) -> None:
    print("| officers asking at once | p50 | p95 | max | bot CPU per update | bench/bot cores | goal |")
    print("|---|---|---|---|---|---|---|")
    for count in counts:
        await run(count, rounds, pinned=pinned, profile=profile, py_spy=py_spy, callgrind=callgrind)
    print(f"\n(load average {os.getloadavg()[0]:.2f}; bot CPU = user+system time of the bot process during "
          "the counted rounds, less its idle rate, / lookups answered)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--officers", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-pin", action="store_true", help="let the OS place this process and the bot")
    parser.add_argument("--profile", help="run the bot under cProfile and write the profile here")
    parser.add_argument("--py-spy", help="sample the bot with py-spy during the counted rounds, collapsed stacks here")
    parser.add_argument("--callgrind", metavar="DIR", help="count the bot's instructions per update with valgrind")
    args = parser.parse_args()
    asyncio.run(main(args.officers, args.rounds, not args.no_pin and (os.cpu_count() or 1) >= 2, args.profile,
                     args.py_spy, args.callgrind))
