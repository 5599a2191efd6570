"""Evaluate the labelled lookup queries (tests/data/lookup_queries.csv) against the demo catalogue.

Run `python -m tests.unit.quality_report` to print the score by kind; the pytest test in
test_search_quality.py asserts the floors. Status is judged on a fixed day so that the set
stays valid as calendars move (the demo has one item effective only from 2027-01-01).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.catalogue import CatalogueItem, ItemStatus, load_catalogue_file, status_at
from knowledge.search import SearchIndex, SearchResult

ROOT = Path(__file__).resolve().parents[2]
QUERIES_CSV = ROOT / "tests" / "data" / "lookup_queries.csv"
DEMO_CSV = ROOT / "knowledge" / "data" / "demo_catalogue.csv"
CONFIRMED_CSV = ROOT / "knowledge" / "data" / "catalogue_confirmed.csv"
EVALUATION_DAY = date(2026, 12, 1)


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected_code: str
    street: str
    expected_status: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    row: LabelledQuery
    result: SearchResult
    top1_correct: bool
    status_correct: bool | None
    got_status: ItemStatus | None

    @property
    def got_code(self) -> str:
        return self.result.hits[0].item.code if self.result.found else ""


def demo_items() -> list[CatalogueItem]:
    return load_catalogue_file(DEMO_CSV, is_sample=True) + load_catalogue_file(CONFIRMED_CSV)


def read_queries(path: Path = QUERIES_CSV) -> list[LabelledQuery]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [LabelledQuery(**{key: value.strip() for key, value in row.items()}) for row in csv.DictReader(handle)]


def evaluate(index: SearchIndex, rows: list[LabelledQuery], on: date = EVALUATION_DAY) -> list[Outcome]:
    outcomes = []
    for row in rows:
        result = index.search(row.query)
        if not row.expected_code:
            top1 = not result.found
        else:
            top1 = result.found and result.hits[0].item.code == row.expected_code
            if row.kind == "with_street":
                top1 = top1 and result.street == row.street
        got_status: ItemStatus | None = None
        status_ok: bool | None = None
        if row.expected_status:
            street = result.street or row.street
            if result.found:
                got_status = status_at(result.hits[0].item, street, on)
            status_ok = top1 and got_status is not None and got_status.value == row.expected_status
        outcomes.append(Outcome(row, result, top1, status_ok, got_status))
    return outcomes


def score_by_kind(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """kind -> (correct, total), with an 'ALL' row."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        for key in (outcome.row.kind, "ALL"):
            table[key][0] += int(outcome.top1_correct)
            table[key][1] += 1
    return {kind: (correct, total) for kind, (correct, total) in sorted(table.items(), key=lambda kv: kv[0] == "ALL")}


def format_report(outcomes: list[Outcome]) -> str:
    lines = [f"{'kind':<16}{'top-1':>8}{'of':>5}{'%':>8}"]
    for kind, (correct, total) in score_by_kind(outcomes).items():
        lines.append(f"{kind:<16}{correct:>8}{total:>5}{100 * correct / total:>8.1f}")
    statuses = [o.status_correct for o in outcomes if o.status_correct is not None]
    lines.append(
        f"{'status words':<16}{sum(statuses):>8}{len(statuses):>5}{100 * sum(statuses) / max(len(statuses), 1):>8.1f}"
    )
    confident = [o for o in outcomes if o.result.confident]
    wrong_confident = [o for o in confident if not o.top1_correct]
    lines.append(f"confident answers: {len(confident)}, of which wrong: {len(wrong_confident)}")
    misses = [o for o in outcomes if not o.top1_correct]
    if misses:
        lines.append("misses:")
        for o in misses:
            nearest = ", ".join(f"{h.item.code}:{h.score:.0f}" for h in o.result.nearest[:3])
            lines.append(
                f"  [{o.row.kind}] {o.row.query!r} expected {o.row.expected_code or '未找到'}"
                f" got {o.got_code or '未找到'} street={o.result.street} ({nearest})"
            )
    return "\n".join(lines)


def main() -> None:
    outcomes = evaluate(SearchIndex(demo_items()), read_queries())
    print(format_report(outcomes))  # noqa: T201 - a report script


if __name__ == "__main__":
    main()
