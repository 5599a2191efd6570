"""Issue 13.6: the update processor keeps each user's order, never lets one user hold more than one
slot, drops a flood before it waits for anything, and the flood gate's memory stays bounded."""

from __future__ import annotations

import asyncio

from telegram import Update

from handlers.flood import FloodGate
from handlers.ordering import PerUserUpdateProcessor

_next_id = iter(range(1, 10**9))


def update_from(user_id: int) -> Update:
    uid = next(_next_id)
    return Update.de_json({
        "update_id": uid,
        "message": {"message_id": uid, "date": 0, "text": "x",
                    "chat": {"id": user_id, "type": "private"}, "from": {"id": user_id, "is_bot": False, "first_name": "u"}},
    }, None)


async def test_one_user_with_a_hundred_queued_updates_holds_one_slot_and_others_run() -> None:
    processor = PerUserUpdateProcessor(4)
    release = asyncio.Event()
    ran: list[tuple[int, int]] = []

    async def handle(user: int, n: int) -> None:
        ran.append((user, n))
        if user == 1:
            await release.wait()

    tasks = [asyncio.create_task(processor.process_update(update_from(1), handle(1, n))) for n in range(100)]
    tasks += [asyncio.create_task(processor.process_update(update_from(u), handle(u, 0))) for u in (2, 3, 4, 5, 6)]
    for _ in range(20):
        await asyncio.sleep(0)
    # user 1's first update is being handled; the other 99 wait behind it without a slot;
    # every other user is answered meanwhile (4 slots: 1 for the flooder, 3 free and reused)
    assert ran[0] == (1, 0) and {u for u, _ in ran[1:]} == {2, 3, 4, 5, 6}
    assert processor.busy_slots == 1
    release.set()
    await asyncio.gather(*tasks)
    assert [n for u, n in ran if u == 1] == list(range(100))  # user 1 in arrival order
    assert processor.busy_slots == 0 and processor.users_in_flight == 0  # nothing left behind


async def test_flood_is_dropped_before_it_queues_and_warned_once_in_order() -> None:
    ran: list[str] = []

    async def warn(update: object) -> None:
        ran.append("warn")

    gate = FloodGate(max_updates=3, window_seconds=60)
    processor = PerUserUpdateProcessor(2, gate=gate, warn=warn)
    gate_release = asyncio.Event()

    async def handle(n: int) -> None:
        ran.append(f"answer {n}")
        await gate_release.wait()

    coroutines = [handle(n) for n in range(50)]
    tasks = [asyncio.create_task(processor.process_update(update_from(7), c)) for c in coroutines]
    for _ in range(10):
        await asyncio.sleep(0)
    # 3 allowed + 1 warning wait in user 7's queue; the other 46 are already gone
    assert sum(t.done() for t in tasks) == 46
    assert processor.busy_slots == 1
    gate_release.set()
    await asyncio.gather(*tasks)
    assert ran == ["answer 0", "answer 1", "answer 2", "warn"]  # the warning after the earlier answers
    assert all(c.cr_frame is None for c in coroutines)  # dropped coroutines closed, none left pending


def test_flood_gate_memory_is_bounded() -> None:
    gate = FloodGate(max_updates=5, window_seconds=10, max_users=1000)
    for user in range(100_000):  # a stream of new ids (forged or a botnet) within one window
        gate.check(user, now=1.0 + user * 1e-5)
    assert len(gate) <= 1000
    for _ in range(10_000):  # one user flooding: the window keeps only max_updates + 1 stamps
        gate.check(42, now=3.0)
    assert max(len(w.stamps) for w in gate._users.values()) <= 6  # noqa: SLF001
    gate.check(1, now=100.0)  # a window later everybody idle is forgotten
    assert len(gate) == 1


def test_flood_gate_forgets_idle_users_but_keeps_active_ones() -> None:
    gate = FloodGate(max_updates=2, window_seconds=10)
    assert [gate.check(1, now=t) for t in (0, 1, 2, 3)] == ["ok", "ok", "warn", "drop"]
    assert gate.check(2, now=5) == "ok"
    assert gate.check(1, now=6) == "drop"  # still inside the window: not forgotten
    assert gate.check(2, now=30) == "ok" and len(gate) == 1  # user 1 idle for a window: gone
    assert gate.check(1, now=31) == "ok"



async def test_group_chatter_over_the_limit_does_not_spend_the_private_warning() -> None:
    """An officer busy in a group (an album of photos) who then writes privately is told once
    why the bot is silent: the group updates over the limit are dropped without the warning."""
    warned: list[object] = []

    async def warn(update: object) -> None:
        warned.append(update)

    gate = FloodGate(max_updates=3, window_seconds=60)
    processor = PerUserUpdateProcessor(2, gate=gate, warn=warn)

    async def handle() -> None:
        return None

    def in_group(user_id: int) -> Update:
        uid = next(_next_id)
        return Update.de_json({
            "update_id": uid,
            "message": {"message_id": uid, "date": 0, "text": "图",
                        "chat": {"id": -100, "type": "supergroup", "title": "片区群"},
                        "from": {"id": user_id, "is_bot": False, "first_name": "u"}},
        }, None)

    for _ in range(5):  # 3 answered, 2 over the limit in the group
        await processor.process_update(in_group(9), handle())
    assert warned == []
    private = update_from(9)
    await processor.process_update(private, handle())
    assert warned == [private]  # the private message over the limit gets the one warning
    await processor.process_update(update_from(9), handle())
    assert warned == [private]
