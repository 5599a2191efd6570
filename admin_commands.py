"""Operator commands behind bot.py: catalogue and boundary imports, export, backup.

Each returns the process exit status and prints Chinese messages; a bad file writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config import Settings

NOT_YET = "该功能尚未实现。"
DATA_DIR = Path(__file__).resolve().parent / "knowledge" / "data"


def ensure_reference_data(settings: Settings) -> None:
    """A fresh database gets the confirmed item, plus the sample list (示例数据) when asked for.

    Only when no catalogue version exists yet: an admin's official import is never overridden.
    """
    from db import catalogue as catalogue_db
    from db.engine import Database
    from knowledge.catalogue import load_catalogue_file

    db = Database(settings.database_url)
    try:
        with db.session() as session:
            if catalogue_db.latest_version_id(session=session) is not None:
                return
            items = load_catalogue_file(DATA_DIR / "catalogue_confirmed.csv")
            source = "catalogue_confirmed.csv"
            if settings.load_sample_catalogue:
                items += load_catalogue_file(DATA_DIR / "demo_catalogue.csv", is_sample=True)
                source += " + demo_catalogue.csv（示例数据，非官方）"
            catalogue_db.save_version(session=session, items=items, source_name=source, imported_by=None,
                                      is_sample=settings.load_sample_catalogue)
    finally:
        db.dispose()


def import_catalogue(settings: Settings, path: Path, *, dry_run: bool, sample: bool) -> int:
    """Validate the whole file, print the diff against the current version, then store a new version."""
    import texts
    from db import catalogue as catalogue_db
    from db.engine import Database
    from db.migrate import upgrade
    from knowledge.catalogue import CatalogueFileError, diff_catalogues, load_catalogue_file

    try:
        items = load_catalogue_file(path, is_sample=sample)
    except CatalogueFileError as exc:
        print(exc.summary(limit=50), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            latest = catalogue_db.latest_version_id(session=session)
            current = catalogue_db.items_of(session=session, version_id=latest) if latest else []
            diff = diff_catalogues(current, items)
            print(texts.CATALOGUE_PREVIEW.format(
                source=path.name, total=len(items), added=len(diff.added), changed=len(diff.changed),
                withdrawn=len(diff.withdrawn), unchanged=len(diff.unchanged),
                sample="（示例数据，非官方）" if sample else "").replace("<b>", "").replace("</b>", ""))
            for label, names in (("新增", diff.added), ("变更", diff.changed), ("收回", diff.withdrawn)):
                if names:
                    print(f"{label}：{'、'.join(names)}")
            if dry_run:
                print("（预演：未写入数据库）")
                return 0
            version = catalogue_db.save_version(session=session, items=items, source_name=path.name,
                                                imported_by=None, is_sample=sample)
            session.flush()
            print(texts.CATALOGUE_IMPORTED.format(version=version.id, total=len(items)))
    finally:
        db.dispose()
    return 0


def import_boundaries(settings: Settings, path: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def export(settings: Settings, since: str, until: str, out: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def backup(settings: Settings, out: Path) -> int:
    """SQLite online backup (consistent while the bot runs). PostgreSQL: use pg_dump (README)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        print("PostgreSQL 请使用 pg_dump 备份，例如：pg_dump -Fc -f backup.dump 数据库名", file=sys.stderr)
        return 2
    source_path = Path(url.database or "")
    if not source_path.exists():
        print(f"找不到数据库文件：{source_path}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(out) as target:
        source.backup(target)
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        print(f"备份校验失败：{ok}", file=sys.stderr)
        return 2
    print(f"已备份到 {out}（{out.stat().st_size // 1024} KB，完整性检查通过）。")
    return 0
