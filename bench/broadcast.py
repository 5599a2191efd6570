"""Broadcast benchmark: the REAL bot process dispatches one joint action to 500 officers through
the sandbox emulator (30/s overall, 1/s per chat, 5% random 429 with retry_after 1–3 s, 2% 5xx).

Prints the time from the dispatch confirmation to the last notice against the ideal 500/30 s, the
429/5xx counts, and lost/duplicated notices read from the emulator's sent log. The second run kills
the bot with SIGKILL mid-broadcast and restarts it.

    python -m bench.broadcast [--officers 500] [--seed 7] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from db.actions import JointAction
from db.engine import Database
from db.migrate import upgrade
from db.models import OutboxMessage
from db.people import apply_roster
from knowledge.roster import RosterRow
from sandbox.driver import Driver
from sandbox.emulator import BotApiEmulator
from sandbox.records import Faults
from tests.e2e.harness import BotProcess

COORDINATOR_ID = 990001
FIRST_OFFICER_ID = 200001
STREETS = ("江南街道", "浮桥街道", "金龙街道", "常泰街道")


def seed(db: Database, officers: int) -> None:
    rows = [RosterRow(name="江南协调员", phone="13700000001", role="coordinator", street=None, zone="江南新区",
                      department="直属二中队", certificate_no=None, certificate_expires=None, telegram_id=COORDINATOR_ID)]
    rows += [RosterRow(name=f"队员{i:03d}", phone=f"138{i:08d}", role="officer", street=STREETS[i % 4], zone="江南新区",
                       department=f"{STREETS[i % 4]}综合执法队", certificate_no=None, certificate_expires=None,
                       telegram_id=FIRST_OFFICER_ID + i) for i in range(officers)]
    with db.session() as session:
        apply_roster(session=session, rows=rows, actor_person_id=None, dry_run=False)


async def dispatch(driver: Driver, emu: BotApiEmulator, faults: Faults, db: Database) -> tuple[str, float]:
    """Walk the wizard without faults (the coordinator's own replies are not measured), switch the
    faults on and confirm; returns the XD number and the monotonic time of the confirmation."""
    c = driver.user(COORDINATOR_ID, "江南协调员")
    steps: list[tuple[str, str, str]] = [
        ("cmd", "/dispatch", "选择范围"), ("press", "江南新区（全片区）", "集合时间"), ("text", "明天 9:30", "集合地点"),
        ("text", "浮桥街道办门口", "计划外"), ("press", "计划外（临时任务）", "理由"), ("text", "专项整治", "牵头部门"),
        ("press", "区城市管理和综合执法局", "任务内容"), ("text", "沿街占道经营检查", "请确认派发"),
    ]
    for kind, value, expect in steps:
        if kind == "cmd":
            await c.send_command(value)
        elif kind == "press":
            await c.press(value)
        else:
            await c.send_text(value)
        await c.wait_for_text(expect, timeout=30)
    emu.faults = faults
    started = time.monotonic()
    await c.press("✅ 确认派发", answer_timeout=0.1)
    while True:
        with db.session() as session:
            number = session.exec(select(JointAction.number)).first()
        if number:
            return number, started
        await asyncio.sleep(0.02)


def tally(emu: BotApiEmulator, number: str, officers: int) -> tuple[int, int, float]:
    """(lost, duplicates, time of the last notice) from the emulator's sent log."""
    per_chat: Counter[int] = Counter()
    last = 0.0
    for record in emu.sent_log:
        if record.method.lower() == "sendmessage" and number in record.text and "联合执法行动" in record.text:
            per_chat[record.chat_id] += 1
            last = max(last, record.at)
    wanted = range(FIRST_OFFICER_ID, FIRST_OFFICER_ID + officers)
    lost = sum(1 for chat in wanted if per_chat[chat] == 0)
    dups = sum(max(0, per_chat[chat] - 1) for chat in wanted)
    return lost, dups, last


async def run(officers: int, seed_value: int, db_url: str | None, kill_after: int | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        seed(db, officers)
        faults = Faults(global_per_second=30)  # the wizard runs without chat limits; the broadcast with all of them
        faulty = Faults(global_per_second=30, per_chat_per_second=1, per_chat_burst=0, random_429_rate=0.05,
                        retry_after_range=(1, 3), random_5xx_rate=0.02, seed=seed_value)
        emu = BotApiEmulator(faults=faults)  # limits from the start; random faults from the confirmation on
        await emu.start()
        driver = Driver(emu)
        for i in range(officers):
            emu.register_user(driver.user(FIRST_OFFICER_ID + i, f"队员{i:03d}").json)
        bot = BotProcess(emu=emu, db_url=url, workdir=Path(tmp),
                         env_extra={"DISPATCH_NUDGE_MINUTES": "600", "LOG_LEVEL": "WARNING"})
        await bot.start()
        crashes = 0
        try:
            try:
                number, started = await dispatch(driver, emu, faulty, db)
            except AssertionError:
                print(bot.log()[-3000:])
                raise
            deadline = time.monotonic() + 600
            while True:
                lost, dups, last = tally(emu, number, officers)
                delivered = officers - lost
                if kill_after is not None and crashes == 0 and delivered >= kill_after:
                    await bot.kill()
                    crashes += 1
                    await bot.start()
                if lost == 0 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(2.0)  # let stragglers (duplicates) show up
            lost, dups, last = tally(emu, number, officers)
        finally:
            await bot.stop()
            await emu.stop()
            db.dispose()
        with Database(url).session() as session:
            waits = session.exec(select(func.max(OutboxMessage.attempts))).one()
        return {"seconds": last - started, "max_attempts": waits or 1, "lost": lost, "dups": dups, "crashes": crashes,
                "r429": emu.stats.answered_429, "r5xx": emu.stats.answered_5xx}


def report(title: str, result: dict[str, float], officers: int) -> None:
    ideal = officers / 30
    print(f"{title}: {result['seconds']:.1f} s for {officers} notices (ideal {ideal:.1f} s, ratio {result['seconds'] / ideal:.2f}); "
          f"429s {result['r429']}, 5xx {result['r5xx']}, most attempts of one notice {result['max_attempts']} "
          f"(allowance 1.15×ideal + {int(result['max_attempts']) - 1}×3 s = {1.15 * ideal + 3 * (result['max_attempts'] - 1):.1f} s); lost {result['lost']}, duplicates {result['dups']}"
          + (f", crashes {result['crashes']}" if result["crashes"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a fresh temporary SQLite file")
    args = parser.parse_args()
    report("clean run", asyncio.run(run(args.officers, args.seed, args.database_url, None)), args.officers)
    report("kill -9 at 40%", asyncio.run(run(args.officers, args.seed + 1, args.database_url, int(args.officers * 0.4))), args.officers)


if __name__ == "__main__":
    main()
