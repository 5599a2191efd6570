"""Streets and zones of the scheme, and every spelling officers use for them."""

from __future__ import annotations

import pytest

from knowledge.streets import SPECIAL_AREAS, STREETS, ZONES, normalize_street, zone_of


def test_eight_streets_in_two_zones_without_the_development_zone() -> None:
    assert len(STREETS) == 8
    assert "清濛经济开发区" not in STREETS
    assert ZONES == {
        "老城区": ["海滨街道", "临江街道", "鲤中街道", "开元街道"],
        "江南新区": ["浮桥街道", "江南街道", "金龙街道", "常泰街道"],
    }
    assert SPECIAL_AREAS["中山路商圈"] == "老城区"


@pytest.mark.parametrize(
    "text", ["浮桥", "浮桥街道", "fuqiao", "FuQiao", "fu qiao", " 浮桥街道办事处 ", "ｆｕｑｉａｏ"]
)
def test_spellings_of_one_street(text: str) -> None:
    assert normalize_street(text) == "浮桥街道"


@pytest.mark.parametrize("text", ["", "清濛", "清濛经济开发区", "丰泽街道", "fu", "街道"])
def test_not_a_street_of_the_scheme(text: str) -> None:
    assert normalize_street(text) is None


def test_zone_of_any_spelling() -> None:
    assert zone_of("鲤中") == "老城区"
    assert zone_of("changtai") == "江南新区"
    assert zone_of("清濛经济开发区") is None
