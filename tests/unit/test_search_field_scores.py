"""The field scorer skips partial_ratio where its LCS bound cannot win, and derives fuzz.ratio from the LCS:
the scores must equal the full computation (every reading on every field, each by rapidfuzz), so the
savings never change an answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from knowledge.catalogue import load_catalogue_file
from knowledge.search import SearchIndex

INDEX = SearchIndex(load_catalogue_file(Path("knowledge/data/demo_catalogue.csv"), is_sample=True))
FIELDS = np.arange(len(INDEX._field_text), dtype=np.int64)
ALPHABET = "占道经营油烟扰民违法建设垃圾噪声食品燃气消防无证摊贩施工扬尘zdjyabc "


def full_scores(probe: str, field_ids: np.ndarray) -> np.ndarray:
    texts = INDEX._field_text[field_ids].tolist()
    whole = process.cdist([probe], texts, scorer=fuzz.ratio, dtype=np.float64)[0]
    part = process.cdist([probe], texts, scorer=fuzz.partial_ratio, dtype=np.float64)[0]
    common = process.cdist([probe], texts, scorer=LCSseq.similarity, dtype=np.float64)[0]
    field_len = INDEX._field_len[field_ids]
    query_len = float(len(probe))
    contiguous = np.minimum(part, 100.0 * common / np.minimum(field_len, query_len))
    contiguous *= np.where(field_len >= query_len, 0.82 + 0.18 * query_len / field_len, 0.6 + 0.4 * field_len / query_len)
    scattered = 88.0 * (common / query_len) ** 2 if query_len >= 4 else np.zeros_like(whole)
    return np.maximum(np.maximum(whole, contiguous), scattered)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=16))
def test_pruned_field_scores_equal_the_full_computation(probe: str) -> None:
    every_field = INDEX._group(FIELDS, tuple(range(10)), np.ones(10))
    assert np.allclose(INDEX._score_fields(probe, every_field), full_scores(probe, FIELDS), rtol=0, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="zdjyaxsc", min_size=2, max_size=9))
def test_letter_pairs_found_by_one_scan_equal_a_test_per_field(probe: str) -> None:
    from knowledge.search import _INITIALS_FIELDS, _LATIN_WEIGHTS

    fields = INDEX._whole_list_group(_INITIALS_FIELDS, _LATIN_WEIGHTS)
    pairs = [probe[i : i + 2] for i in range(len(probe) - 1)]
    expected = np.array([sum(pair in text for pair in pairs) for text in fields.texts], dtype=np.float64)
    found = np.zeros(len(fields.texts))
    for pair in pairs:
        found += fields.contains(pair)
    assert np.array_equal(found, expected)


def test_answers_do_not_depend_on_the_questions_asked_before() -> None:
    """A small list keeps term lookups between questions: the same question gets the same answer on a
    fresh index, after other questions, and in reverse order."""
    questions = ["占道经营", "工地扬尘很大也不洒水", "zdjy", "遛狗不拴绳", "过期食品", "油烟扰民", "kfc", "网吧接纳未成年人"]

    def answers(index: SearchIndex, order: list[str]) -> dict[str, tuple[str, list[tuple[str, float]]]]:
        out = {}
        for question in order:
            result = index.search(question)
            out[question] = (result.level, [(hit.item.code, hit.score) for hit in result.nearest])
        return out

    items = load_catalogue_file(Path("knowledge/data/demo_catalogue.csv"), is_sample=True)
    fresh = {q: answers(SearchIndex(items), [q])[q] for q in questions}
    reused = SearchIndex(items)
    assert answers(reused, questions) == fresh
    assert answers(reused, questions[::-1]) == fresh
