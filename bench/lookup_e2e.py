"""Reply latency of lookups through the real bot process and the sandbox, with N officers asking
at once (issue 4 goal: p95 < 150 ms with 50 officers).

    python -m bench.lookup_e2e [--officers 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from db.engine import Database
from db.migrate import upgrade
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import BotProcess, Member, seed_roster

QUERIES = ["占道经营", "油烟扰民", "zdjy", "违建", "烧烤", "过期食品", "无证经营", "遛狗不拴绳", "乱倒垃圾", "噪音扰民"]
STREET_NAMES = ["浮桥街道", "江南街道", "金龙街道", "常泰街道", "开元街道", "鲤中街道", "海滨街道", "临江街道"]


def officers(count: int) -> tuple[Member, ...]:
    members = []
    for n in range(count):
        street = STREET_NAMES[n % 8]
        zone = "江南新区" if n % 8 < 4 else "老城区"
        members.append(Member(f"o{n}", f"队员{n:03d}", f"139{n:08d}", "officer", street, zone, f"{street}综合执法队", 20_000 + n))
    return tuple(members)


async def run(count: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(db_url)
        db = Database(db_url)
        members = officers(count)
        seed_roster(db, members)
        emu = BotApiEmulator()
        await emu.start()
        bot = BotProcess(emu=emu, db_url=db_url, workdir=Path(tmp), env_extra={"FLOOD_MAX_UPDATES": "1000"})
        await bot.start(timeout=60)
        driver = Driver(emu)
        users = [driver.user(m.telegram_id or 0, m.name) for m in members]
        latencies: list[float] = []

        async def ask(user, query: str) -> None:  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            await user.send_text(query)
            await user.wait_for(lambda m: True, timeout=30)
            latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(ask(u, "占道") for u in users))  # warm-up round, not counted
        latencies.clear()
        for round_no in range(rounds):
            await asyncio.gather(*(ask(u, QUERIES[(i + round_no) % len(QUERIES)]) for i, u in enumerate(users)))
        await bot.stop()
        await emu.stop()
        db.dispose()
    latencies.sort()
    result = {
        "replies": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
    }
    print(f"| {count} officers at once × {rounds} rounds | p50 {result['p50_ms']:.0f} ms | "
          f"p95 {result['p95_ms']:.0f} ms | max {result['max_ms']:.0f} ms | goal p95 < 150 ms |")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.officers, args.rounds))
