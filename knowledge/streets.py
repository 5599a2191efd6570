"""The 8 streets and 2 zones of the scheme (temporary minimal version; feat/search replaces it)."""

from __future__ import annotations

ZONES: dict[str, tuple[str, ...]] = {
    "老城区": ("开元街道", "鲤中街道", "海滨街道", "临江街道"),
    "江南新区": ("江南街道", "浮桥街道", "金龙街道", "常泰街道"),
}
STREETS: tuple[str, ...] = tuple(s for streets in ZONES.values() for s in streets)
SPECIAL_AREAS = {"中山路商圈": "老城区"}


def zone_of(street: str) -> str | None:
    for zone, streets in ZONES.items():
        if street in streets:
            return zone
    return SPECIAL_AREAS.get(street)


def normalize_street(text: str) -> str | None:
    text = text.strip()
    for street in STREETS:
        if text in (street, street.removesuffix("街道")):
            return street
    return None
