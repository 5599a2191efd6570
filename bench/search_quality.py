"""Lookup quality by kind of question, as an officer meets it: what the ONE reply shows.

    python -m bench.search_quality [--set heldout|heldout2|heldout3|heldout4|heldout5|heldout6|old|tuning|all] [--misses]

For each labelled question the reply is modelled as the chat shows it (handlers/lookup.py):
a card (confident or not), a list of candidate buttons, or 未找到 (with nearest buttons).
Measures, by kind:
- top-1: the first item offered is the expected one: the card, or under 「可能是以下事项」 the first
  button (for a question about something not in the list: the reply says 未找到);
- one tap: the expected item is the card or among the first 5 buttons;
- 未找到: share answered 未找到 (for not-in-list questions this is the goal; for items that ARE in the
  list it is a wrong legal statement);
- confident: confident cards, and the share of them that are right (calibration).
Every score is given twice: with the catalogue's 别名 column, and with it emptied (a new official
list arrives without aliases). The held-out catalogue (tests/data/heldout/) has no aliases, so both agree;
it is scored with two question sets: tests/data/heldout (looked at while tuning) and tests/data/heldout2.
Held-out set #3 (tests/data/heldout3/) brings its own catalogue (65 items, no aliases) and questions,
written by someone who saw no search code (first and final runs: tests/data/heldout3/FIRST_RUN.md, FINAL_RUN.md).
Held-out set #4 (tests/data/heldout4/, 67 items, 328 questions) was written the same way after #3's final run;
its first and final runs: tests/data/heldout4/FIRST_RUN.md, FINAL_RUN.md.
Held-out set #5 (tests/data/heldout5/, 65 items, 326 questions) was written the same way after #4's final run;
its first and final runs: tests/data/heldout5/FIRST_RUN.md, FINAL_RUN.md.
Held-out set #6 (tests/data/heldout6/) was written the same way after #5's final run; its first run:
tests/data/heldout6/FIRST_RUN.md.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.catalogue import CatalogueItem, load_catalogue_file
from knowledge.search import SearchIndex, SearchResult

ROOT = Path(__file__).resolve().parents[1]
HELDOUT_DIR = ROOT / "tests" / "data" / "heldout"
HELDOUT_CATALOGUE = HELDOUT_DIR / "catalogue.csv"
HELDOUT_QUESTIONS = HELDOUT_DIR / "questions.csv"
HELDOUT2_QUESTIONS = ROOT / "tests" / "data" / "heldout2" / "questions.csv"  # set #2, same catalogue
OWN_CATALOGUE_SETS = (3, 4, 5, 6)  # held-out sets with their own catalogue and questions: tests/data/heldoutN/
OLD_QUESTIONS = ROOT / "tests" / "data" / "lookup_queries.csv"
TUNING_QUESTIONS = ROOT / "tests" / "data" / "tuning_scenes.csv"  # our own scenes for the demo catalogue
DEMO_CATALOGUE = ROOT / "knowledge" / "data" / "demo_catalogue.csv"
CONFIRMED_CATALOGUE = ROOT / "knowledge" / "data" / "catalogue_confirmed.csv"
BUTTONS = 5


@dataclass(frozen=True)
class Question:
    query: str
    expected_code: str
    street: str
    kind: str


@dataclass(frozen=True)
class Reply:
    """What the user sees: level is 'card' (confident), 'maybe' (not sure) or 'none' (未找到)."""

    level: str
    card: str  # code of the card shown first, "" when none
    buttons: tuple[str, ...]

    @property
    def first(self) -> str:
        """The first item offered: the card, or the first candidate of 「可能是以下事项」."""
        if self.card:
            return self.card
        return self.buttons[0] if self.level == "maybe" and self.buttons else ""


@dataclass(frozen=True)
class Scored:
    question: Question
    reply: Reply
    top1: bool
    one_tap: bool

    @property
    def not_found(self) -> bool:
        return self.reply.level == "none"


def read_questions(path: Path) -> list[Question]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Question(row["query"].strip(), row["expected_code"].strip(), row["street"].strip(), row["kind"].strip())
            for row in csv.DictReader(handle)
        ]


def heldout_items() -> list[CatalogueItem]:
    return load_catalogue_file(HELDOUT_CATALOGUE, is_sample=True)


def own_set_dir(number: int) -> Path:
    return ROOT / "tests" / "data" / f"heldout{number}"


def own_set_items(number: int) -> list[CatalogueItem]:
    return load_catalogue_file(own_set_dir(number) / "catalogue.csv", is_sample=True)


def own_set_questions(number: int) -> list[Question]:
    return read_questions(own_set_dir(number) / "questions.csv")


def old_items() -> list[CatalogueItem]:
    return load_catalogue_file(DEMO_CATALOGUE, is_sample=True) + load_catalogue_file(CONFIRMED_CATALOGUE)


def without_aliases(items: Sequence[CatalogueItem]) -> list[CatalogueItem]:
    return [replace(item, aliases=()) for item in items]


def reply_of(result: SearchResult) -> Reply:
    """The reply as handlers/lookup.py builds it from a SearchResult."""
    level = getattr(result, "level", None)
    if level is not None:  # the three-level answer (issue 12)
        card = result.hits[0].item.code if level == "card" else ""
        shown = result.hits[1:] if level == "card" else (result.hits if level == "maybe" else result.nearest)
        return Reply(level, card, tuple(hit.item.code for hit in shown[:BUTTONS]))
    # before issue 12: a found result shows the best card (a guess when not confident)
    if not result.found:
        return Reply("none", "", tuple(hit.item.code for hit in result.nearest[:BUTTONS]))
    others = result.hits[1:]
    others = others[:2] if result.confident else others
    return Reply("card" if result.confident else "guess", result.hits[0].item.code,
                 tuple(hit.item.code for hit in others[:BUTTONS]))


def score(index: SearchIndex, questions: Sequence[Question]) -> list[Scored]:
    scored = []
    for question in questions:
        result = index.search(question.query, limit=BUTTONS + 1)
        reply = reply_of(result)
        if not question.expected_code:
            top1 = one_tap = reply.level == "none"
        else:
            top1 = reply.first == question.expected_code
            one_tap = top1 or question.expected_code in reply.buttons
            if question.kind == "with_street":
                top1 = top1 and result.street == question.street
                one_tap = one_tap and result.street == question.street
        scored.append(Scored(question, reply, top1, one_tap))
    return scored


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def table(scored: Sequence[Scored]) -> str:
    """Markdown table by kind, with an overall row for the questions about listed items."""
    groups: dict[str, list[Scored]] = defaultdict(list)
    for row in scored:
        groups[row.question.kind].append(row)
    in_list = [row for row in scored if row.question.expected_code]
    lines = [
        "| kind | n | top-1 | one tap | 未找到 | confident cards | of them right |",
        "|---|---|---|---|---|---|---|",
    ]
    order = sorted(groups, key=lambda kind: (kind == "not_found", kind))
    for name, rows in [(kind, groups[kind]) for kind in order] + [("ALL in list", in_list), ("ALL", list(scored))]:
        confident = [row for row in rows if row.reply.level == "card"]
        lines.append(
            f"| {name} | {len(rows)} | {_pct(sum(r.top1 for r in rows), len(rows))} "
            f"| {_pct(sum(r.one_tap for r in rows), len(rows))} | {_pct(sum(r.not_found for r in rows), len(rows))} "
            f"| {len(confident)} | {_pct(sum(r.top1 for r in confident), len(confident))} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Summary:
    top1: float  # questions about listed items
    one_tap: float
    not_found_rate: float  # questions about things not in the list answered 未找到
    calibration: float  # confident cards that are right (all questions)
    confident: int


def summary(scored: Sequence[Scored]) -> Summary:
    in_list = [row for row in scored if row.question.expected_code]
    absent = [row for row in scored if not row.question.expected_code]
    confident = [row for row in scored if row.reply.level == "card"]
    return Summary(
        top1=sum(r.top1 for r in in_list) / max(len(in_list), 1),
        one_tap=sum(r.one_tap for r in in_list) / max(len(in_list), 1),
        not_found_rate=sum(r.not_found for r in absent) / max(len(absent), 1),
        calibration=sum(r.top1 for r in confident) / max(len(confident), 1),
        confident=len(confident),
    )


def misses(scored: Sequence[Scored]) -> str:
    lines = []
    for row in scored:
        if row.top1:
            continue
        q, r = row.question, row.reply
        tap = "tap" if row.one_tap else "MISS"
        lines.append(f"  [{q.kind}] {q.query!r} want {q.expected_code or '未找到'} got {r.level}:{r.card} "
                     f"buttons={','.join(r.buttons)} {tap}")
    return "\n".join(lines)


def run(name: str, items: list[CatalogueItem], questions: list[Question], show_misses: bool) -> None:
    for label, catalogue in (("with aliases", items), ("别名 emptied", without_aliases(items))):
        scored = score(SearchIndex(catalogue), questions)
        print(f"\n### {name}, {label}\n")  # noqa: T201 - a report script
        print(table(scored))  # noqa: T201
        if show_misses:
            print(misses(scored))  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sets = ("heldout", "heldout2", *(f"heldout{n}" for n in OWN_CATALOGUE_SETS), "old", "tuning", "all")
    parser.add_argument("--set", choices=sets, default="all")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    if args.set in ("heldout", "all"):
        run("held-out (tests/data/heldout)", heldout_items(), read_questions(HELDOUT_QUESTIONS), args.misses)
    if args.set in ("heldout2", "all"):
        run("held-out #2 (tests/data/heldout2, held-out catalogue)", heldout_items(),
            read_questions(HELDOUT2_QUESTIONS), args.misses)
    for number in OWN_CATALOGUE_SETS:
        if args.set in (f"heldout{number}", "all"):
            run(f"held-out #{number} (tests/data/heldout{number}, its own catalogue)", own_set_items(number),
                own_set_questions(number), args.misses)
    if args.set in ("old", "all"):
        run("old set (tests/data/lookup_queries.csv, demo catalogue)", old_items(), read_questions(OLD_QUESTIONS),
            args.misses)
    if args.set in ("tuning", "all"):
        run("tuning scenes (tests/data/tuning_scenes.csv, demo catalogue)", old_items(),
            read_questions(TUNING_QUESTIONS), args.misses)


if __name__ == "__main__":
    main()
