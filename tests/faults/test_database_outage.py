"""The database goes away for a moment during a dispatch and while officers answer.

SQLite: another process holds the write lock (BEGIN IMMEDIATE) for ~3 s, so every session of the
bot waits. PostgreSQL: the bot's connections are terminated (pg_terminate_backend), as in a
server restart or failover. Afterwards the bot answers again, and nothing a user saw confirmed
is missing from the database; every notice is delivered.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from db.actions import ActionRecipient, Response
from db.models import Person
from tests.dbutil import _admin_dsn
from tests.e2e.harness import Stack
from tests.faults.crowd import audit, crowd_users, dispatch, drained, notices_of, press_ack, until

FAST_REQUEUE = {"DELIVERY_PER_SECOND": "5", "DELIVERY_STALE_CLAIM_SECONDS": "4"}


def terminate_connections(db_url: str) -> int:
    """Kill every server process serving the bot's database (the test's own pool too)."""
    name = make_url(db_url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


async def hold_sqlite_lock(db_url: str, seconds: float) -> None:
    """Another writer: BEGIN IMMEDIATE, keep it for `seconds`, then commit."""
    path = make_url(db_url).database
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def outage(stack: Stack, seconds: float) -> str:
    if stack.db.is_postgres:
        killed = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # the bot reconnects; keep killing for the whole stretch
            killed += terminate_connections(stack.bot.db_url)
            await asyncio.sleep(0.5)
        return f"{killed} connections terminated over {seconds:.0f}s"
    await hold_sqlite_lock(stack.bot.db_url, seconds)
    return f"write lock held {seconds:.0f}s by another process"


def acked(stack: Stack, telegram_id: int) -> bool:
    with stack.db.session() as session:
        row = session.exec(select(ActionRecipient).join(Person, ActionRecipient.person_id == Person.id).where(
            Person.telegram_id == telegram_id)).first()
        return row is not None and row.response == Response.ACK


@pytest.mark.bot_env(**FAST_REQUEUE)
async def test_database_outage_during_dispatch_and_answers(crowd: Stack) -> None:
    await database_outage(crowd, seconds=3)


@pytest.mark.slow
@pytest.mark.bot_env(**FAST_REQUEUE)
async def test_longer_database_outage(crowd: Stack) -> None:
    await database_outage(crowd, seconds=10)


async def database_outage(stack: Stack, seconds: float) -> None:
    number = await dispatch(stack.user("coordinator"))
    users = crowd_users(stack)
    await until(stack, lambda: sum(bool(notices_of(u, number)) for u in users[:4]) == 4, 10, "first notices")
    answering, asking = users[0], stack.user("officer2")

    async def officer_answers() -> tuple[bool, float]:
        await asyncio.sleep(0.3)  # inside the outage
        started = time.monotonic()
        ok = await press_ack(answering, number, timeout=seconds + 15)
        return ok, time.monotonic() - started

    async def officer_asks() -> tuple[str, float]:
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await asking.send_text("占道经营")
        reply = await asking.wait_for(lambda m: True, timeout=seconds + 15)
        return reply.text, time.monotonic() - started

    what, (ack_ok, ack_seconds), (reply, reply_seconds) = await asyncio.gather(
        outage(stack, seconds), officer_answers(), officer_asks())
    # Either answer is an honest one: confirmed (then stored) or 系统出错 (then the officer presses again).
    if not ack_ok:
        ack_ok = await press_ack(answering, number, timeout=10)
    assert ack_ok and acked(stack, answering.user_id)
    if "对擅自占用城市道路" not in reply:
        assert "系统出错" in reply, reply
        await asking.send_text("占道经营")
        assert "对擅自占用城市道路" in (await asking.wait_for(lambda m: True, timeout=10)).text
    await until(stack, lambda: all(notices_of(u, number) for u in users), 60, "every crowd officer notified")
    await drained(stack, 60)
    result = audit(stack, {number})
    print(f"\n[database outage, {'PostgreSQL' if stack.db.is_postgres else 'SQLite'}: {what}] "
          f"ack answered after {ack_seconds:.1f}s, lookup answered after {reply_seconds:.1f}s "
          f"({'card' if '对擅自' in reply else reply[:20]}); {result.line()}")
    result.assert_nothing_lost()
    assert result.delivered == result.expected == 23
