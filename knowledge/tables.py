"""Read a CSV or XLSX table with a header row into stripped strings keyed by canonical column.

Shared by the roster and catalogue imports. Excel in China often writes GB18030 CSV, so UTF-8
(with or without BOM) is tried first, then GB18030.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import texts

MAX_FILE_BYTES = 5 * 1024 * 1024


class TableFileError(Exception):
    """A file that cannot be imported; `.errors` are Chinese lines naming row and column."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]]  # (row number as Excel shows it, cells)
    headers: dict[str, str] = field(default_factory=dict)  # canonical key -> header as written

    def header_of(self, key: str) -> str:
        return self.headers.get(key, key)


def read_table(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    max_rows: int,
) -> Table:
    """Load `path`, match headers (case-insensitive) to `columns`, check required ones exist."""
    if not path.exists():
        raise TableFileError([texts.FILE_NOT_FOUND.format(path=path)])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TableFileError([texts.FILE_TOO_BIG.format(mb=MAX_FILE_BYTES // (1024 * 1024))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw_rows = _csv_rows(path.read_bytes())
    elif suffix in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
    else:
        raise TableFileError([texts.FILE_BAD_TYPE.format(name=path.name)])
    raw_rows = [r for r in raw_rows if any(cell.strip() for cell in r)]
    if not raw_rows:
        raise TableFileError([texts.FILE_EMPTY])
    header, body = raw_rows[0], raw_rows[1:]
    if len(body) > max_rows:
        raise TableFileError([texts.FILE_TOO_MANY_ROWS.format(limit=max_rows)])
    lookup = {name.lower(): key for key, names in columns.items() for name in names}
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    for position, title in enumerate(header):
        key = lookup.get(title.strip().lower())
        if key and key not in index:
            index[key] = position
            headers[key] = title.strip()
    missing = [columns[key][0] for key in required if key not in index]
    if missing:
        raise TableFileError([texts.FILE_MISSING_COLUMNS.format(columns="、".join(missing))])
    rows = []
    for offset, raw in enumerate(body, start=2):
        cells = {key: (raw[pos].strip() if pos < len(raw) else "") for key, pos in index.items()}
        rows.append((offset, cells))
    return Table(rows=rows, headers=headers)


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise TableFileError([texts.FILE_NOT_TABLE])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableFileError([texts.FILE_BAD_ENCODING])
    try:
        return list(csv.reader(io.StringIO(decoded)))
    except csv.Error as exc:
        raise TableFileError([texts.FILE_NOT_TABLE + f"（{exc}）"]) from exc


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # imported here: only imports need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableFileError([texts.FILE_NOT_TABLE]) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A cell as stripped text; xlsx numbers like 12.0 become '12', dates 'YYYY-MM-DD'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
