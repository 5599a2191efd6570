"""The labelled query set: what officers type must find the right item and the right status word.

Run with `-s` to see the score by kind (or `python -m tests.unit.quality_report`).
"""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.search import SearchIndex
from tests.unit.quality_report import Outcome, demo_items, evaluate, format_report, read_queries

KINDS = {"exact", "partial", "homophone", "pinyin_full", "pinyin_initials", "slang", "with_street", "not_found", "typo"}


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    results = evaluate(SearchIndex(demo_items()), read_queries())
    print("\n" + format_report(results))  # noqa: T201 - the score table is the point of this test
    return results


def test_the_set_covers_every_kind_with_enough_not_found() -> None:
    rows = read_queries()
    kinds = Counter(row.kind for row in rows)
    assert len(rows) >= 130
    assert set(kinds) == KINDS
    assert kinds["not_found"] >= 0.1 * len(rows)
    codes = {item.code for item in demo_items()}
    assert all(row.expected_code in codes for row in rows if row.expected_code)


def test_top1_is_right_for_at_least_90_percent(outcomes: list[Outcome]) -> None:
    correct = sum(outcome.top1_correct for outcome in outcomes)
    assert correct / len(outcomes) >= 0.90


def test_every_status_word_is_right(outcomes: list[Outcome]) -> None:
    wrong = [(o.row.query, o.row.expected_status, o.got_status) for o in outcomes if o.status_correct is False]
    assert wrong == []


def test_a_confident_answer_is_almost_never_wrong(outcomes: list[Outcome]) -> None:
    confident = [o for o in outcomes if o.result.confident]
    wrong = [o.row.query for o in confident if not o.top1_correct]
    assert len(confident) >= len(outcomes) // 2
    assert len(wrong) <= 0.02 * len(confident), wrong
