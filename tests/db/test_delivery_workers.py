"""The outbox worker against the sandbox emulator: two OS processes never send the same row
(PostgreSQL, FOR UPDATE SKIP LOCKED); a 403 fails the row and calls the feature's failure hook;
only stale claims of other workers are re-queued."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from telegram import Bot

from db import outbox
from db.engine import Database
from db.models import OutboxMessage, OutboxStatus, utcnow
from jobs import delivery
from jobs.delivery import DeliveryWorker
from sandbox.emulator import BotApiEmulator
from sandbox.records import Faults
from tests.e2e.harness import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = """
import asyncio, sys
from telegram import Bot
from db.engine import Database
from db.models import OutboxMessage, OutboxStatus
from jobs.delivery import DeliveryWorker
from sqlmodel import select, func

async def main(url, base, wid):
    bot = Bot(sys.argv[4], base_url=base)
    db = Database(url)
    worker = DeliveryWorker(bot, db, per_second=200, per_chat_interval=0.0, worker_id=wid)
    worker.requeue_claims(own=True)
    sent = 0
    async with bot:
        idle = 0
        while idle < 10:
            rows = worker._claim()
            if not rows:
                idle += 1
                await asyncio.sleep(0.05)
                continue
            idle = 0
            await asyncio.gather(*(worker._send_row(r) for r in rows))
            sent += len(rows)
    print(sent)

asyncio.run(main(*sys.argv[1:4]))
"""


async def _emulator(users: range, faults: Faults | None = None) -> BotApiEmulator:
    emu = BotApiEmulator(faults=faults)
    await emu.start()
    for user_id in users:
        emu.register_user({"id": user_id, "is_bot": False, "first_name": f"u{user_id}"})
    return emu


async def test_two_worker_processes_never_send_the_same_row(db: Database, db_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is the PostgreSQL path; SQLite runs one worker per database")
    chats = range(300001, 300301)
    with db.session() as session:
        for chat in chats:
            outbox.enqueue(session=session, chat_id=chat, text=f"通知 {chat}", ref_type="test")
    emu = await _emulator(chats)
    try:
        procs = [await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER_SCRIPT, db_url, emu.base_url, f"w{i}", TEST_TOKEN, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for i in (1, 2)]
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    finally:
        await emu.stop()
    counts = [int(out.decode().strip().splitlines()[-1]) for out, _err in outputs]
    assert all(c > 0 for c in counts), counts  # both processes took part
    per_chat = Counter(r.chat_id for r in emu.sent_log if r.method.lower() == "sendmessage")
    assert set(per_chat) == set(chats)
    assert max(per_chat.values()) == 1  # no row was sent twice
    assert sum(counts) == len(chats)
    with db.session() as session:
        statuses = Counter(r.status for r in session.exec(select(OutboxMessage)).all())
    assert statuses == {OutboxStatus.SENT: len(chats)}


async def test_blocked_user_fails_row_and_calls_the_hook(db: Database) -> None:
    told: list[str] = []
    delivery.register_failure_hook("test.fail", lambda session, row: told.append(row.last_error or ""))
    emu = await _emulator(range(400001, 400003), Faults(blocked_user_ids={400002}))
    try:
        with db.session() as session:
            outbox.enqueue(session=session, chat_id=400001, text="好", ref_type="test.fail")
            outbox.enqueue(session=session, chat_id=400002, text="被屏蔽", ref_type="test.fail")
        bot = Bot(TEST_TOKEN, base_url=emu.base_url)
        async with bot:
            worker = DeliveryWorker(bot, db, per_chat_interval=0.0)
            while await worker.drain_once():
                pass
    finally:
        await emu.stop()
        delivery.FAILURE_HOOKS.pop("test.fail", None)
    with db.session() as session:
        rows = {r.chat_id: r for r in session.exec(select(OutboxMessage)).all()}
    assert rows[400001].status == OutboxStatus.SENT and rows[400001].telegram_message_id
    assert rows[400002].status == OutboxStatus.FAILED and rows[400002].last_error.startswith("403")  # type: ignore[union-attr]
    assert len(told) == 1 and told[0].startswith("403")


async def test_retry_after_delays_only_that_row(db: Database) -> None:
    emu = await _emulator(range(500001, 500004))
    emu.fail_next("sendMessage", 429, retry_after=3, chat_id=500002)
    try:
        with db.session() as session:
            for chat in (500001, 500002, 500003):
                outbox.enqueue(session=session, chat_id=chat, text="x")
        bot = Bot(TEST_TOKEN, base_url=emu.base_url)
        async with bot:
            await DeliveryWorker(bot, db, per_chat_interval=0.0).drain_once()
    finally:
        await emu.stop()
    with db.session() as session:
        rows = {r.chat_id: r for r in session.exec(select(OutboxMessage)).all()}
    assert rows[500001].status == rows[500003].status == OutboxStatus.SENT
    delayed = rows[500002]
    assert delayed.status == OutboxStatus.PENDING and delayed.retry_after == 3
    assert delayed.next_attempt_at > utcnow() + timedelta(seconds=2)


def test_requeue_only_stale_or_own_claims(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        for chat, by, age in ((1, "w1", 5), (2, "w2", 5), (3, "w2", 600)):
            row = outbox.enqueue(session=session, chat_id=chat, text="x")
            assert row is not None
            row.status, row.claimed_by, row.claimed_at = OutboxStatus.SENDING, by, now - timedelta(seconds=age)
    worker = DeliveryWorker(Bot(TEST_TOKEN), db, stale_claim=timedelta(seconds=60), worker_id="w1")
    assert worker.requeue_claims(own=True) == 2  # its own fresh claim and w2's stale one
    with db.session() as session:
        status = {r.chat_id: r.status for r in session.exec(select(OutboxMessage)).all()}
    assert status == {1: OutboxStatus.PENDING, 2: OutboxStatus.SENDING, 3: OutboxStatus.PENDING}
