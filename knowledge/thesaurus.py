"""Field words → legal words: the domain vocabulary that carries over to any catalogue.

Why: officers say 泔水, 摆摊, 鬼秤; an official list says 餐厨垃圾, 占用道路…经营, 计量器具. Aliases per
item do not carry over to a new list (it arrives with an empty 别名 column); this vocabulary does.
The reviewed list ships as data (knowledge/data/thesaurus.csv, with the source of each row); admins
can add rows (handlers/lookup.py `/thesaurus`). Matching is by characters (longest field word first)
and by sound (two or more syllables), so 冲电 still finds 充电 and `disuo` finds 地锁.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "thesaurus.csv"
FIELD_COLUMN = "现场用语"
LEGAL_COLUMN = "规范用语"
DOMAIN_COLUMN = "领域"
SOURCE_COLUMN = "来源"
_SEPARATORS = ";；、"
MAX_WORD_CHARS = 12


@dataclass(frozen=True)
class Entry:
    """One reviewed row: any of `field_words` in a question stands for `legal_words`."""

    field_words: tuple[str, ...]
    legal_words: tuple[str, ...]
    domain: str = ""
    source: str = ""


def split_words(text: str) -> tuple[str, ...]:
    """'摆摊;地摊；流动摊贩' -> ('摆摊', '地摊', '流动摊贩'); NFKC, lower-case, no spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for separator in _SEPARATORS[1:]:
        text = text.replace(separator, _SEPARATORS[0])
    return tuple(dict.fromkeys(w for w in (part.strip().replace(" ", "") for part in text.split(";")) if w))


def parse_rows(rows: Iterable[dict[str, str]]) -> list[Entry]:
    """Rows with the columns 现场用语 and 规范用语 (领域, 来源 optional); rows missing either are skipped."""
    entries = []
    for row in rows:
        field = tuple(w for w in split_words(row.get(FIELD_COLUMN) or "") if len(w) <= MAX_WORD_CHARS)
        legal = tuple(w for w in split_words((row.get(LEGAL_COLUMN) or "").replace("、", "")) if w)
        if field and legal:
            entries.append(Entry(field, legal, (row.get(DOMAIN_COLUMN) or "").strip(), (row.get(SOURCE_COLUMN) or "").strip()))
    return entries


@lru_cache(maxsize=4)
def load_entries(path: Path = DEFAULT_PATH) -> tuple[Entry, ...]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(parse_rows(csv.DictReader(handle)))


def parse_line(text: str) -> Entry | None:
    """An admin's one-line entry: '泔水、潲水 = 餐厨垃圾' (also ＝ or →)."""
    for arrow in ("=", "＝", "→", "->"):
        if arrow in text:
            left, _, right = text.partition(arrow)
            entries = parse_rows([{FIELD_COLUMN: left, LEGAL_COLUMN: right}])
            return entries[0] if entries else None
    return None


class Thesaurus:
    """Lookup structures for a set of entries; `match` finds field words in a tokenised question."""

    def __init__(self, entries: Sequence[Entry], sound_of: object = None) -> None:
        self.entries = list(entries)
        merged: dict[str, set[str]] = {}
        for entry in self.entries:
            for word in entry.field_words:
                merged.setdefault(word, set()).update(entry.legal_words)
        # One frozenset per distinct meaning, shared by all its field words (a row has several): about
        # half the memory of a set per word, which counts when a 10,000-item index is built beside it.
        shared: dict[frozenset[str], frozenset[str]] = {}
        self.by_word: dict[str, frozenset[str]] = {
            word: shared.setdefault(frozenset(legal), frozenset(legal)) for word, legal in merged.items()
        }
        self.max_len = max((len(word) for word in self.by_word), default=0)

    def text_spans(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        """Every occurrence of a field word in `text` not inside a longer one: (start, end, legal words).
        Overlaps are kept (卖烟花: 卖烟 and 烟花 both count); the scorer takes the best per n-gram."""
        found = []
        for start in range(len(text)):
            for size in range(min(self.max_len, len(text) - start), 0, -1):
                legal = self.by_word.get(text[start : start + size])
                if legal:
                    found.append((start, start + size, frozenset(legal)))
                    break
        return [span for span in found if not any(o[0] <= span[0] and span[1] <= o[1] and o != span for o in found)]
