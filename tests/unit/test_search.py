"""Search behaviour beyond the quality set: odd input, streets, filler words, ordering."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.search import MAX_QUERY_CHARS, SearchIndex, name_keywords, normalize, parse_query
from knowledge.streets import STREETS


def make_item(code: str, name: str, aliases: tuple[str, ...] = ()) -> CatalogueItem:
    return CatalogueItem(
        code=code,
        name=name,
        item_class=ItemClass.COMPREHENSIVE,
        department="区城市管理和综合执法局",
        legal_basis="《城市市容和环境卫生管理条例》第三十六条",
        scope=frozenset(STREETS),
        status=ItemStatus.DELEGATED,
        effective_from=date(2024, 11, 1),
        aliases=aliases,
    )


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(
        [
            make_item("A1", "对擅自占用城市道路从事经营活动的处罚", ("占道经营", "摆摊")),
            make_item("A2", "对擅自设置大型户外广告影响市容的处罚", ("户外广告", "广告牌")),
            make_item("A3", "对大型户外广告的处罚", ("广告牌",)),
            make_item("A4", "对随意倾倒生活垃圾的处罚", ("乱倒垃圾",)),
        ]
    )


def test_normalize_drops_width_case_spaces_and_punctuation() -> None:
    assert normalize("  ＺＨＡＮ dao，经营！") == "zhandao经营"


def test_name_keywords_strip_the_official_boilerplate() -> None:
    assert name_keywords("对擅自占用城市道路从事经营活动的处罚") == "擅自占用城市道路从事经营活动"


@pytest.mark.parametrize(
    ("raw", "street", "text"),
    [
        ("浮桥这边占道经营归谁管", "浮桥街道", "占道经营"),
        ("浮桥街道办事处 摆摊 是否赋权？", "浮桥街道", "摆摊"),
        ("江南街道能不能管摆摊呢", "江南街道", "摆摊"),
        ("fuqiao zhandao", "浮桥街道", "zhandao"),
        ("占道经营怎么处罚", None, "占道经营"),
    ],
)
def test_parse_query_finds_the_street_and_drops_filler(raw: str, street: str | None, text: str) -> None:
    parsed = parse_query(raw)
    assert (parsed.street, parsed.text) == (street, text)


def test_a_query_of_only_filler_words_asks_nothing(index: SearchIndex) -> None:
    assert parse_query("请问这个归谁管？").text == ""
    assert not index.search("请问这个归谁管？").found


def test_special_area_is_reported_and_removed() -> None:
    parsed = parse_query("中山路商圈占道经营")
    assert (parsed.area, parsed.text, parsed.street) == ("中山路商圈", "占道经营", None)


def test_empty_query_is_not_found_without_error(index: SearchIndex) -> None:
    for query in ("", "   ", "？！", "浮桥"):
        result = index.search(query)
        assert not result.found and result.hits == []
    assert index.search("浮桥").street == "浮桥街道"


def test_absurdly_long_query_is_capped(index: SearchIndex) -> None:
    result = index.search("占道经营" + "啊" * 100_000)
    assert len(result.query) <= MAX_QUERY_CHARS
    assert result.best is not None and result.best.item.code == "A1"


def test_unknown_topic_is_not_found_but_offers_nearest(index: SearchIndex) -> None:
    result = index.search("离婚登记")
    assert not result.found and not result.confident
    assert result.hits == []
    assert 0 < len(result.nearest) <= 5


def test_limit_caps_hits(index: SearchIndex) -> None:
    assert len(index.search("处罚", limit=2).nearest) == 2


def test_exact_alias_is_confident(index: SearchIndex) -> None:
    result = index.search("乱倒垃圾")
    assert result.confident and result.best is not None and result.best.item.code == "A4"


def test_ties_prefer_the_shorter_name_and_are_not_confident(index: SearchIndex) -> None:
    result = index.search("广告牌")
    assert result.hits[0].score == result.hits[1].score
    assert [hit.item.code for hit in result.hits[:2]] == ["A3", "A2"]
    assert not result.confident


def test_exact_alias_beats_a_name_that_merely_contains_the_query(index: SearchIndex) -> None:
    assert index.search("户外广告").best.item.code == "A2"  # type: ignore[union-attr]


def test_item_code_finds_the_item(index: SearchIndex) -> None:
    assert index.search("a2").best.item.code == "A2"  # type: ignore[union-attr]


def test_empty_catalogue_answers_not_found() -> None:
    assert not SearchIndex([]).search("占道经营").found


def test_hits_are_the_very_item_objects_given_to_the_index() -> None:
    """Handlers map hits back to their catalogue rows by identity."""
    items = [make_item("B1", "对随意倾倒生活垃圾的处罚", ("乱倒垃圾",))]
    result = SearchIndex(items).search("乱倒垃圾")
    assert result.best is not None and result.best.item is items[0]


def test_filler_words_stay_inside_thesaurus_words() -> None:
    """吧, 了 and 个 are fillers alone, but not inside 网吧, 出了事 or 个体户 (they used to be cut out)."""
    keep = ("网吧", "出了事", "个体户")
    assert parse_query("网吧接纳未成年人吗", keep).text == "网吧接纳无成年人"
    assert parse_query("个体户无照经营", keep).text == "个体户无照经营"
    assert parse_query("这个出了事吧", keep).text == "出了事"
    assert parse_query("网吧接纳未成年人吗").text == "网接纳无成年人"  # without the word list, as before


def test_a_thesaurus_word_holding_a_filler_reaches_the_item() -> None:
    cafe = make_item("W1", "对互联网上网服务营业场所接纳未成年人进入的处罚")
    other = make_item("W2", "对擅自占用城市道路从事经营活动的处罚")
    index = SearchIndex([cafe, other])
    assert "网吧" in index._kept_words
    result = index.search("黑网吧")
    assert result.level != "none" and result.hits[0].item.code == "W1"
