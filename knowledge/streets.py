"""The 8 streets and 2 zones of the joint-enforcement scheme (泉鲤政办〔2024〕25号).

Why a module: the street named in a query or a roster row decides who enforces, so every
spelling officers use (浮桥 / 浮桥街道 / fuqiao) must land on one canonical name.
清濛经济开发区 is in streets.csv but outside the scheme, so it is kept out of STREETS.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from pypinyin import lazy_pinyin

_STREETS_CSV = Path(__file__).parent / "data" / "streets.csv"


def _read_scheme_streets(path: Path) -> dict[str, str]:
    """Full street name -> zone, for rows the scheme covers (those with a zone)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["name"]: row["zone"] for row in csv.DictReader(handle) if row["zone"].strip()}


_STREET_ZONE: dict[str, str] = _read_scheme_streets(_STREETS_CSV)

STREETS: tuple[str, ...] = tuple(_STREET_ZONE)
ZONES: dict[str, list[str]] = {}
for _street, _zone in _STREET_ZONE.items():
    ZONES.setdefault(_zone, []).append(_street)

SPECIAL_AREAS: dict[str, str] = {"中山路商圈": "老城区"}

STREET_SUFFIX = "街道"


def _short(street: str) -> str:
    return street.removesuffix(STREET_SUFFIX)


def _build_spellings() -> dict[str, str]:
    """Every accepted spelling (normalised) -> full street name."""
    spellings: dict[str, str] = {}
    for street in STREETS:
        short = _short(street)
        pinyin = "".join(lazy_pinyin(short))
        for spelling in (street, short, street + "办事处", pinyin, pinyin + "jiedao"):
            spellings[spelling.lower()] = street
    return spellings


_SPELLINGS = _build_spellings()


def normalize_street(text: str) -> str | None:
    """Canonical street name for '浮桥', '浮桥街道', 'fuqiao', 'Fu Qiao'; None if not one of the 8."""
    cleaned = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    return _SPELLINGS.get(cleaned)


def zone_of(street: str) -> str | None:
    """Zone of a street in any accepted spelling; None for streets outside the scheme."""
    canonical = normalize_street(street)
    return _STREET_ZONE.get(canonical) if canonical else None


def street_spellings() -> dict[str, str]:
    """Accepted spellings -> full name, for finding a street inside free text (longest first)."""
    return dict(sorted(_SPELLINGS.items(), key=lambda pair: -len(pair[0])))
