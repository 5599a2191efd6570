"""Shared fixtures: a fresh migrated database per test, on SQLite and (when it answers) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import Database
from tests.dbutil import DatabaseFactory, pg_available

BACKENDS = ["sqlite", "postgresql"]
_PG = pg_available()


@pytest.fixture(scope="session")
def db_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("dbs"))
    yield factory
    factory.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not _PG:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI but 127.0.0.1:5432 does not answer")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    return str(request.param)


@pytest.fixture
def db_url(db_factory: DatabaseFactory, backend: str) -> Iterator[str]:
    url = db_factory.make(backend)
    yield url
    db_factory.release(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: end-to-end test whose cost is real waiting (whole-minute times); its database "
        "logic is covered on both backends by tests/db, so it runs on SQLite only",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        on_pg = params is not None and params.params.get("backend") == "postgresql"
        (drop if on_pg and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        items[:] = _spread(items, workers)


def _weight(item: pytest.Item) -> int:
    """Rough cost class of a test: real waiting (whole minutes) > fault suites > e2e > PostgreSQL > rest."""
    path = item.nodeid
    if item.get_closest_marker("sqlite_only"):
        return 5
    if path.startswith("tests/faults/"):
        return 4
    if path.startswith("tests/e2e/"):
        return 3
    if "[postgresql" in path:
        return 2
    return 1 if path.startswith(("tests/db/", "tests/sandbox/")) else 0


def _spread(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """Order for `-n N --dist worksteal`, which first hands worker k the k-th contiguous slice:
    costliest first and dealt round-robin, so every worker starts with its share of the slow
    tests and the long ones do not end up last. Same order in every worker (xdist requires it)."""
    ranked = sorted(items, key=_weight, reverse=True)  # stable: file order within a class
    hands: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index, item in enumerate(ranked):
        hands[index % workers].append(item)
    return [item for hand in hands for item in hand]
