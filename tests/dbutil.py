"""Fresh, migrated databases for tests: SQLite files and PostgreSQL databases made from a
migrated template, so each test costs a file copy or a CREATE DATABASE ... TEMPLATE."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import psycopg

from db.migrate import upgrade

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


class DatabaseFactory:
    """Hands out migrated databases; drops every PostgreSQL database it made at close()."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_made: list[str] = []

    def sqlite(self) -> str:
        if self._sqlite_template is None:
            self._sqlite_template = self.workdir / "template.db"
            upgrade(f"sqlite:///{self._sqlite_template}")
        target = self.workdir / f"t_{uuid.uuid4().hex[:10]}.db"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite:///{target}"

    def postgresql(self) -> str:
        with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
            if self._pg_template is None:
                self._pg_template = f"lc_tpl_{RUN_ID}"
                conn.execute(f'CREATE DATABASE "{self._pg_template}"')
                self._pg_made.append(self._pg_template)
                upgrade(pg_url(self._pg_template))
            name = f"lc_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
            self._pg_made.append(name)
        return pg_url(name)

    def make(self, backend: str) -> str:
        return self.sqlite() if backend == "sqlite" else self.postgresql()

    def close(self) -> None:
        if not self._pg_made:
            return
        with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
            for name in reversed(self._pg_made):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
