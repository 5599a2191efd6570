"""Issue 12: a catalogue with no aliases still answers field words, scenes, typed pinyin and typos,
and says how sure it is (card / 「可能是以下事项」 / 未找到)."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.evidence import split_pinyin, tokenize
from knowledge.search import SearchIndex, pinyin_syllables
from knowledge.streets import STREETS
from knowledge.thesaurus import DEFAULT_PATH, Entry, load_entries, parse_line


def item(code: str, name: str, basis: str, item_class: ItemClass = ItemClass.COMPREHENSIVE) -> CatalogueItem:
    return CatalogueItem(
        code=code, name=name, item_class=item_class, department="区城市管理和综合执法局", legal_basis=basis,
        scope=frozenset(STREETS), status=ItemStatus.DELEGATED, effective_from=date(2024, 11, 1),
    )


# No aliases at all: the words an officer uses are not in these names.
ITEMS = [
    item("K1", "对擅自占用城市道路从事经营活动的处罚", "《城市道路管理条例》第二十七条"),
    item("K2", "对未按照规定收集、运输、处置餐厨垃圾的处罚", "《城市生活垃圾管理办法》第四十二条"),
    item("K3", "对施工工地未采取有效防尘降尘措施的处罚", "《中华人民共和国大气污染防治法》第六十九条"),
    item("K4", "对燃气用户在不具备安全条件的场所使用、储存燃气的处罚", "《城镇燃气管理条例》第二十八条"),
    item("K5", "对经营无标签的预包装食品的处罚", "《中华人民共和国食品安全法》第六十八条", ItemClass.MARKET),
    item("K6", "对未经设立登记从事经营活动的处罚", "《无证无照经营查处办法》第十三条", ItemClass.MARKET),
    item("K7", "对使用不合格的计量器具或者破坏计量器具准确度的处罚", "《中华人民共和国计量法》", ItemClass.MARKET),
    item("K8", "对擅自设置、变更户外招牌的处罚", "《城市市容和环境卫生管理条例》第十一条"),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(ITEMS)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("路边摆地摊", "K1"),  # 摆地摊 -> 占用道路 经营
        ("饭店泔水乱倒", "K2"),  # 泔水 -> 餐厨垃圾
        ("工地扬尘很大也不洒水", "K3"),  # 工地 -> 施工, 扬尘/洒水 -> 防尘降尘
        ("饭店里放了好几个液化气罐", "K4"),  # 液化气罐 -> 燃气
        ("三无食品", "K5"),  # 三无 -> 无标签
        ("无照经营", "K6"),  # 无照 -> 未取得营业执照 / 设立登记
        ("鬼秤", "K7"),  # slang -> 计量器具
    ],
)
def test_field_words_find_items_without_aliases(index: SearchIndex, query: str, code: str) -> None:
    result = index.search(query)
    assert result.level in ("card", "maybe")
    assert result.hits[0].item.code == code


def test_without_the_thesaurus_the_same_questions_are_lost() -> None:
    """The thesaurus is what carries the field words: with an empty one these are not answered."""
    bare = SearchIndex(ITEMS, thesaurus=[])
    questions = {"饭店泔水乱倒": "K2", "三无食品": "K5", "鬼秤": "K7", "路边摆地摊": "K1"}
    still_right = [q for q, code in questions.items() if (r := bare.search(q)).found and r.hits[0].item.code == code]
    assert len(still_right) <= 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("餐厨laji", "K2"),  # hanzi mixed with pinyin
        ("can chu la ji", "K2"),  # full pinyin with spaces
        ("canchulaji", "K2"),
        ("jiliangqiju", "K7"),
        ("户外找牌", "K8"),  # a same-sound typo
        ("施工公地防尘降尘", "K3"),  # typo inside a longer question
    ],
)
def test_pinyin_mixed_and_typos(index: SearchIndex, query: str, code: str) -> None:
    result = index.search(query)
    assert result.found and result.hits[0].item.code == code


def test_three_levels(index: SearchIndex) -> None:
    exact = index.search("对擅自设置、变更户外招牌的处罚")
    assert exact.level == "card" and exact.confident and exact.hits[0].item.code == "K8"
    vague = index.search("经营")  # in several names: candidates, not a card, not 未找到
    assert vague.level == "maybe" and vague.found and not vague.confident and len(vague.hits) >= 2
    nothing = index.search("离婚手续怎么办理")
    assert nothing.level == "none" and not nothing.found and nothing.hits == [] and nothing.nearest


def test_an_exact_name_with_filler_words_in_it_is_a_card() -> None:
    """事项 and 的 are filler words in questions, but a name typed whole is still that name."""
    index = SearchIndex([item("T1", "对测试事项甲的处罚", "《测试条例》"), *ITEMS])
    result = index.search("对测试事项甲的处罚")
    assert result.level == "card" and result.hits[0].item.code == "T1"


def test_split_pinyin_prefers_fewer_syllables_and_refuses_non_pinyin() -> None:
    assert split_pinyin("canchulaji") == ("can", "chu", "la", "ji")
    assert split_pinyin("youxian") == ("you", "xian")
    assert split_pinyin("cclj") is None


def test_tokenize_gives_hanzi_their_sounds_and_splits_latin() -> None:
    tokens = tokenize("私装disuo", pinyin_syllables)
    assert [(t.text, t.sound) for t in tokens] == [("私", "si"), ("装", "zhuang"), ("", "di"), ("", "suo")]


def test_the_shipped_thesaurus_is_reviewed_data_with_provenance() -> None:
    with DEFAULT_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 100
    assert all(row["现场用语"] and row["规范用语"] and row["来源"] and row["领域"] for row in rows)
    assert len(load_entries()) == len(rows)


def test_admin_line_parses_into_an_entry() -> None:
    assert parse_line("泔水、潲水 = 餐厨垃圾") == Entry(("泔水", "潲水"), ("餐厨垃圾",))
    assert parse_line("泔水＝餐厨垃圾；餐厨废弃物") == Entry(("泔水",), ("餐厨垃圾", "餐厨废弃物"))
    assert parse_line("没有等号") is None
    assert parse_line(" = 餐厨垃圾") is None


def test_an_added_entry_takes_effect() -> None:
    extra = Entry(("走鬼",), ("占用城市道路从事经营活动",))
    assert SearchIndex(ITEMS).search("走鬼").level == "none"
    result = SearchIndex(ITEMS, thesaurus=[*load_entries(), extra]).search("走鬼")
    assert result.found and result.hits[0].item.code == "K1"
