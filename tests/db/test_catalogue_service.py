"""The bot's catalogue service builds a search index off the event loop (2.5 s at 10,000 items would
stall every user's updates): the installed version keeps answering, with its own items and positions,
until the new one is ready; the first build and an admin's own change are awaited."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import catalogue as catalogue_db
from db.engine import Database
from knowledge.catalogue import CatalogueItem, load_catalogue_file
from knowledge.search import SearchIndex

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "demo_catalogue.csv"


class GatedBuilds:
    """Stands in for SearchIndex in db.catalogue: counts builds of a catalogue and holds each one until
    opened (the empty index a new service starts with passes)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.builds = 0
        self.fail = False

    def __call__(self, items: list[CatalogueItem], **kwargs: object) -> SearchIndex:
        if not items:
            return SearchIndex(items)
        self.builds += 1
        self.started.set()
        assert self.gate.wait(10), "the test never opened the gate"
        if self.fail:
            raise RuntimeError("build failed")
        return SearchIndex(items, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedBuilds]:
    gated = GatedBuilds()
    monkeypatch.setattr(catalogue_db, "SearchIndex", gated)
    monkeypatch.setattr(catalogue_db.CatalogueService, "CHECK_SECONDS", 0.0)
    yield gated
    gated.gate.set()  # never leave a worker thread waiting


def save(db: Database, items: list[CatalogueItem]) -> int:
    with db.session() as session:
        version = catalogue_db.save_version(session=session, items=items, source_name="t", imported_by=None,
                                            is_sample=True)
        session.flush()
        assert version.id is not None
        return version.id


def demo() -> list[CatalogueItem]:
    return load_catalogue_file(DEMO, is_sample=True)


async def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_new_version_is_built_off_the_loop_while_the_old_one_answers(db: Database, builds: GatedBuilds) -> None:
    first = save(db, demo()[:10])
    service = catalogue_db.CatalogueService(db)
    builds.gate.set()
    await service.ready()
    assert service.version is not None and service.version.id == first and len(service.items) == 10

    builds.gate.clear()
    builds.started.clear()
    second = save(db, demo())
    index = await asyncio.wait_for(service.ready(), timeout=2)  # returns while the build is held
    assert await asyncio.to_thread(builds.started.wait, 5)
    assert service.version.id == first and len(service.items) == 10 and len(index) == 10
    assert service.position_of == {item.code: n for n, item in enumerate(service.items)}
    await asyncio.sleep(0.05)  # the loop keeps serving other updates meanwhile
    assert (await service.ready()) is index and builds.builds == 2  # one build in flight, not one per lookup

    builds.gate.set()
    await wait_until(lambda: service.version is not None and service.version.id == second)
    assert len(service.items) == len(demo()) and len(service.index) == len(demo())
    assert service.index.search("占道经营").hits[0].item.code == "DEMO-ZH-01"


async def test_the_first_build_is_shared_and_awaited(db: Database, builds: GatedBuilds) -> None:
    save(db, demo())
    service = catalogue_db.CatalogueService(db)
    waiting = [asyncio.create_task(service.ready()) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in waiting)  # nothing to answer with yet: they wait
    builds.gate.set()
    indexes = await asyncio.gather(*waiting)
    assert builds.builds == 1 and all(index is indexes[0] for index in indexes)
    assert len(indexes[0]) == len(demo())


async def test_an_admins_change_is_awaited_even_behind_a_build_in_flight(db: Database, builds: GatedBuilds) -> None:
    save(db, demo()[:10])
    service = catalogue_db.CatalogueService(db)
    builds.gate.set()
    await service.ready()
    builds.gate.clear()
    save(db, demo()[:20])
    await service.ready()  # a build for the 20-item version starts and is held
    third = save(db, demo())  # the admin's own import
    forced = asyncio.create_task(service.ready(force=True))
    await asyncio.sleep(0.05)
    assert not forced.done()
    builds.gate.set()
    await forced
    assert service.version is not None and service.version.id == third and len(service.items) == len(demo())


async def test_a_failed_build_keeps_the_installed_index_and_is_logged(
    db: Database, builds: GatedBuilds, caplog: pytest.LogCaptureFixture
) -> None:
    first = save(db, demo()[:10])
    service = catalogue_db.CatalogueService(db)
    builds.gate.set()
    await service.ready()
    builds.fail = True
    save(db, demo())
    with caplog.at_level(logging.ERROR, logger="db.catalogue"):
        await service.ready()
        await wait_until(lambda: "search index build failed" in caplog.text)
    assert service.version is not None and service.version.id == first and len(service.items) == 10
    builds.fail = False
    await service.ready()  # the next lookup tries again
    await wait_until(lambda: len(service.items) == len(demo()))
