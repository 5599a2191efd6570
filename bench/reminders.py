"""Reminder lateness with the real bot process and the sandbox emulator.

200 people each organise a one-person meeting whose 1-minute reminder falls due in the same
minute (spread over it), or, with --burst, all in the same second. The script watches the
emulator and prints when each reminder arrived relative to its due time, plus missing and
duplicate counts. The goal is p99 < 2 s (spread); a burst is bounded by the outbox rate
(25 msg/s, under Telegram's ~30/s), so 200 at once need about 8 s whatever the clock does.

    .venv/bin/python bench/reminders.py [--count 200] [--burst] [--tick 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select  # noqa: E402

import handlers.meeting_notices as notices  # noqa: E402
from db import meetings as mdb  # noqa: E402
from db.engine import Database  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Person  # noqa: E402
from db.people import apply_roster  # noqa: E402
from knowledge.roster import RosterRow  # noqa: E402
from sandbox.emulator import BotApiEmulator  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

FIRST_TG = 700_000


def seed_people(db: Database, count: int) -> list[Person]:
    rows = [RosterRow(name=f"队员{i:03d}", phone=f"139{i:08d}", role="coordinator", street="浮桥街道", zone="江南新区",
                      department=None, certificate_no=None, certificate_expires=date(2030, 1, 1),
                      telegram_id=FIRST_TG + i) for i in range(count)]
    with db.session() as session:
        apply_roster(session=session, rows=rows, actor_person_id=None, dry_run=False)
    with db.session() as session:
        return list(session.exec(select(Person).order_by(Person.id)).all())


def seed_meetings(db: Database, people: list[Person], dues: list[datetime]) -> None:
    """One meeting per person starting 1 minute after its due time, reminder offset 1 minute."""
    now = datetime.now(UTC)
    with db.session() as session:
        for person, due in zip(people, dues, strict=True):
            meeting = mdb.create_meeting(session=session, organiser=person, kind="其他", title=f"基准会议{person.id}",
                                         starts_at=due + timedelta(minutes=1), attendees=[], offsets=[1])
            notices.plan_reminders(session, meeting, now)


async def run(count: int, burst: bool, tick: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(db_url)
    db = Database(db_url)
    people = seed_people(db, count)
    emu = BotApiEmulator()
    await emu.start()
    for person in people:
        emu.register_user({"id": person.telegram_id, "is_bot": False, "first_name": person.name})
    bot = BotProcess(emu=emu, db_url=db_url, workdir=workdir,
                     env_extra={"CLOCK_TICK_SECONDS": str(tick), "LOAD_SAMPLE_CATALOGUE": "false", "LOG_LEVEL": "WARNING"})
    await bot.start()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    if burst:
        dues = [start for _ in people]
    else:
        dues = [start + timedelta(seconds=60 * i / count) for i in range(count)]
    seed_meetings(db, people, dues)
    due_by_chat = {p.telegram_id: due.timestamp() for p, due in zip(people, dues, strict=True)}
    seen: dict[int, list[float]] = {chat: [] for chat in due_by_chat}
    counted: dict[int, int] = dict.fromkeys(due_by_chat, 0)
    deadline = max(due_by_chat.values()) + 30
    while time.time() < deadline:
        await emu.wait_change(0.05)
        now = time.time()
        for chat in due_by_chat:
            found = sum("会议提醒" in m.text for m in emu.messages(chat))
            while counted[chat] < found:
                counted[chat] += 1
                seen[chat].append(now)
        if all(seen.values()) and now > max(due_by_chat.values()) + 5:
            break
    marked_late = sum(1 for chat in due_by_chat for m in emu.messages(chat) if "补发" in m.text)
    await bot.stop()
    await emu.stop()
    db.dispose()

    lateness = sorted(times[0] - due_by_chat[chat] for chat, times in seen.items() if times)
    missing = sum(1 for times in seen.values() if not times)
    duplicates = sum(len(times) - 1 for times in seen.values() if len(times) > 1)

    def pct(p: float) -> float:
        return lateness[min(len(lateness) - 1, int(round(p / 100 * (len(lateness) - 1))))] if lateness else float("nan")

    mode = "same second" if burst else "spread over one minute"
    print(f"{count} reminders due {mode}; clock tick {tick} s (plus a one-shot wake-up at the next due_at)")
    print(f"lateness after due time: p50 {pct(50):.3f} s  p95 {pct(95):.3f} s  p99 {pct(99):.3f} s  "
          f"max {max(lateness) if lateness else float('nan'):.3f} s  mean {statistics.fmean(lateness) if lateness else 0:.3f} s")
    print(f"missing {missing}  duplicates {duplicates}  marked 补发 {marked_late}")
    return 0 if missing == 0 and duplicates == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--burst", action="store_true", help="all reminders due in the same second")
    parser.add_argument("--tick", type=float, default=5.0, help="CLOCK_TICK_SECONDS for the bot")
    args = parser.parse_args()
    return asyncio.run(run(args.count, args.burst, args.tick))


if __name__ == "__main__":
    raise SystemExit(main())
