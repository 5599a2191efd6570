"""One bot process per token: a second one refuses to start instead of double-sending.

Two pollers make Telegram answer 409 to one of them at random, and two clocks would fire every
reminder twice. SQLite: an exclusive file lock beside the database. PostgreSQL: a session-level
advisory lock keyed by the token's hash, held on a dedicated connection for the process lifetime
(so it also covers processes on other machines).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url


class AlreadyRunning(RuntimeError):
    """Another process already runs the bot with this token and database."""


class InstanceLock:
    def __init__(self, database_url: str, token: str) -> None:
        self.database_url = database_url
        self.key = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big", signed=True)
        self._file: IO[str] | None = None
        self._pg: Any = None

    def acquire(self) -> None:
        url = make_url(self.database_url)
        if url.get_backend_name() == "postgresql":
            import psycopg

            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = psycopg.connect(dsn, autocommit=True)
            locked = self._pg.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
            if not locked:
                self._pg.close()
                raise AlreadyRunning
            return
        base = Path(url.database) if url.database and url.database != ":memory:" else Path("data/bot.db")
        path = base.with_name(base.name + f".{self.key & 0xFFFFFFFF:08x}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise AlreadyRunning from None
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
        if self._pg is not None:
            self._pg.close()
