"""How long other users' updates wait while the bot builds the search index of a large catalogue.

    python -m bench.index_rebuild [--items 10000]

A ticker on the event loop wakes every 10 ms, as the handling of other users' updates would; its worst
lateness is how long they would have waited. Measured for the bot's way (CatalogueService.ready: the
build runs in a worker thread; the installed version answers until the new one is ready) and for a
build on the loop itself (CatalogueService.refresh, as the bot did before). Prints numbers only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.lookup import synthetic_catalogue
from db import catalogue as catalogue_db
from db.engine import Database
from db.migrate import upgrade

TICK = 0.010
GOAL = 0.100  # other users' updates wait less than this while a new version is indexed


def row(what: str, took: float, worst: float, goal: str) -> None:
    print(f"| {what} | {took:.2f} s | {worst * 1000:.0f} ms | {goal} |")


async def worst_lateness(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(seconds the work took, worst lateness of a 10 ms ticker meanwhile)."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not done.is_set():
            planned = loop.time() + TICK
            await asyncio.sleep(TICK)
            worst = max(worst, loop.time() - planned)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await work()
    took = time.perf_counter() - started
    done.set()
    await ticking
    return took, worst


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        items = synthetic_catalogue(count, random.Random(7))

        def new_version() -> None:
            with db.session() as session:
                catalogue_db.save_version(session=session, items=items, source_name="bench", imported_by=None,
                                          is_sample=True)

        new_version()
        service = catalogue_db.CatalogueService(db)
        print("| index build, 10 ms ticker on the loop | build took | worst wait of other updates | goal |")
        print("|---|---|---|---|")
        took, worst = await worst_lateness(service.ready)
        row(f"{count:,} items: first build, in a worker thread (awaited)", took, worst, "–")

        new_version()
        service._checked_at = -1e9  # a lookup after CHECK_SECONDS sees the new version

        async def background() -> None:
            await service.ready()  # returns at once: the installed version answers
            while service._building is not None:
                await asyncio.sleep(TICK)

        took, worst = await worst_lateness(background)
        row(f"{count:,} items: new version, built in the background", took, worst,
            "< 100 ms " + ("✅" if worst < GOAL else "❌"))

        new_version()

        async def on_the_loop() -> None:
            service.refresh(force=True)

        took, worst = await worst_lateness(on_the_loop)
        row(f"{count:,} items: new version, built on the event loop (before)", took, worst, "–")
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(run(args.items))


if __name__ == "__main__":
    main()
