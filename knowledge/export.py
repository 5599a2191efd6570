"""Writing the export for the 闽执法 platform: one sheet per record kind, as .xlsx or CSV.

Why here and not in db/: the writers take plain rows, so the same code serves the CLI, the chat
and the tests. Cells hold text, numbers or None; times are already local strings.

CSV: `--out records.csv` writes one UTF-8 (with BOM, so Excel opens it right) file per sheet
next to it, named `records_<sheet>.csv`; `--out records.zip` puts those files in one zip.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Cell = str | int | float | None
SUFFIXES = (".xlsx", ".csv", ".zip")
_MAX_COLUMN_WIDTH = 60


@dataclass
class Sheet:
    name: str
    columns: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One workbook, one sheet each, header row frozen and bold, widths fitted to the text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.name[:31])
        ws.append(list(sheet.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_safe(value) for value in row])
        ws.freeze_panes = "A2"
        for index, column in enumerate(ws.columns, start=1):
            longest = max((_display_width(c.value) for c in column), default=8)
            ws.column_dimensions[_column_letter(index)].width = min(max(8, longest + 2), _MAX_COLUMN_WIDTH)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(sheet: Sheet) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(sheet.columns)
    for row in sheet.rows:
        writer.writerow(["" if value is None else _safe(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def csv_name(out: Path, sheet: Sheet) -> str:
    return f"{out.stem}_{sheet.name}.csv"


def write(sheets: Sequence[Sheet], out: Path) -> list[Path]:
    """Write to `out` by its suffix; returns the files written."""
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(out.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        out.write_bytes(xlsx_bytes(sheets))
        return [out]
    if suffix == ".zip":
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sheet in sheets:
                archive.writestr(csv_name(out, sheet), csv_bytes(sheet))
        return [out]
    written = []
    for sheet in sheets:
        path = out.with_name(csv_name(out, sheet))
        path.write_bytes(csv_bytes(sheet))
        written.append(path)
    return written


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0 (xlsx) cannot hold


def _safe(value: Cell) -> Cell:
    """Text starting with = + - @ (or a tab / CR before one) would run as a formula in Excel (CSV
    injection): quote it. Control characters are dropped: one in a roster name would otherwise
    make openpyxl refuse the whole workbook, and the export of the period with it."""
    if not isinstance(value, str):
        return value
    value = _CONTROL_CHARACTERS.sub("", value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _display_width(value: object) -> int:
    text = "" if value is None else str(value).split("\n", 1)[0]
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
