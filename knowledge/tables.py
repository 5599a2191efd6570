"""Read a CSV or XLSX table with a header row into stripped strings keyed by canonical column.

Shared by the roster and catalogue imports. Excel in China often writes GB18030 CSV, so UTF-8
(with or without BOM) is tried first, then GB18030.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import texts

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 40 * 1024 * 1024  # an honest 5 MB workbook unpacks to far less
MAX_COLUMNS = 64  # our widest table has 10 columns; further ones are padding
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MAX_CELLS = 300_000  # 5 000 rows of our widest table are about 60 000 cells


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
    """Load `path`, match headers (case-insensitive) to `columns`, check required ones exist.

    Rows are streamed and empty ones skipped; more than `max_rows` data rows stops the read at
    once. Row numbers are the file's own (Excel's row, the CSV record), blank rows included.
    """
    if not path.exists():
        raise TableFileError([texts.FILE_NOT_FOUND.format(path=path)])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TableFileError([texts.FILE_TOO_BIG.format(mb=MAX_FILE_BYTES // (1024 * 1024))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        numbered = _csv_rows(path.read_bytes())
    elif suffix in (".xlsx", ".xlsm"):
        numbered = _xlsx_rows(path)
    else:
        raise TableFileError([texts.FILE_BAD_TYPE.format(name=path.name)])
    raw_rows: list[tuple[int, list[str]]] = []
    with closing(numbered):
        for number, cells in numbered:
            raw_rows.append((number, cells))
            if len(raw_rows) > max_rows + 1:  # the header plus max_rows
                raise TableFileError([texts.FILE_TOO_MANY_ROWS.format(limit=max_rows)])
    if not raw_rows:
        raise TableFileError([texts.FILE_EMPTY])
    header, body = raw_rows[0][1], raw_rows[1:]
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
    for number, raw in body:
        cells = {key: (raw[pos].strip() if pos < len(raw) else "") for key, pos in index.items()}
        rows.append((number, cells))
    return Table(rows=rows, headers=headers)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) of each non-empty CSV record, at most MAX_COLUMNS cells wide."""
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
    return _csv_records(decoded)


def _csv_records(decoded: str) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, record in enumerate(csv.reader(io.StringIO(decoded)), start=1):
            cells = [cell.strip() for cell in record[:MAX_COLUMNS]]
            if any(cells):
                yield number, cells
    except csv.Error as exc:
        raise TableFileError([texts.FILE_NOT_TABLE + f"（{exc}）"]) from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with closing(xlsx_rows(path)) as rows:
        for number, values in rows:
            yield number, [cell_text(value) for value in values]


def xlsx_rows(path: Path, *, max_columns: int = MAX_COLUMNS) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(Excel row number, raw values) of each non-empty row of the first sheet, streamed.

    Why not simply iter_rows: openpyxl trusts the sheet's declared dimension, and a 5 KB file
    declaring A1:XFD1048576 makes it pad every row to 16 384 cells and emit a million rows. Here
    the declared dimension is dropped, columns past `max_columns` are ignored, rows missing from
    the file cost one identity check each, and the unpacked size is checked before parsing.
    Callers stop reading at their row cap.
    """
    from openpyxl import load_workbook  # imported here: only imports need it

    _check_unpacked_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableFileError([texts.FILE_NOT_TABLE]) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read-only sheets have it
        blank: object = None
        rows = sheet.iter_rows(max_col=max_columns, values_only=True)
        for number, values in enumerate(rows, start=1):
            if number > EXCEL_MAX_ROWS:
                raise TableFileError([texts.FILE_NOT_TABLE])  # no real workbook goes past Excel's last row
            if values is blank:
                continue  # openpyxl hands out one shared tuple for every row missing from the file
            if not any(value is not None and (not isinstance(value, str) or value.strip()) for value in values):
                blank = values
                continue
            yield number, values
    except TableFileError:
        raise
    except Exception as exc:  # broken XML inside the archive
        raise TableFileError([texts.FILE_NOT_TABLE]) from exc
    finally:
        workbook.close()


def _check_unpacked_size(path: Path) -> None:
    """Refuse zip bombs before openpyxl inflates anything (sizes come from the zip directory,
    and Python's zipfile never inflates an entry past its declared size), then over-wide sheets;
    the archive is opened once for both."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise TableFileError([texts.FILE_UNPACKED_TOO_BIG.format(mb=MAX_UNPACKED_BYTES // (1024 * 1024))])
            _check_row_widths(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableFileError([texts.FILE_NOT_TABLE]) from exc


def _check_row_widths(archive: zipfile.ZipFile) -> None:
    """Refuse a sheet with a row of more cells than Excel has columns, or more than MAX_CELLS
    cells (or shared strings) in all, before openpyxl reads it.

    Why: openpyxl builds a whole row (every cell element and a dict per cell) before our column
    cap applies, so a 100 KB upload holding one row of two million cells took 10 s of CPU and
    1 GB of memory; 2.3 million one-letter shared strings in 100 KB took 26 s of CPU (read
    twice by a chat upload). Every part is scanned (the workbook may name its parts anything):
    shared strings are counted as bytes (an XML parse of 300 000 of them cost 1.7 s), and a part
    holding sheet data is streamed with the C parser, freeing rows as it goes."""
    from xml.etree.ElementTree import ParseError

    for info in archive.infolist():
        if info.is_dir():
            continue
        shared, has_sheet = _scan_part(archive, info.filename)
        if shared > MAX_CELLS:
            raise TableFileError([texts.FILE_NOT_TABLE])
        if not has_sheet:
            continue
        try:
            _count_cells(archive, info.filename)
        except ParseError as exc:
            if info.filename.lower().endswith((".xml", ".rels")):
                raise TableFileError([texts.FILE_NOT_TABLE]) from exc
            # not XML (an embedded picture that happens to hold the bytes): openpyxl skips it too


# <si>, <si/>, <si\n> and a namespace-prefixed <x:si ...>: every way XML lets the tag open
_SHARED_STRING_TAG = re.compile(rb"[<:]si[\s/>]")


_SHEET_DATA = b"sheetData"
_OVERLAP = len(_SHEET_DATA) - 1  # bytes carried into the next chunk, so no tag is lost at a chunk border


def _scan_part(archive: zipfile.ZipFile, name: str, chunk_size: int = 1 << 20) -> tuple[int, bool]:
    """Shared-string elements in a part, and whether it holds sheet data; one streamed pass."""
    shared = 0
    has_sheet = False
    tail = b""
    with archive.open(name) as stream:
        while chunk := stream.read(chunk_size):
            if not tail and _not_ascii_compatible(chunk):
                return 0, True  # UTF-16 or UTF-32 XML: the bytes say nothing, the XML parser counts it all
            window = tail + chunk
            # tags wholly inside the carried tail were counted with the previous chunk
            shared += _count(_SHARED_STRING_TAG, window) - _count(_SHARED_STRING_TAG, tail)
            has_sheet = has_sheet or _SHEET_DATA in window
            tail = window[-_OVERLAP:]
            if shared > MAX_CELLS:
                break
    return shared, has_sheet


def _count(pattern: re.Pattern[bytes], data: bytes) -> int:
    return sum(1 for _ in pattern.finditer(data))


def _not_ascii_compatible(start: bytes) -> bool:
    """An XML part in UTF-16 or UTF-32 (a byte-order mark, or NULs among the first bytes)."""
    return start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start[:64]


def _count_cells(archive: zipfile.ZipFile, name: str) -> None:
    from xml.etree.ElementTree import iterparse

    with archive.open(name) as stream:
        parent = None
        cells = total = 0
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "sheetData":
                    parent = element
                elif tag == "row":
                    cells = 0
                elif (tag == "c" and parent is not None) or tag == "si":  # si: in a part the bytes could not read
                    cells += tag == "c"
                    total += 1
                    if cells > EXCEL_MAX_COLUMNS or total > MAX_CELLS:
                        raise TableFileError([texts.FILE_NOT_TABLE])
            elif tag == "row" and parent is not None:
                parent.clear()  # the finished row and its cells
            elif tag == "si":
                element.clear()


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
