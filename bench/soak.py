"""Soak: N officers use the REAL bot through the sandbox for a while, in a realistic mix (issue 9).

Most actions are lookups; some officers file a case lead with a photo (every step timed); a
coordinator dispatches a joint action to 江南新区 every minute and the officers who get it press
收到. Prints updates/s handled, p50/p95/p99 reply latency, errors and the bot's RSS at start and
end. Goals: p95 < 300 ms, 0 errors, RSS growth < 20 MB.

    python -m bench.soak [--officers 200] [--seconds 300] [--think 10] [--database-url URL]

An error is a reply that did not come within 10 s, a 系统出错 reply, or an ERROR line in the bot log.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from db.engine import Database
from db.migrate import upgrade
from sandbox.driver import Driver, User
from sandbox.emulator import BotApiEmulator
from sandbox.markup import inline_rows
from tests.e2e.harness import BotProcess, Member, seed_roster

QUERIES = ["占道经营", "油烟扰民", "zdjy", "违建", "烧烤", "过期食品", "无证经营", "遛狗不拴绳", "乱倒垃圾", "噪音扰民",
           "浮桥街道 占道", "户外广告", "渣土", "共享单车乱停"]
STREETS = ["浮桥街道", "江南街道", "金龙街道", "常泰街道", "开元街道", "鲤中街道", "海滨街道", "临江街道"]
FUQIAO = (24.9000, 118.5800)
REPLY_TIMEOUT = 10.0
COORDINATOR_ID = 990_001


def roster(count: int) -> tuple[Member, ...]:
    staff = (
        Member("coord", "江南协调员", "13700000001", "coordinator", None, "江南新区", "直属二中队", COORDINATOR_ID),
        Member("coord2", "老城协调员", "13700000002", "coordinator", None, "老城区", "直属一中队", COORDINATOR_ID + 1),
        Member("legal", "江南法制审核", "13700000003", "legal", None, "江南新区", "区城市管理和综合执法局法制科", COORDINATOR_ID + 2),
        Member("legal2", "老城法制审核", "13700000004", "legal", None, "老城区", "区城市管理和综合执法局法制科", COORDINATOR_ID + 3),
    )
    officers = tuple(
        Member(f"o{n}", f"队员{n:03d}", f"139{n:08d}", "officer", STREETS[n % 8], "江南新区" if n % 8 < 4 else "老城区",
               f"{STREETS[n % 8]}综合执法队", 20_000 + n)
        for n in range(count)
    )
    return staff + officers


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # ms, one per reply waited for
    updates: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)

    async def step(self, user: User, send: object, expect: str | tuple[str, ...] | None, kind: str) -> str | None:
        """Send (an awaitable), wait for the reply containing `expect` (one of them, if a tuple; any reply
        if None); time it. A notice that lands meanwhile (a dispatch, a nudge) is not taken for the reply."""
        wanted = (expect,) if isinstance(expect, str) else expect
        started = time.perf_counter()
        self.updates += 1
        await send  # type: ignore[misc]
        try:
            reply = await user.wait_for(
                lambda m: (wanted is None or any(w in m.text for w in wanted)) or "系统出错" in m.text, timeout=REPLY_TIMEOUT)
        except AssertionError:
            self.errors[f"{kind}: no reply"] += 1
            return None
        self.latencies.append((time.perf_counter() - started) * 1000)
        if "系统出错" in reply.text:
            self.errors[f"{kind}: 系统出错"] += 1
            return None
        return reply.text


def newest_button(user: User, *fragments: str) -> tuple[object, str] | None:
    for fragment in fragments:
        for message in reversed(user.messages[-8:]):
            for row in inline_rows(message):
                for button in row:
                    if fragment in button.get("text", "") and "callback_data" in button:
                        return message, button["callback_data"]
    return None


async def press(
    tally: Tally, user: User, expect: str | tuple[str, ...] | None, kind: str, *fragments: str
) -> str | None:
    found = newest_button(user, *fragments)
    if found is None:
        tally.errors[f"{kind}: no button {fragments[0]}"] += 1
        return None
    message, data = found
    return await tally.step(user, user.press(data, message, answer_timeout=REPLY_TIMEOUT), expect, kind)  # type: ignore[arg-type]


async def lookup(tally: Tally, user: User, rng: random.Random) -> None:
    tally.actions["lookup"] += 1
    await tally.step(user, user.send_text(rng.choice(QUERIES)), None, "lookup")


async def file_lead(tally: Tally, user: User, rng: random.Random, photo: bytes) -> None:
    tally.actions["case lead"] += 1
    lat, lon = FUQIAO[0] + rng.uniform(-0.004, 0.004), FUQIAO[1] + rng.uniform(-0.004, 0.004)
    reply = await tally.step(user, user.send_command("/case"), None, "case")
    if reply and "未完成的线索草稿" in reply:
        await press(tally, user, "第 1 步", "case", "重新开始")
    if await tally.step(user, user.send_location(lat, lon, horizontal_accuracy=10), "属于哪个街道", "case") is None:
        return
    if await press(tally, user, "第 2 步", "case", "✅") is None:
        return
    if await tally.step(user, user.send_text("人行道上摆摊卖水果"), "不确定", "case") is None:
        return
    if await press(tally, user, "第 3 步", "case", "占用城市道路", "不确定") is None:
        return
    if await tally.step(user, user.send_photo(photo), "已收到", "case") is None:
        return
    if await press(tally, user, "请确认线索", "case", "完成") is None:
        return
    reply = await press(tally, user, ("线索已上报", "未重复登记", "附近 7 天内"), "case", "确认上报")
    if reply and "附近 7 天内" in reply:
        reply = await press(tally, user, "线索已上报", "case", "仍然上报")
    if reply and "线索已上报" not in reply and "未重复登记" not in reply:
        tally.errors["case: not filed"] += 1


async def acknowledge(tally: Tally, user: User, number: str) -> None:
    tally.actions["acknowledgement"] += 1
    message = next((m for m in reversed(user.messages) if number in m.text and "联合执法行动" in m.text), None)
    if message is None:
        return
    started = time.perf_counter()
    tally.updates += 1
    answer = await user.press("收到", message=message, answer_timeout=REPLY_TIMEOUT)
    if answer is None or "已记录" not in (answer.text or ""):
        tally.errors["ack: no answer"] += 1
        return
    tally.latencies.append((time.perf_counter() - started) * 1000)


async def dispatch(tally: Tally, coordinator: User) -> str | None:
    tally.actions["dispatch"] += 1
    wizard = [("cmd", "/dispatch", "选择范围"), ("press", "江南新区（全片区）", "集合时间"), ("text", "明天 9:30", "集合地点"),
              ("text", "浮桥街道办门口", "计划外"), ("press", "计划外（临时任务）", "理由"), ("text", "专项整治", "牵头部门"),
              ("press", "区城市管理和综合执法局", "任务内容"), ("text", "沿街占道经营检查", "请确认派发"), ("press", "✅ 确认派发", "已派发")]
    reply = None
    for kind, value, expect in wizard:
        if kind == "cmd":
            reply = await tally.step(coordinator, coordinator.send_command(value), expect, "dispatch")
        elif kind == "press":
            reply = await press(tally, coordinator, expect, "dispatch", value)
        else:
            reply = await tally.step(coordinator, coordinator.send_text(value), expect, "dispatch")
        if reply is None:
            return None
    found = re.search(r"XD-\d{8}-\d{2}", reply or "")
    return found.group(0) if found else None


async def run(count: int, seconds: float, think: float, database_url: str | None, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = database_url or f"sqlite:///{Path(tmp) / 'soak.db'}"
        upgrade(db_url)
        db = Database(db_url)
        members = roster(count)
        seed_roster(db, members)
        emu = BotApiEmulator()
        await emu.start()
        bot = BotProcess(emu=emu, db_url=db_url, workdir=Path(tmp), env_extra={
            "FLOOD_MAX_UPDATES": "1000", "LOG_LEVEL": "WARNING", "CLOCK_TICK_SECONDS": "1", "DELIVERY_IDLE_SECONDS": "0.5"})
        await bot.start(timeout=60)
        driver = Driver(emu)
        users = {m.key: driver.user(m.telegram_id or 0, m.name) for m in members}
        for user in users.values():
            emu.register_user(user.json)
        officers = [users[m.key] for m in members if m.role == "officer"]
        process = psutil.Process(bot.proc.pid)  # type: ignore[union-attr]
        tally = Tally()
        await asyncio.gather(*(lookup(tally, u, rng) for u in officers[:20]))  # warm-up, not counted
        tally = Tally()
        rss_start = process.memory_info().rss
        numbers: list[str] = []
        acked: set[tuple[int, str]] = set()
        photo = _png(seed)
        started = time.monotonic()
        deadline = started + seconds

        async def officer_loop(user: User, n: int) -> None:
            own = random.Random(seed * 1000 + n)
            await asyncio.sleep(own.uniform(0, min(think, seconds / 2)))
            while time.monotonic() < deadline:
                todo = [x for x in numbers if (user.user_id, x) not in acked and any(
                    x in m.text for m in user.messages[-5:])]
                if todo:
                    acked.add((user.user_id, todo[0]))
                    await acknowledge(tally, user, todo[0])
                elif own.random() < 0.08:
                    await file_lead(tally, user, own, photo)
                else:
                    await lookup(tally, user, own)
                await asyncio.sleep(max(0.0, min(own.expovariate(1 / think), deadline - time.monotonic())))

        async def coordinator_loop() -> None:
            await asyncio.sleep(min(5.0, seconds / 4))
            while time.monotonic() < deadline - 10:
                number = await dispatch(tally, users["coord"])
                if number:
                    numbers.append(number)
                await asyncio.sleep(max(0.0, min(60.0, deadline - 10 - time.monotonic())))

        await asyncio.gather(coordinator_loop(), *(officer_loop(u, n) for n, u in enumerate(officers)))
        elapsed = time.monotonic() - started
        rss_end = process.memory_info().rss
        await bot.stop()
        log_errors = [line for line in bot.log().splitlines() if " ERROR " in line]
        if log_errors:
            tally.errors["bot log ERROR lines"] += len(log_errors)
            Path("/tmp/soak-bot.log").write_text(bot.log())
            print("\n".join(sorted({line[24:200] for line in log_errors})[:10]), file=sys.stderr)
        await emu.stop()
        db.dispose()
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * (len(lat) - 1)))] if lat else float("nan")

    result = {
        "updates_per_s": tally.updates / elapsed, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
        "errors": sum(tally.errors.values()), "rss_start_mb": rss_start / 2**20, "rss_end_mb": rss_end / 2**20,
    }
    growth = result["rss_end_mb"] - result["rss_start_mb"]
    mix = ", ".join(f"{k} {v}" for k, v in tally.actions.most_common())
    print("| what | figure | goal |\n|---|---|---|")
    print(f"| {count} officers × {elapsed:.0f} s, think {think:g} s ({mix}) | {tally.updates} updates, "
          f"{result['updates_per_s']:.1f} updates/s | — |")
    print(f"| reply latency ({len(lat)} replies) | p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
          f"p99 {result['p99']:.0f} ms | p95 < 300 ms {'✅' if result['p95'] < 300 else '❌'} |")
    detail = "; ".join(f"{k} {v}" for k, v in tally.errors.most_common()) or "none"
    print(f"| errors | {result['errors']} ({detail}) | 0 {'✅' if result['errors'] == 0 else '❌'} |")
    print(f"| bot RSS | start {result['rss_start_mb']:.1f} MB, end {result['rss_end_mb']:.1f} MB, "
          f"growth {growth:+.1f} MB | < 20 MB {'✅' if growth < 20 else '❌'} |")
    return result


def _png(seed: int) -> bytes:
    from tests.e2e.test_cases import png

    return png(width=64, height=48, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds between one officer's actions")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(run(args.officers, args.seconds, args.think, args.database_url, args.seed))


if __name__ == "__main__":
    main()
