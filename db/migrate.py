"""Run Alembic migrations from code (no alembic.ini: the URL always comes from Settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def head_revision() -> str:
    """The last revision of the chain, read from the files (no Alembic import: it costs ~9 MB)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision = ['\"]([^'\"]+)['\"]", text, re.M)
        parent = re.search(r"^down_revision = ['\"]([^'\"]+)['\"]", text, re.M)
        if revision:
            revisions.add(revision.group(1))
        if parent:
            parents.add(parent.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migrations must form one chain, heads: {sorted(heads)}")
    return heads.pop()


def upgrade_if_needed(url: str) -> bool:
    """Run the migrations only when the database is not at the head; True when it ran them."""
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no table yet: a fresh database
        current = None
    finally:
        engine.dispose()
    if current == head_revision():
        return False
    upgrade(url)
    return True
