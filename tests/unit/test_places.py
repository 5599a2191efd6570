"""knowledge/places.py: typed addresses → community / street / 中山路商圈."""

from __future__ import annotations

import pytest

from knowledge.gazetteer import communities, street_names
from knowledge.places import PlaceMatch, match_place


def _best(text: str) -> PlaceMatch:
    matches = match_place(text)
    assert matches, f"no match for {text!r}"
    return matches[0]


@pytest.mark.parametrize(
    ("text", "name", "street"),
    [
        # written out
        ("金山社区", "金山社区", "海滨街道"),
        ("金山社区居委会", "金山社区", "海滨街道"),
        ("金山", "金山社区", "海滨街道"),
        ("金山社区附近", "金山社区", "海滨街道"),
        ("在金山社区门口", "金山社区", "海滨街道"),
        ("我在金山社区附近发现占道经营，请尽快处理", "金山社区", "海滨街道"),
        ("泉州市鲤城区常泰街道上村社区", "常泰街道", "常泰街道"),
        ("上村", "上村社区", "常泰街道"),
        ("东门社区旁边", "东门社区", "鲤中街道"),
        ("路边社区", "路边社区", "常泰街道"),
        ("海滨", "海滨街道", "海滨街道"),
        ("鲤中街道", "鲤中街道", "鲤中街道"),
        ("金龙", "金龙街道", "金龙街道"),
        ("开元寺附近", "开元街道", "开元街道"),
        # full-width, spaces, punctuation
        ("  金 山 社 区 ！", "金山社区", "海滨街道"),
        # pinyin typed on a Latin keyboard
        ("jinshan", "金山社区", "海滨街道"),
        ("JinShan", "金山社区", "海滨街道"),
        ("jin shan she qu", "金山社区", "海滨街道"),
        ("ｊｉｎｓｈａｎ", "金山社区", "海滨街道"),
        ("haibin", "海滨街道", "海滨街道"),
        ("li zhong", "鲤中街道", "鲤中街道"),
        ("shudou", "树兜社区", "常泰街道"),
        # sound-alike and one-syllable typos
        ("金删社区", "金山社区", "海滨街道"),
        ("金珊", "金山社区", "海滨街道"),
        ("金三社区", "金山社区", "海滨街道"),
        ("jinshna", "金山社区", "海滨街道"),
        ("锦天社区", "锦田社区", "常泰街道"),
        ("百原社区", "百源社区", "鲤中街道"),
        ("海宾街道", "海滨街道", "海滨街道"),
        ("常太", "常泰街道", "常泰街道"),
        ("东路", "东鲁社区", "海滨街道"),
    ],
)
def test_best_match(text: str, name: str, street: str) -> None:
    best = _best(text)
    assert (best.name, best.street) == (name, street)


@pytest.mark.parametrize(
    "text", ["中山路", "中山路商圈", "中山路步行街附近", "zhongshanlu", "中山"]
)
def test_zhongshan_road_is_an_area_of_the_old_town_without_a_street(text: str) -> None:
    best = _best(text)
    assert best.kind == "area"
    assert best.name == "中山路商圈"
    assert best.street is None and best.community is None
    assert best.zone == "老城区"


def test_street_and_community_of_the_same_name_both_offered_street_first() -> None:
    matches = match_place("开元")
    assert [(m.kind, m.name) for m in matches] == [
        ("street", "开元街道"),
        ("community", "开元社区"),
    ]
    assert {m.street for m in matches} == {"开元街道"}


def test_written_name_hides_sound_alikes() -> None:
    # 华星 (常泰) and 华新 (开元) sound alike; typing 华星 must not offer 华新.
    assert [m.name for m in match_place("华星")] == ["华星社区"]


def test_sound_alike_offers_both() -> None:
    names = [m.name for m in match_place("先塘")]
    assert names[0] == "仙塘社区"
    assert "新塘社区" in names


def test_street_and_community_named_together_give_both() -> None:
    matches = match_place("海滨街道金山社区")
    assert {(m.kind, m.name) for m in matches} == {
        ("street", "海滨街道"),
        ("community", "金山社区"),
    }
    assert all(m.score == 100 for m in matches)


def test_match_carries_zone() -> None:
    assert _best("金山").zone == "老城区"
    assert _best("上村").zone == "江南新区"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "！？。",
        "社区",
        "街道",
        "附近",
        "今天天气不错",  # 今天 sounds like 锦田
        "西街",  # a real 泉州 street name, but no community of that name
        "清濛",  # development zone: not one of the 8 streets
        "开发区虚拟社区",
        "liz",
        "一二三四五",
        "a" * 5000,
        "金" * 5000,
        "\x00\n\t",
    ],
)
def test_no_match(text: str) -> None:
    assert match_place(text) == []


def test_every_community_finds_itself_and_its_street() -> None:
    for community in communities():
        best = _best(community.short_name)
        assert (best.community, best.street) == (community.short_name, community.street)


def test_every_street_finds_itself() -> None:
    for street in street_names():
        assert _best(street).street == street
        assert _best(street.removesuffix("街道")).street == street


def test_81_communities_of_the_8_streets() -> None:
    assert len(street_names()) == 8
    assert len(communities()) == 81  # 82 rows minus the development zone's virtual one
    assert {c.street for c in communities()} == set(street_names())


def test_limit_and_order() -> None:
    matches = match_place("开元", limit=1)
    assert len(matches) == 1
    scores = [m.score for m in match_place("先塘")]
    assert scores == sorted(scores, reverse=True)
