"""Floors on the held-out lookup evaluation (issue 12): a regression in search fails CI.

The held-out set (tests/data/heldout/, 示例数据，非官方) is never tuned on; these floors are the issue's
targets where the final run met them, and the final run's own level where it did not (the 90%
未找到 target is an expected failure, strict, so that reaching it forces this file to be updated).
Scores: tests/data/heldout/FIRST_RUN.md, FINAL_RUN.md, POST_FINAL.md; `python -m bench.search_quality`.

Held-out set #2 (tests/data/heldout2/, same catalogue, new questions): its floors are the levels of its final
run (tests/data/heldout2/FINAL_RUN.md), and every issue target it misses is a strict xfail.

Held-out sets #3 to #6 bring their own catalogues. #3, #4 and #5 are past their final runs (FINAL_RUN.md): their
floors follow the code as it is now. #6 is the clean one: its floors are its first run
(tests/data/heldout6/FIRST_RUN.md).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from bench.search_quality import (
    HELDOUT2_QUESTIONS,
    HELDOUT_QUESTIONS,
    OLD_QUESTIONS,
    OWN_CATALOGUE_SETS,
    TUNING_QUESTIONS,
    Question,
    Scored,
    Summary,
    heldout_items,
    old_items,
    own_set_items,
    own_set_questions,
    read_questions,
    score,
    summary,
    without_aliases,
)
from knowledge.catalogue import CatalogueItem
from knowledge.search import SearchIndex


@pytest.fixture(scope="module")
def heldout() -> list[Scored]:
    return score(SearchIndex(without_aliases(heldout_items())), read_questions(HELDOUT_QUESTIONS))


@pytest.fixture(scope="module")
def heldout_summary(heldout: list[Scored]) -> Summary:
    return summary(heldout)


def test_the_heldout_set_is_what_the_issue_asks_for() -> None:
    items = heldout_items()
    questions = read_questions(HELDOUT_QUESTIONS)
    codes = {item.code for item in items}
    assert len(items) >= 60 and all(not item.aliases for item in items)
    assert len(questions) >= 200
    assert sum(not q.expected_code for q in questions) >= 20
    assert all(q.expected_code in codes for q in questions if q.expected_code)
    kinds = {q.kind for q in questions}
    assert {"exact", "partial", "scene", "slang", "typo", "pinyin_full", "pinyin_initials", "mixed"} <= kinds
    demo_names = {item.name for item in old_items()}
    assert not demo_names & {item.name for item in items}


def test_top1_alias_free_at_least_80_percent(heldout_summary: Summary) -> None:
    assert heldout_summary.top1 >= 0.80


def test_one_tap_alias_free_at_least_97_percent(heldout_summary: Summary) -> None:
    assert heldout_summary.one_tap >= 0.97


def test_confident_cards_at_least_98_percent_right(heldout_summary: Summary) -> None:
    assert heldout_summary.confident >= 50
    assert heldout_summary.calibration >= 0.98


def test_items_in_the_list_are_almost_never_answered_not_found(heldout: list[Scored]) -> None:
    """未找到 for a listed item is a wrong legal statement (the issue's worst finding: 119 of 178).
    1.1% after the first round; 6.1% since 未找到 is also given for a flat best item (second round)."""
    in_list = [row for row in heldout if row.question.expected_code]
    assert sum(row.not_found for row in in_list) <= 0.07 * len(in_list)


def test_not_in_list_answered_not_found_floor(heldout_summary: Summary) -> None:
    """The level reached (80% after the broader thesaurus; 76% / 64% / 60% before); the target is below."""
    assert heldout_summary.not_found_rate >= 0.80


@pytest.mark.xfail(strict=True, reason="issue 12 target not met: 未找到 on not-in-list questions is 80%, target 90%")
def test_not_in_list_answered_not_found_target(heldout_summary: Summary) -> None:
    assert heldout_summary.not_found_rate >= 0.90


def test_old_set_without_aliases_keeps_its_floor() -> None:
    """The tuning set, scored as a new list would arrive: the 别名 column emptied."""
    result = summary(score(SearchIndex(without_aliases(old_items())), read_questions(OLD_QUESTIONS)))
    assert result.top1 >= 0.84 and result.one_tap >= 0.95
    assert result.not_found_rate >= 0.90 and result.calibration >= 0.98


# ---------------------------------------------------------------- held-out set #2 (clean)


@pytest.fixture(scope="module")
def heldout2() -> list[Scored]:
    return score(SearchIndex(without_aliases(heldout_items())), read_questions(HELDOUT2_QUESTIONS))


@pytest.fixture(scope="module")
def heldout2_summary(heldout2: list[Scored]) -> Summary:
    return summary(heldout2)


def test_heldout2_is_new_and_large_enough() -> None:
    questions = read_questions(HELDOUT2_QUESTIONS)
    codes = {item.code for item in heldout_items()}
    assert sum(not q.expected_code for q in questions) >= 60
    assert sum(bool(q.expected_code) for q in questions) >= 60
    assert all(q.expected_code in codes for q in questions if q.expected_code)
    others = {q.query for path in (HELDOUT_QUESTIONS, OLD_QUESTIONS, TUNING_QUESTIONS) for q in read_questions(path)}
    assert not others & {q.query for q in questions}
    assert len({q.query for q in questions}) == len(questions)


def test_heldout2_floors(heldout2: list[Scored], heldout2_summary: Summary) -> None:
    """Levels after two thesaurus rounds and the letter fixes (the set has been looked at since its final
    run, FINAL_RUN.md: 70.0% / 95.0% / 73.9%): top-1 87.5%, one tap 99.2%, 未找到 82.6%, cards 100% right."""
    assert heldout2_summary.not_found_rate >= 0.82
    assert heldout2_summary.confident >= 40 and heldout2_summary.calibration >= 0.98
    in_list = [row for row in heldout2 if row.question.expected_code]
    assert sum(row.not_found for row in in_list) <= 0.10 * len(in_list)


def test_heldout2_top1_target(heldout2_summary: Summary) -> None:
    assert heldout2_summary.top1 >= 0.80


def test_heldout2_one_tap_target(heldout2_summary: Summary) -> None:
    assert heldout2_summary.one_tap >= 0.97


@pytest.mark.xfail(strict=True, reason="issue 12 target not met on held-out #2: 未找到 is 82.6%, target 90%")
def test_heldout2_not_found_target(heldout2_summary: Summary) -> None:
    assert heldout2_summary.not_found_rate >= 0.90


# ---------------------------------------------------------------- held-out sets with their own catalogue
# Each written by someone who saw no search code, no thesaurus and no other question set, committed before any
# search ran on it; first (and final) runs in tests/data/heldoutN/FIRST_RUN.md and FINAL_RUN.md. #3 to #5 are
# past their final runs (floors follow the code since); #6 is the clean one (floors at its first run). The
# issue's targets on all four are one table at the end of this file.

@functools.cache
def own_scored(number: int) -> list[Scored]:
    return score(SearchIndex(without_aliases(own_set_items(number))), own_set_questions(number))


def own_summary(number: int) -> Summary:
    return summary(own_scored(number))


def assert_own_catalogue_set(items: list[CatalogueItem], questions: list[Question], others: set[str]) -> None:
    """A held-out set with its own catalogue, as the issue asks: 60+ items without 别名, each asked about, 200+
    questions of every kind (60+ about things not in the list), and no item named as in the lists before it."""
    codes = {item.code for item in items}
    assert len(items) >= 60 and all(not item.aliases for item in items)
    assert len(questions) >= 200 and sum(not q.expected_code for q in questions) >= 60
    assert {q.expected_code for q in questions if q.expected_code} == codes
    assert {"exact", "partial", "scene", "slang", "typo", "pinyin_full", "pinyin_initials", "mixed"} <= {
        q.kind for q in questions
    }
    assert not others & {item.name for item in items}


@pytest.mark.parametrize("number", OWN_CATALOGUE_SETS)
def test_own_catalogue_set_is_what_the_issue_asks_for(number: int) -> None:
    earlier = old_items() + heldout_items() + [item for n in OWN_CATALOGUE_SETS if n < number for item in own_set_items(n)]
    assert_own_catalogue_set(own_set_items(number), own_set_questions(number), {item.name for item in earlier})


def assert_floors(scored: list[Scored], result: Summary, *, top1: float, one_tap: float, not_found: float,
                  calibration: float, listed_not_found: float) -> None:
    assert result.top1 >= top1
    assert result.one_tap >= one_tap
    assert result.not_found_rate >= not_found
    assert result.calibration >= calibration
    in_list = [row for row in scored if row.question.expected_code]
    assert sum(row.not_found for row in in_list) <= listed_not_found * len(in_list)


# top-1, one tap, 未找到 on not-in-list questions, confident cards right, listed items answered 未找到.
FLOORS = {
    # #3 final (FINAL_RUN.md): 66.0 / 91.2 / 72.0 / 96.2 / 29.8%. Post-final (thesaurus rounds 3 and 4, filler words
    # kept inside thesaurus words): 69.7 / 92.4 / 70.7 / 95.1 (58 of 61) / 25.6%. After thesaurus round 5:
    # 70.2 / 92.4 / 67.1 (its new words 卖烟花, 往河里倒, 高空抛物 reach near items of this list) / 95.1 / 25.2%.
    3: {"top1": 0.70, "one_tap": 0.92, "not_found": 0.67, "calibration": 0.95, "listed_not_found": 0.255},
    # #4 first run: 66.5 / 91.9 / 80.0 / 96.8 / 28.6%; final: 69.0 / 92.7 / 76.2 / 96.8 / 26.2%; after thesaurus
    # round 5: 71.4 / 94.8 / 76.2 / 97.0 (65 of 67) / 24.2%.
    4: {"top1": 0.71, "one_tap": 0.945, "not_found": 0.76, "calibration": 0.97, "listed_not_found": 0.245},
    # #5 first run: 58.5 / 90.7 / 73.8 / 97.8 (44 of 45) / 35.8%; final (thesaurus round 5): 63.4 / 92.7 / 72.5 /
    # 98.0 (48 of 49; 48 of 48 on listed items) / 30.9%.
    5: {"top1": 0.63, "one_tap": 0.925, "not_found": 0.725, "calibration": 0.975, "listed_not_found": 0.31},
    # #6 first run: 56.6 / 91.4 / 76.0 / 100 (49 of 49: the issue's 98% target, the floor here) / 40.2%.
    6: {"top1": 0.565, "one_tap": 0.91, "not_found": 0.76, "calibration": 0.98, "listed_not_found": 0.405},
}


@pytest.mark.parametrize("number", sorted(FLOORS))
def test_own_catalogue_set_floors(number: int) -> None:
    result = own_summary(number)
    assert_floors(own_scored(number), result, **FLOORS[number])
    assert result.confident >= 40


ISSUE_TARGETS = {"top1": 0.80, "one_tap": 0.97, "not_found_rate": 0.90, "calibration": 0.98}
# The issue's targets missed on the sets with their own catalogue, and where each stands: each is a strict
# xfail, so reaching one forces this table (and the note) to be updated.
MISSED = {
    (3, "top1"): "top-1 is 70.2% (final 66.0%)",
    (3, "one_tap"): "one tap is 92.4% (final 91.2%)",
    (3, "not_found_rate"): "未找到 is 67.1% (final 72.0%)",
    (3, "calibration"): "58 of 61 cards right (final 52 of 53)",
    (4, "top1"): "top-1 is 71.4% (final 69.0%, first run 66.5%)",
    (4, "one_tap"): "one tap is 94.8% (final 92.7%, first run 91.9%)",
    (4, "not_found_rate"): "未找到 is 76.2% (final 76.2%, first run 80.0%)",
    (4, "calibration"): "65 of 67 cards right (97.0%; final 96.8%)",
    (5, "top1"): "top-1 is 63.4% (final; first run 58.5%)",
    (5, "one_tap"): "one tap is 92.7% (final; first run 90.7%)",
    (5, "not_found_rate"): "未找到 is 72.5% (final; first run 73.8%)",
    (5, "calibration"): "48 of 49 cards right (98.0%, final; first run 44 of 45)",
    (6, "top1"): "top-1 is 56.6% (first run)",
    (6, "one_tap"): "one tap is 91.4% (first run)",
    (6, "not_found_rate"): "未找到 is 76.0% (first run)",
}


def _missed(number: int, measure: str, where: str) -> Any:
    target = ISSUE_TARGETS[measure]
    reason = f"issue 12 target not met on held-out #{number}: {where}, target {target:.0%}"
    return pytest.param(number, measure, target, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize(("number", "measure", "target"), [_missed(n, m, where) for (n, m), where in MISSED.items()])
def test_issue_target_on_own_catalogue_sets(number: int, measure: str, target: float) -> None:
    assert getattr(own_summary(number), measure) >= target
