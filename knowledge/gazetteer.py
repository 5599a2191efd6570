"""The place names geo.py and places.py match against, read from knowledge/data/*.csv.

Streets, zones and spellings come from knowledge/streets.py (the one source); this module adds
the communities. Only the 8 streets of the scheme count: the 清濛经济开发区 row and its virtual
community are not enforcement streets and are left out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from knowledge.streets import STREETS, normalize_street, zone_of

DATA_DIR = Path(__file__).resolve().parent / "data"

ZHONGSHAN_AREA = "中山路商圈"
ZHONGSHAN_ZONE = "老城区"


@dataclass(frozen=True, slots=True)
class Street:
    name: str  # 海滨街道
    short_name: str  # 海滨
    zone: str  # 老城区 / 江南新区


@dataclass(frozen=True, slots=True)
class Community:
    name: str  # 金山社区居委会
    short_name: str  # 金山社区
    street: str  # 海滨街道

    @property
    def core(self) -> str:
        """The bare place name people type (金山), without 社区."""
        return self.short_name.removesuffix("社区")


@cache
def streets() -> tuple[Street, ...]:
    """The 8 enforcement streets in file order (knowledge.streets is the one source)."""
    return tuple(Street(name, name.removesuffix("街道"), zone_of(name) or "") for name in STREETS)


def street_names() -> tuple[str, ...]:
    return STREETS


@cache
def communities() -> tuple[Community, ...]:
    """Communities of the 8 streets (81 of the 82 rows: the development zone's is skipped)."""
    known = set(street_names())
    with (DATA_DIR / "communities.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Community(row["name"].strip(), row["short_name"].strip(), row["street"].strip())
        for row in rows
        if row["street"].strip() in known
    )


def zone_of_street(street: str) -> str:
    zone = zone_of(street)
    if zone is None:
        raise KeyError(street)
    return zone


def full_street_name(text: str) -> str | None:
    """海滨 / 海滨街道 / 海滨街道办事处 → 海滨街道; anything else → None."""
    return normalize_street(text)
