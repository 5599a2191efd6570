"""Letters, codes and settings in a question: a code of letters and digits (3C) reaches the thesaurus, typed
letters are not matched letter by letter across a whole name (any four letters are found in order in a
long pinyin string, which made 'gxdc' fit every item of a catalogue equally), and a shop named by its kind
(火锅店) is where something happened, not what happened."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from knowledge.catalogue import CatalogueItem, ItemClass, ItemStatus
from knowledge.evidence import is_setting, tokenize
from knowledge.search import SearchIndex, pinyin_syllables
from knowledge.streets import STREETS


def item(code: str, name: str, basis: str = "《某条例》第一条") -> CatalogueItem:
    return CatalogueItem(
        code=code, name=name, item_class=ItemClass.MARKET, department="区市场监督管理局", legal_basis=basis,
        scope=frozenset(STREETS), status=ItemStatus.DELEGATED, effective_from=date(2024, 11, 1),
    )


ITEMS = [
    item("L1", "对销售未经强制性产品认证的产品的处罚", "《强制性产品认证管理规定》第五十一条"),
    item("L2", "对互联网租赁自行车运营企业未按照规定规范停放、及时清理车辆的处罚"),
    item("L3", "对生产经营单位未按照规定对从业人员进行安全生产教育和培训的处罚"),
    item("L4", "对公共场所经营者未建立卫生管理制度和档案的处罚"),
    item("L5", "对在城市道路、人行道上从事机动车清洗、维修作业的处罚"),
    item("L6", "对使用不合格的计量器具或者破坏计量器具准确度的处罚"),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(ITEMS)


def test_a_letter_digit_code_is_one_token() -> None:
    assert [t.text for t in tokenize("插座3c标志", pinyin_syllables)] == ["插", "座", "3c", "标", "志"]


@pytest.mark.parametrize("query", ["电器城卖的插座没有3C标志", "插座没有CCC"])
def test_a_code_of_the_thesaurus_finds_its_item(index: SearchIndex, query: str) -> None:
    # 3c / ccc -> 强制性产品认证 (knowledge/data/thesaurus.csv); no word of the name is in the question
    assert index.search(query).nearest[0].item.code == "L1"


def test_four_letters_do_not_fit_every_name(index: SearchIndex) -> None:
    scores = [hit.score for hit in index.search("gxdc", limit=6).nearest]
    assert len(set(scores)) > 1, "every item scored the same: the letters matched scattered through each name"


def test_initials_typed_as_a_thesaurus_word_find_the_item(index: SearchIndex) -> None:
    # gxdc = 共享单车 (thesaurus: 互联网租赁自行车), the official name shares no word with it
    assert "L2" in [hit.item.code for hit in index.search("gxdc").nearest[:5]]


def test_full_pinyin_is_not_scored_letter_by_letter(index: SearchIndex) -> None:
    fields = index._group(np.arange(len(index._field_text)), tuple(range(10)), np.ones(10))
    # before: 88 on every full-pinyin field (g, x, d, c found in order in each long string)
    assert float(index._score_letters("gxdc", fields).max()) < 70.0


def test_places_named_by_a_suffix_are_settings() -> None:
    assert is_setting("火锅店") and is_setting("加工厂") and is_setting("小区")
    assert not is_setting("店") and not is_setting("泔水")


@pytest.mark.parametrize("word", ["3c", "ccc", "ktv", "logo"])
def test_latin_words_of_the_thesaurus_are_recognised(index: SearchIndex, word: str) -> None:
    assert index._evidence.analyse(f"店里{word}").spans, f"{word} found no thesaurus entry"
