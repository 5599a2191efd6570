"""Time from process start to the first getUpdates, and idle RSS, of the real bot process.

    python -m bench.startup [--runs 5]

Goals (issue 3): < 2 s to the first getUpdates, < 120 MB idle RSS. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from db.migrate import upgrade
from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import BotProcess


async def one_run(workdir: Path) -> tuple[float, float]:
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(db_url)  # migrated beforehand: we measure the bot, not the first migration
    emu = BotApiEmulator()
    await emu.start()
    bot = BotProcess(emu=emu, db_url=db_url, workdir=workdir, env_extra={"LOAD_SAMPLE_CATALOGUE": "false"})
    started = time.perf_counter()
    await bot.start(timeout=60)
    to_first_poll = time.perf_counter() - started
    await asyncio.sleep(3.0)  # idle: clock ticks and polling only
    assert bot.proc is not None
    rss_mb = psutil.Process(bot.proc.pid).memory_info().rss / 2**20
    await bot.stop()
    await emu.stop()
    return to_first_poll, rss_mb


async def main(runs: int) -> list[tuple[str, float, str]]:
    times, rss = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            t, r = await one_run(Path(tmp))
            times.append(t)
            rss.append(r)
    rows = [
        ("startup to first getUpdates, median (s)", statistics.median(times), "< 2 s"),
        ("startup to first getUpdates, max (s)", max(times), "< 2 s"),
        ("idle RSS, median (MB)", statistics.median(rss), "< 120 MB"),
    ]
    print(f"| measure ({runs} runs) | value | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value:.2f} | {goal} |")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
