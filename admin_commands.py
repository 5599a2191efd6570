"""Operator commands behind bot.py: catalogue and boundary imports, export, backup.

Each returns the process exit status and prints Chinese messages; a bad file writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config import Settings

NOT_YET = "该功能尚未实现。"


def ensure_reference_data(settings: Settings) -> None:
    """Make sure a fresh database holds the confirmed item (and the sample list when asked)."""


def import_catalogue(settings: Settings, path: Path, *, dry_run: bool, sample: bool) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


def import_boundaries(settings: Settings, path: Path) -> int:
    print(NOT_YET, file=sys.stderr)
    return 2


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
    print(NOT_YET, file=sys.stderr)
    return 2
