"""The test database factory: a reused PostgreSQL database is as good as a fresh copy of the
template, and one whose schema a test changed is dropped, never handed out again."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tests.dbutil import DatabaseFactory, _db_dsn, pg_available

pytestmark = pytest.mark.skipif(not pg_available(), reason="PostgreSQL not reachable")


def wait_pool(factory: DatabaseFactory, size: int) -> None:
    deadline = time.monotonic() + 20
    while len(factory._pool) < size:  # noqa: SLF001
        assert time.monotonic() < deadline, "the reset did not finish"
        time.sleep(0.02)


def test_reused_database_is_empty_with_sequences_restarted(tmp_path: Path) -> None:
    factory = DatabaseFactory(tmp_path)
    try:
        url = factory.postgresql()
        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(_db_dsn(name), autocommit=True) as conn:
            conn.execute("INSERT INTO person (name, phone, role, zone, active, created_at, updated_at) "
                         "VALUES ('甲', '13900000001', 'officer', '江南新区', true, now(), now())")
        factory.release(url)
        wait_pool(factory, 1)
        assert factory.postgresql() == url  # the same database, handed out again
        with psycopg.connect(_db_dsn(name), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM person").fetchone() == (0,)
            assert conn.execute("SELECT version_num IS NOT NULL FROM alembic_version").fetchone() == (True,)
            conn.execute("INSERT INTO person (name, phone, role, zone, active, created_at, updated_at) "
                         "VALUES ('乙', '13900000002', 'officer', '江南新区', true, now(), now())")
            assert conn.execute("SELECT id FROM person").fetchone() == (1,)  # as in a fresh copy
    finally:
        factory.close()


def test_database_with_a_changed_schema_is_dropped(tmp_path: Path) -> None:
    factory = DatabaseFactory(tmp_path)
    try:
        url = factory.postgresql()
        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(_db_dsn(name), autocommit=True) as conn:
            conn.execute("ALTER TABLE person ADD COLUMN extra integer")
        factory.release(url)
        deadline = time.monotonic() + 20
        while name in factory._pg_made:  # noqa: SLF001  (taken off the books, then dropped)
            assert time.monotonic() < deadline, "the altered database was kept"
            time.sleep(0.02)
        assert factory._pool == []  # noqa: SLF001
        assert factory.postgresql() != url
    finally:
        factory.close()
