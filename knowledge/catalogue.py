"""The catalogue of enforcement items: the model, the "who enforces here" rule, and file loading.

Why here and pure: the rule (interface.md, 《鲤城区街道片区联合执法工作方案》) must give the same
answer in the chat, in a case lead and in an export, so it lives in one place with no I/O
beyond reading the file an admin hands in. Database tables and chat handlers build on this.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, TypeVar

import texts
from knowledge.streets import STREETS, normalize_street
from knowledge.tables import cell_text


class ItemClass(StrEnum):
    """The three classes of the scheme; each has a lead coordinating department."""

    EMERGENCY = "应急管理"
    MARKET = "市场监管"
    COMPREHENSIVE = "综合执法"


class ItemStatus(StrEnum):
    """The only three status words a card may show (interface.md)."""

    DELEGATED = "已赋权"
    NOT_DELEGATED = "未赋权"
    WITHDRAWN = "已收回"


LEAD_DEPARTMENT: dict[ItemClass, str] = {
    ItemClass.EMERGENCY: "区应急管理局",
    ItemClass.MARKET: "区市场监督管理局",
    ItemClass.COMPREHENSIVE: "区城市管理和综合执法局",
}

_EnumT = TypeVar("_EnumT", bound=Enum)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DATA_ROWS = 5000


@dataclass(frozen=True)
class CatalogueItem:
    """One enforcement item as published; `status_at` turns it into an answer for a street and day."""

    code: str
    name: str
    item_class: ItemClass
    department: str
    legal_basis: str
    scope: frozenset[str]
    status: ItemStatus
    effective_from: date
    withdrawn_on: date | None = None
    aliases: tuple[str, ...] = ()
    is_sample: bool = False

    @property
    def lead_department(self) -> str:
        return LEAD_DEPARTMENT[self.item_class]


def status_at(item: CatalogueItem, street: str, on: date) -> ItemStatus:
    """The item's status for a street on a day: the dates refine the published status.

    Before 生效日期 nothing is delegated; from 收回日期 on (or when published as 已收回 without a
    date) it is withdrawn; otherwise it is delegated only to the streets in its scope.
    """
    if on < item.effective_from:
        return ItemStatus.NOT_DELEGATED
    if item.withdrawn_on is not None and on >= item.withdrawn_on:
        return ItemStatus.WITHDRAWN
    if item.status is ItemStatus.WITHDRAWN and item.withdrawn_on is None:
        return ItemStatus.WITHDRAWN
    if item.status is ItemStatus.NOT_DELEGATED:
        return ItemStatus.NOT_DELEGATED
    canonical = normalize_street(street) or street
    return ItemStatus.DELEGATED if canonical in item.scope else ItemStatus.NOT_DELEGATED


def enforcing_subject(item: CatalogueItem, street: str, on: date) -> str:
    """Whose name the case is enforced in: the street office if delegated, else the department."""
    if status_at(item, street, on) is ItemStatus.DELEGATED:
        canonical = normalize_street(street) or street
        return canonical + texts.STREET_OFFICE_SUFFIX
    return item.department


# ---------------------------------------------------------------- file loading


@dataclass(frozen=True)
class _Column:
    key: str
    chinese: str
    english: str
    required: bool


_COLUMNS: tuple[_Column, ...] = (
    _Column("code", "编号", "code", True),
    _Column("name", "事项名称", "name", True),
    _Column("item_class", "类别", "class", True),
    _Column("department", "原行使部门", "department", True),
    _Column("legal_basis", "执法依据", "legal_basis", True),
    _Column("scope", "赋权范围", "scope", True),
    _Column("status", "状态", "status", True),
    _Column("effective_from", "生效日期", "effective_from", True),
    _Column("withdrawn_on", "收回日期", "withdrawn_on", False),
    _Column("aliases", "别名", "aliases", False),
)
_COLUMN_BY_KEY = {column.key: column for column in _COLUMNS}
_MAX_CHARS = {"code": 64, "name": 500, "department": 100, "legal_basis": 4000, "aliases": 2000}  # db/migrations 0002
_REQUIRED_CELLS = ("code", "name", "item_class", "department", "status", "effective_from")
_SCOPE_SEPARATORS = "、,，;；/ "
_ALIAS_SEPARATORS = ";；"


class CatalogueFileError(Exception):
    """A catalogue file that must not be imported; `.errors` are Chinese, one per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: list[str] = list(errors)
        super().__init__(self.summary())

    def summary(self, limit: int = 20) -> str:
        """The heading plus the first `limit` errors, for a CLI or a chat message."""
        lines = [texts.CATALOGUE_FILE_REJECTED.format(count=len(self.errors))]
        lines.extend(self.errors[:limit])
        if len(self.errors) > limit:
            lines.append(texts.CATALOGUE_MORE_ERRORS.format(count=len(self.errors) - limit))
        return "\n".join(lines)


def load_catalogue_file(path: Path, *, is_sample: bool = False) -> list[CatalogueItem]:
    """Read a .csv or .xlsx catalogue; all or nothing, raising CatalogueFileError with every problem."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CatalogueFileError([texts.CATALOGUE_UNSUPPORTED_TYPE.format(suffix=path.suffix or path.name)])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CatalogueFileError(
            [texts.CATALOGUE_TOO_BIG.format(size_mb=size / 1024 / 1024, limit_mb=MAX_FILE_BYTES // 1024 // 1024)]
        )
    if size == 0:
        raise CatalogueFileError([texts.CATALOGUE_EMPTY_FILE])
    rows = _read_csv_rows(path) if suffix == ".csv" else _read_xlsx_rows(path)
    return _parse_rows(rows, is_sample=is_sample)


def _read_csv_rows(path: Path) -> list[list[Any]]:
    """Rows of a CSV as written by Excel in China: UTF-8 (BOM or not), else GB18030."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise CatalogueFileError([texts.CATALOGUE_NOT_A_TABLE.format(reason="无法识别的文字编码")])
    if "\x00" in text:
        raise CatalogueFileError([texts.CATALOGUE_NOT_A_TABLE.format(reason="文件含有二进制内容")])
    try:
        return _limited(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CatalogueFileError([texts.CATALOGUE_NOT_A_TABLE.format(reason=str(error))]) from error


def _read_xlsx_rows(path: Path) -> list[list[Any]]:
    """Rows of the first sheet of an .xlsx workbook, values only, streamed (see tables.xlsx_rows:
    a declared dimension of A1:XFD1048576 is ignored); blank rows keep Excel's row numbers."""
    from contextlib import closing

    from knowledge.tables import TableFileError, xlsx_rows

    rows: list[list[Any]] = []
    try:
        with closing(xlsx_rows(path)) as numbered:
            for number, values in numbered:
                if number > MAX_DATA_ROWS + 1:
                    raise CatalogueFileError([texts.CATALOGUE_TOO_MANY_ROWS.format(limit=MAX_DATA_ROWS)])
                rows.extend([] for _ in range(number - 1 - len(rows)))
                rows.append(list(values))
    except TableFileError as error:
        reason = error.errors[0] if error.errors else "不是有效的 .xlsx 文件"
        raise CatalogueFileError([texts.CATALOGUE_NOT_A_TABLE.format(reason=reason)]) from error
    return rows


def _limited(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """Materialise rows, refusing once a non-empty row lies past the row limit (plus header).

    Blank rows are held back as a count and only written out before a later non-empty row, so
    a file of a million empty lines never becomes a million lists."""
    collected: list[list[Any]] = []
    blanks = 0
    for row in rows:
        if not any(cell_text(value) for value in row):
            blanks += 1
            continue
        if len(collected) + blanks + 1 > MAX_DATA_ROWS + 1:
            raise CatalogueFileError([texts.CATALOGUE_TOO_MANY_ROWS.format(limit=MAX_DATA_ROWS)])
        collected.extend([] for _ in range(blanks))
        blanks = 0
        collected.append(row)
    return collected


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _header_key(text: str) -> str | None:
    cleaned = "".join(_nfkc(text).split()).lower().replace("-", "_")
    for column in _COLUMNS:
        if cleaned in (column.chinese, column.english):
            return column.key
    return None


def _parse_header(header: list[Any]) -> dict[str, int]:
    """Column key -> index; refuses missing or repeated columns."""
    positions: dict[str, int] = {}
    errors: list[str] = []
    for index, value in enumerate(header):
        key = _header_key(cell_text(value))
        if key is None:
            continue
        if key in positions:
            errors.append(texts.CATALOGUE_DUPLICATE_COLUMN.format(column=_COLUMN_BY_KEY[key].chinese))
        positions[key] = index
    if not positions:
        raise CatalogueFileError(
            [texts.CATALOGUE_NOT_A_TABLE.format(reason="第 1 行没有任何可识别的列名，如 编号、事项名称")]
        )
    for column in _COLUMNS:
        if column.required and column.key not in positions:
            errors.append(texts.CATALOGUE_MISSING_COLUMN.format(column=column.chinese))
    if errors:
        raise CatalogueFileError(errors)
    return positions


def _parse_rows(rows: list[list[Any]], *, is_sample: bool) -> list[CatalogueItem]:
    if not rows or not any(cell_text(value) for value in rows[0]):
        if any(any(cell_text(value) for value in row) for row in rows):
            raise CatalogueFileError([texts.CATALOGUE_NOT_A_TABLE.format(reason="第 1 行应为表头，但它是空的")])
        raise CatalogueFileError([texts.CATALOGUE_EMPTY_FILE])
    positions = _parse_header(rows[0])
    items: list[CatalogueItem] = []
    errors: list[str] = []
    first_row_of_code: dict[str, int] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        cells = {key: cell_text(row[index]) if index < len(row) else "" for key, index in positions.items()}
        if not any(cells.values()):
            continue
        row_errors: list[str] = []
        item = _parse_item(cells, row_number, row_errors, is_sample=is_sample)
        code = cells.get("code", "")
        if code:
            if code in first_row_of_code:
                row_errors.append(
                    texts.CATALOGUE_DUPLICATE_CODE.format(
                        row=row_number, column="编号", value=code, first_row=first_row_of_code[code]
                    )
                )
            else:
                first_row_of_code[code] = row_number
        errors.extend(row_errors)
        if item is not None and not row_errors:
            items.append(item)
    if errors:
        raise CatalogueFileError(errors)
    if not items:
        raise CatalogueFileError([texts.CATALOGUE_NO_ITEMS])
    return items


def _parse_item(cells: dict[str, str], row: int, errors: list[str], *, is_sample: bool) -> CatalogueItem | None:
    """One data row to an item, appending every problem found to `errors`."""
    for key in _REQUIRED_CELLS:
        if not cells.get(key):
            errors.append(texts.CATALOGUE_EMPTY_CELL.format(row=row, column=_COLUMN_BY_KEY[key].chinese))
    for key, limit in _MAX_CHARS.items():  # the database's column sizes: named here, not a failed write
        if len(cells.get(key, "")) > limit:
            errors.append(texts.CATALOGUE_TOO_LONG.format(row=row, column=_COLUMN_BY_KEY[key].chinese, limit=limit))
    item_class = _parse_choice(cells.get("item_class", ""), ItemClass, row, "类别", errors)
    status = _parse_choice(cells.get("status", ""), ItemStatus, row, "状态", errors)
    effective_from = _parse_date(cells.get("effective_from", ""), row, "生效日期", errors)
    withdrawn_on = _parse_date(cells.get("withdrawn_on", ""), row, "收回日期", errors)
    known_errors = len(errors)
    scope = _parse_scope(cells.get("scope", ""), row, errors)
    if status is ItemStatus.DELEGATED and not scope and len(errors) == known_errors:  # empty, or only 、
        errors.append(texts.CATALOGUE_SCOPE_REQUIRED.format(row=row, column="赋权范围"))
    if effective_from and withdrawn_on and withdrawn_on < effective_from:
        errors.append(
            texts.CATALOGUE_WITHDRAWN_BEFORE_EFFECTIVE.format(
                row=row, column="收回日期", withdrawn_on=withdrawn_on, effective_from=effective_from
            )
        )
    if errors or item_class is None or status is None or effective_from is None:
        return None
    return CatalogueItem(
        code=cells["code"],
        name=cells["name"],
        item_class=item_class,
        department=cells["department"],
        legal_basis=cells.get("legal_basis", ""),
        scope=scope,
        status=status,
        effective_from=effective_from,
        withdrawn_on=withdrawn_on,
        aliases=_split(cells.get("aliases", ""), _ALIAS_SEPARATORS),
        is_sample=is_sample,
    )


def _parse_choice(value: str, enum: type[_EnumT], row: int, column: str, errors: list[str]) -> _EnumT | None:
    if not value:
        return None
    try:
        return enum("".join(_nfkc(value).split()))
    except ValueError:
        choices = "/".join(member.value for member in enum)
        errors.append(texts.CATALOGUE_BAD_CHOICE.format(row=row, column=column, value=value, choices=choices))
        return None


def _parse_date(value: str, row: int, column: str, errors: list[str]) -> date | None:
    """YYYY-MM-DD; also YYYY/M/D and YYYY.M.D, which Excel in China writes when re-saving a CSV."""
    if not value:
        return None
    text = _nfkc(value).split(" ")[0].replace("/", "-").replace(".", "-")
    parts = text.split("-")
    try:
        if len(parts) != 3 or len(parts[0]) != 4:
            raise ValueError(value)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        errors.append(texts.CATALOGUE_BAD_DATE.format(row=row, column=column, value=value))
        return None


def _parse_scope(value: str, row: int, errors: list[str]) -> frozenset[str]:
    """'全部街道' or street names in any accepted spelling -> full street names."""
    names = _split(_nfkc(value), _SCOPE_SEPARATORS)
    if texts.ALL_STREETS in names:
        return frozenset(STREETS)
    streets: set[str] = set()
    for name in names:
        canonical = normalize_street(name)
        if canonical is None:
            errors.append(texts.CATALOGUE_BAD_STREET.format(row=row, column="赋权范围", value=name))
        else:
            streets.add(canonical)
    return frozenset(streets)


def _split(value: str, separators: str) -> tuple[str, ...]:
    for separator in separators[1:]:
        value = value.replace(separator, separators[0])
    return tuple(part.strip() for part in value.split(separators[0]) if part.strip())


# ---------------------------------------------------------------- import preview


@dataclass(frozen=True)
class CatalogueDiff:
    """What an import would change, by item name, for the admin's preview."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _is_withdrawn(item: CatalogueItem) -> bool:
    return item.status is ItemStatus.WITHDRAWN


def diff_catalogues(old: Sequence[CatalogueItem], new: Sequence[CatalogueItem]) -> CatalogueDiff:
    """Compare by code: withdrawn = now 已收回 (was not) or missing from the new file; is_sample ignored."""
    old_by_code = {item.code: item for item in old}
    new_codes = {item.code for item in new}
    diff = CatalogueDiff()
    for item in new:
        before = old_by_code.get(item.code)
        if before is None:
            diff.added.append(item.name)
        elif _is_withdrawn(item) and not _is_withdrawn(before):
            diff.withdrawn.append(item.name)
        elif _comparable(before) != _comparable(item):
            diff.changed.append(item.name)
        else:
            diff.unchanged.append(item.name)
    diff.withdrawn.extend(item.name for item in old if item.code not in new_codes)
    return diff


def _comparable(item: CatalogueItem) -> tuple[Any, ...]:
    return (
        item.name,
        item.item_class,
        item.department,
        item.legal_basis,
        item.scope,
        item.status,
        item.effective_from,
        item.withdrawn_on,
        item.aliases,
    )


def iter_rows_for_export(items: Iterable[CatalogueItem]) -> Iterator[dict[str, str]]:
    """Items as rows with the Chinese headers of interface.md, for writing a catalogue back out."""
    for item in items:
        scope = (
            texts.ALL_STREETS
            if item.scope == frozenset(STREETS)
            else "、".join(street for street in STREETS if street in item.scope)
        )
        yield {
            "编号": item.code,
            "事项名称": item.name,
            "类别": item.item_class.value,
            "原行使部门": item.department,
            "执法依据": item.legal_basis,
            "赋权范围": scope,
            "状态": item.status.value,
            "生效日期": item.effective_from.isoformat(),
            "收回日期": item.withdrawn_on.isoformat() if item.withdrawn_on else "",
            "别名": "；".join(item.aliases),
        }
