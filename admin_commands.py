"""Operator commands behind bot.py: catalogue and boundary imports, export, backup.

Each returns the process exit status and prints Chinese messages; a bad file writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config import Settings

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
    """Validate a street-polygon GeoJSON (WGS84, or marked gcj02/bd09) and store it; all or nothing."""
    from db import boundaries as boundaries_db
    from db.engine import Database
    from db.migrate import upgrade
    from knowledge.geo import BoundaryFileError, parse_boundaries

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取文件 {path}：{exc}", file=sys.stderr)
        return 2
    try:
        parsed = parse_boundaries(text)
    except BoundaryFileError as exc:
        print(str(exc), file=sys.stderr)
        print("导入未执行，数据库没有任何改动。", file=sys.stderr)
        return 2
    for warning in parsed.warnings:
        print(f"提示：{warning}")
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            boundaries_db.save(session=session, geojson=parsed.to_geojson(), source_name=path.name)
    finally:
        db.dispose()
    print(f"已导入 {len(parsed.polygons)} 个街道的边界：{'、'.join(parsed.polygons)}。重启机器人后，上报线索按边界推荐街道。")
    return 0


def export(settings: Settings, since: str, until: str, out: Path) -> int:
    """Records of [since, until] (local days, both included) for the 闽执法 platform.

    `.xlsx`: one workbook with the sheets 案源线索, 联合执法行动, 会议, 争议. `.csv`: one UTF-8 CSV
    per sheet next to OUT (OUT_案源线索.csv, ...). `.zip`: those CSV files in one zip.
    """
    import texts
    from db.engine import Database
    from db.migrate import upgrade
    from db.reports import export_sheets, sheet_counts
    from knowledge import export as writer
    from knowledge.stats import PeriodError, custom_period, parse_day

    if out.suffix.lower() not in writer.SUFFIXES:
        print(texts.EXPORT_BAD_SUFFIX.format(name=out.name), file=sys.stderr)
        return 2
    try:
        period = custom_period(parse_day(since), parse_day(until))
    except PeriodError as exc:
        print(texts.EXPORT_BAD_RANGE.format(message=exc), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        start, end = period.bounds(settings.tz)
        with database.session() as session:
            sheets = export_sheets(session=session, zone=None, since=start, until=end, tz=settings.tz)
    finally:
        database.dispose()
    written = writer.write(sheets, out)
    counts = sheet_counts(sheets)
    print(texts.EXPORT_DONE.format(
        leads=counts[texts.EXPORT_SHEET_LEADS], actions=counts[texts.EXPORT_SHEET_ACTIONS],
        meetings=counts[texts.EXPORT_SHEET_MEETINGS], disputes=counts[texts.EXPORT_SHEET_DISPUTES],
        since=period.first, until=period.last, path="、".join(str(p) for p in written),
    ))
    return 0


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
