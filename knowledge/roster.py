"""Roster files (CSV or XLSX) -> validated rows. All or nothing: any bad cell fails the file."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import texts
from knowledge.streets import ZONES, normalize_street, zone_of
from knowledge.tables import TableFileError, read_table

ROLE_WORDS = {
    "执法人员": "officer", "officer": "officer",
    "协调员": "coordinator", "coordinator": "coordinator",
    "法制审核": "legal", "legal": "legal",
    "管理员": "admin", "admin": "admin",
}
COLUMNS = {  # canonical key -> accepted header names
    "name": ("姓名", "name"),
    "phone": ("手机", "phone"),
    "role": ("角色", "role"),
    "street": ("街道", "street"),
    "zone": ("片区", "zone"),
    "department": ("单位", "department"),
    "certificate_no": ("执法证号", "certificate_no"),
    "certificate_expires": ("执法证有效期", "certificate_expires"),
    "telegram_id": ("telegram_id",),
}
REQUIRED = ("name", "phone", "role")
# What a row can set on a person; a file sets only the fields it has a column for (zone also
# through 街道), so a file without 执法证号 leaves everyone's certificate as it was.
PERSON_FIELDS = frozenset({"name", "role", "street", "zone", "department", "certificate_no", "certificate_expires"})
MAX_ROWS = 5000
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only (\d takes any script's)


@dataclass(frozen=True)
class RosterRow:
    name: str
    phone: str
    role: str
    street: str | None
    zone: str
    department: str | None
    certificate_no: str | None
    certificate_expires: date | None
    telegram_id: int | None
    line: int = field(default=0, compare=False)  # the file's row number, for errors found at write time
    given: frozenset[str] = field(default=PERSON_FIELDS, compare=False)  # fields the file has a column for


def normalize_phone(raw: str) -> str | None:
    """Mainland mobile as 11 digits; '+86', '86', spaces and dashes are ignored."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", str(raw or "")))
    digits = digits.removeprefix("+")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.match(digits) else None


def load_roster_file(path: Path) -> list[RosterRow]:
    """Parse and validate a roster file; raise TableFileError listing every problem."""
    table = read_table(path, COLUMNS, required=REQUIRED, max_rows=MAX_ROWS)
    given = PERSON_FIELDS & (set(table.headers) | ({"zone"} if "street" in table.headers else set()))
    errors: list[str] = []
    rows: list[RosterRow] = []
    seen_phones: dict[str, int] = {}
    seen_tg: dict[int, int] = {}
    for line_no, cells in table.rows:
        def bad(column: str, message: str, line_no: int = line_no) -> None:
            errors.append(texts.FILE_CELL_ERROR.format(row=line_no, column=table.header_of(column), message=message))

        name = cells.get("name", "")
        if not name:
            bad("name", texts.ROSTER_EMPTY)
        phone = normalize_phone(cells.get("phone", ""))
        if phone is None:
            bad("phone", texts.ROSTER_BAD_PHONE.format(value=cells.get("phone", "")))
        elif phone in seen_phones:
            bad("phone", texts.ROSTER_DUP_PHONE.format(other=seen_phones[phone]))
        else:
            seen_phones[phone] = line_no
        role = ROLE_WORDS.get(cells.get("role", "").strip().lower())
        if role is None:
            bad("role", texts.ROSTER_BAD_ROLE.format(value=cells.get("role", "")))
        street_text = cells.get("street", "")
        street = normalize_street(street_text) if street_text else None
        if street_text and street is None:
            bad("street", texts.ROSTER_BAD_STREET.format(value=street_text))
        zone_text = cells.get("zone", "").strip()
        zone = zone_text or (zone_of(street) if street else None)
        if zone_text and zone_text not in ZONES:
            bad("zone", texts.ROSTER_BAD_ZONE.format(value=zone_text))
        elif street and zone_text and zone_of(street) != zone_text:
            bad("zone", texts.ROSTER_ZONE_MISMATCH.format(street=street, zone=zone_text))
        elif not zone:
            bad("zone", texts.ROSTER_NEED_ZONE)
        for key in ("department", "certificate_no"):  # the database's column sizes (Person)
            if len(cells.get(key, "")) > 64:
                bad(key, texts.ROSTER_TOO_LONG.format(limit=64))
        expires = None
        if cells.get("certificate_expires"):
            try:
                expires = date.fromisoformat(cells["certificate_expires"][:10])
            except ValueError:
                bad("certificate_expires", texts.FILE_BAD_DATE.format(value=cells["certificate_expires"]))
        telegram_id = None
        if cells.get("telegram_id"):
            raw_id = cells["telegram_id"].removesuffix(".0")
            if not re.fullmatch(r"[1-9][0-9]{0,18}", raw_id):  # isdigit() took '²' (int() then failed)
                bad("telegram_id", texts.ROSTER_BAD_TG.format(value=cells["telegram_id"]))
            elif int(raw_id) in seen_tg:
                bad("telegram_id", texts.ROSTER_DUP_TG.format(other=seen_tg[int(raw_id)]))
            else:
                telegram_id = int(raw_id)
                seen_tg[telegram_id] = line_no
        if phone and role and zone and name:
            rows.append(
                RosterRow(
                    name=name[:64], phone=phone, role=role, street=street, zone=zone,
                    department=cells.get("department") or None,
                    certificate_no=cells.get("certificate_no") or None,
                    certificate_expires=expires, telegram_id=telegram_id, line=line_no, given=given,
                )
            )
    if errors:
        raise TableFileError(errors)
    if not rows:
        raise TableFileError([texts.FILE_NO_ROWS])
    return rows
