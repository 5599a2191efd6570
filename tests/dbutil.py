"""Fresh, migrated databases for tests: SQLite files copied from a migrated template, and
PostgreSQL databases made from a migrated template database.

Why PostgreSQL databases are reused: on PostgreSQL 15 every DROP DATABASE forces a checkpoint,
which takes 0.1-2 s on a busy server and slows every other test's database while it runs; one
drop per test cost up to a minute per test worker. So a finished test's database is reset in a
background thread instead: other sessions on it are terminated, its schema is compared with the
template's (any difference, e.g. a test that altered a table: the database is dropped, not
reused), every table but alembic_version is truncated and every sequence restarted. It then
equals a fresh copy of the template (which holds no rows but alembic_version's) and goes back to
a small per-worker pool. close() leaves dropping the pool and the template to a detached
process (`python -m tests.dbutil drop NAME...`): those few drops took 5-60 s at the end of every
test worker on a busy server, time in which no test runs. TEST_PG_DROP_WAIT=1 drops them in
close() instead.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("TEST_PG_DB", "test")
RUN_ID = uuid.uuid4().hex[:8]


def pg_available() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            pass
        with psycopg.connect(_admin_dsn(), connect_timeout=2):
            return True
    except OSError:
        return False
    except psycopg.Error:
        return False


def _admin_dsn() -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_ADMIN_DB}"


def pg_url(name: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


# Everything a test could change about a database's shape, as one digest.
_SCHEMA_DIGEST = """
SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
    SELECT 'c:' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':'
           || coalesce(column_default, '') AS x
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'i:' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'k:' || conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 's:' || sequencename || ':' || start_value::text FROM pg_sequences WHERE schemaname = 'public'
    UNION ALL SELECT 'r:' || relname || ':' || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'g:' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'f:' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 't:' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
    UNION ALL SELECT 'v:' || version_num FROM alembic_version
) AS parts
"""
_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
_SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"


def _db_dsn(name: str) -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}"


class DatabaseFactory:
    """Hands out migrated databases; every PostgreSQL database it made is dropped after close()."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_made: list[str] = []
        self._pg_digest: str | None = None  # None: the template is not plain enough to reuse copies
        self._pool: list[str] = []  # reset databases, as good as fresh copies of the template
        self._lock = threading.Lock()
        self._resets: queue.Queue[str | None] = queue.Queue()
        self._resetter: threading.Thread | None = None
        self._closing = False

    def sqlite(self) -> str:
        if self._sqlite_template is None:
            from db.migrate import upgrade  # here, not at the top: `python -m tests.dbutil drop` needs psycopg only

            self._sqlite_template = self.workdir / "template.db"
            upgrade(f"sqlite:///{self._sqlite_template}")
        target = self.workdir / f"t_{uuid.uuid4().hex[:10]}.db"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite:///{target}"

    def postgresql(self) -> str:
        with self._lock:
            if self._pool:
                return pg_url(self._pool.pop())
        with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
            if self._pg_template is None:
                from db.migrate import upgrade

                self._pg_template = f"lc_tpl_{RUN_ID}_{uuid.uuid4().hex[:6]}"
                conn.execute(f'CREATE DATABASE "{self._pg_template}"')
                self._pg_made.append(self._pg_template)
                upgrade(pg_url(self._pg_template))
                try:
                    self._pg_digest = _plain_digest(self._pg_template)
                except psycopg.Error:
                    self._pg_digest = None  # copies are then made and dropped, never reused
            name = f"lc_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
            with self._lock:
                self._pg_made.append(name)
        return pg_url(name)

    def make(self, backend: str) -> str:
        return self.sqlite() if backend == "sqlite" else self.postgresql()

    def release(self, url: str) -> None:
        """The test is done with this database: a PostgreSQL one is reset in the background and reused."""
        name = url.rsplit("/", 1)[-1]
        if not url.startswith("postgresql") or name == self._pg_template or self._pg_digest is None:
            return
        with self._lock:
            if name not in self._pg_made:
                return
        if self._resetter is None:
            self._resetter = threading.Thread(target=self._reset_loop, name="pg-reset", daemon=True)
            self._resetter.start()
        self._resets.put(name)

    def _reset_loop(self) -> None:
        while (name := self._resets.get()) is not None and not self._closing:
            try:
                fresh = self._reset(name)
            except psycopg.Error:
                fresh = False
            if fresh:
                with self._lock:
                    self._pool.append(name)
            else:  # not reusable: drop it now (close() tries again if that fails)
                with self._lock:
                    if name in self._pg_made:
                        self._pg_made.remove(name)
                try:
                    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except psycopg.Error:
                    with self._lock:
                        self._pg_made.append(name)

    def _reset(self, name: str) -> bool:
        """Make ``name`` equal to a fresh copy of the template; False when it cannot be."""
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        with psycopg.connect(_db_dsn(name), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '5s'")
            if conn.execute(_SCHEMA_DIGEST).fetchone() != (self._pg_digest,):
                return False
            tables = [row[0] for row in conn.execute(_TABLES)]
            with conn.transaction():
                if tables:
                    conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
                conn.execute("SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
                             "FROM pg_sequences WHERE schemaname = 'public'")
        return True

    def close(self) -> None:
        self._closing = True  # a reset under way is not waited for: its database is dropped anyway
        self._resets.put(None)
        with self._lock:
            names = list(reversed(self._pg_made))  # the template last
            self._pg_made.clear()
        if not names:
            return
        if os.environ.get("TEST_PG_DROP_WAIT") == "1":
            if self._resetter is not None:
                self._resetter.join()
            drop(names)
            return
        subprocess.Popen(  # noqa: S603  (our own module; not waited for, on purpose)
            [sys.executable, "-m", "tests.dbutil", "drop", *names], cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )


def drop(names: list[str]) -> None:
    """DROP DATABASE each name (a few at a time: their forced checkpoints can be shared)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> None:
        try:
            with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass  # gone already, or the server is down: nothing more to do here

    templates = [n for n in names if n.startswith("lc_tpl_")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, [n for n in names if n not in templates]))
    for name in templates:
        one(name)


def _plain_digest(name: str) -> str | None:
    """The template's schema digest when copies can be reset by truncation: no rows but
    alembic_version's and no sequence used. None otherwise (then every test gets a new database)."""
    with psycopg.connect(_db_dsn(name), autocommit=True) as conn:
        for (table,) in conn.execute(_TABLES).fetchall():
            if conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone() != (False,):
                return None
        if any(last is not None for _, last in conn.execute(_SEQUENCES).fetchall()):
            return None
        row = conn.execute(_SCHEMA_DIGEST).fetchone()
    return None if row is None else str(row[0])


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "drop":
        drop(sys.argv[2:])
