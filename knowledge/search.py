"""Find catalogue items from what officers type on a phone: names, fragments, slang, pinyin, typos.

Why this shape (measured in notes/style-and-library-facts.md §4 and bench/lookup.py):
slang is a data problem (curated aliases), same-sound typos and pinyin input are solved by pinyin
fields, and rapidfuzz scores each field; the best field wins. A cheap n-gram prefilter (numpy)
picks candidates first so that a 10,000-item catalogue still answers in a few milliseconds.

Issue 12: an official list arrives without aliases, so each item is also scored by evidence
(knowledge/evidence.py): how much of the question its name, legal basis and class explain, with the
domain thesaurus (knowledge/thesaurus.py) turning field words into legal words. The higher of the
two scores decides, and the result says how sure it is: card / maybe / none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from pypinyin import lazy_pinyin
from pypinyin.seg.mmseg import seg as _mmseg
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from knowledge.catalogue import CatalogueItem
from knowledge.evidence import BASIS, INITIALS, Evidence, initials_of, word_initials
from knowledge.streets import SPECIAL_AREAS, street_spellings
from knowledge.thesaurus import Entry, load_entries

MAX_QUERY_CHARS = 256
# Three answers (issue 12): a confident card; 「可能是以下事项」 with buttons; 未找到. Tuned on the old
# set (tests/data/lookup_queries.csv, with and without aliases) and our own scenes for the demo
# catalogue (tests/data/tuning_scenes.csv), never on tests/data/heldout.
MAYBE_FLOOR = 42.0  # below: 未找到 (93% of the not-in-list tuning questions score below)
# Below FLAT_BELOW an item that is not even FLAT_MARGIN ahead of the next one is no answer: the
# question shares a word or two with several items (过期, 摊, 工地) but its point is in none of them.
FLAT_BELOW = 50.0
FLAT_MARGIN = 4.0
CONFIDENT_FLOOR = 75.0  # a card when this sure and this far ahead of the next item
CONFIDENT_MARGIN = 12.0
NEAR_EXACT = 90.0  # a name or alias typed (almost) whole needs less of a lead
NEAR_EXACT_MARGIN = 4.0
FUZZY_TRUSTED = 90.0
FUZZY_DISCOUNT = 0.75
PREFILTER_ALL_BELOW = 400
PREFILTER_CANDIDATES = 60

# Words officers wrap around the actual question; removed before scoring (longest first).
_FILLER_TEXT = """
    归哪个部门管 是哪个部门管 哪个部门管 哪个部门负责 归哪里管 归谁管 谁来管 谁管 谁负责 由谁处罚 谁处罚
    怎么处罚 如何处罚 怎么罚 罚多少 怎么处理 如何处理 怎么办 是否赋权 有没有赋权 赋权了没有 赋权了吗 赋权没有
    有没有下放 下放了吗 街道能不能管 街道能管吗 街道可以管吗 街道管不管 能不能管 能管吗 可以管吗 管不管
    执法主体是谁 执法主体 执法依据 法律依据 依据是什么 是谁 请问 查一下 查查 查询 帮我查 这边 那边 这里 那里
    辖区 片区 有人 投诉 举报 的问题 问题 情况 事项 属于 这种 这个 一下 还在 好几个 一个 吗 呢 啊 呀 吧
    嘛 了 的 个 很 太 ？ ?
"""
FILLER_WORDS: tuple[str, ...] = tuple(sorted(set(_FILLER_TEXT.split()), key=len, reverse=True))

# Boilerplate of official item names, stripped to get the words an officer would use.
_NAME_BOILERPLATE = re.compile(r"^对|的处罚$|的处理$|处罚$|行为|的")
_NOT_WORD = re.compile(r"[\W_]+")
_LATIN_ONLY = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower-case, and drop spaces and punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


_NEGATIONS = re.compile(r"没有|没|未|无")


def canonical_negation(text: str) -> str:
    """没有 / 没 / 未 / 无 all become 无: officers write 没健康证, the list says 未取得健康证明."""
    return _NEGATIONS.sub("无", text)


def name_keywords(name: str) -> str:
    """'对擅自占用城市道路从事经营活动的处罚' -> '擅自占用城市道路从事经营活动'."""
    stripped = _NAME_BOILERPLATE.sub("", normalize(name))
    return stripped or normalize(name)


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word))


@lru_cache(maxsize=8192)
def _word_letters(word: str) -> str:
    return initials_of(_word_pinyin(word))


def pinyin_syllables(text: str) -> list[str]:
    """Toneless pinyin per character; cached per segmented word because pypinyin's style
    conversion costs ~10 µs per character and catalogue names share most of their words."""
    syllables: list[str] = []
    for word in _mmseg.cut(text):
        syllables.extend(_word_pinyin(word))
    return syllables


def pinyin_full(text: str) -> str:
    return "".join(pinyin_syllables(text))


def pinyin_initials(text: str) -> str:
    return "".join(syllable[0] for syllable in pinyin_syllables(text) if syllable)


_SYLLABLE_CODES: dict[str, str] = {}
_SYLLABLE_BASE = 0xE000  # Private Use Area: never typed; BMP keeps strings at 2 bytes a character
_BMP_PRIVATE_USE_SIZE = 0xF900 - 0xE000  # ~410 syllables, plus digits and Latin runs, fit easily
_SUPPLEMENTARY_PRIVATE_USE = 0xF0000


def sound_code(syllables: Sequence[str]) -> str:
    """One private-use character per syllable: 站道经营 and 占道经营 get the same string, and
    rapidfuzz compares sounds syllable by syllable (not letter by letter, which would make
    'dengji' in 离婚登记 look like 电梯登记)."""
    codes = []
    for syllable in syllables:
        code = _SYLLABLE_CODES.get(syllable)
        if code is None:
            number = len(_SYLLABLE_CODES)
            base = (
                _SYLLABLE_BASE if number < _BMP_PRIVATE_USE_SIZE else _SUPPLEMENTARY_PRIVATE_USE - _BMP_PRIVATE_USE_SIZE
            )
            code = _SYLLABLE_CODES[syllable] = chr(base + number)
        codes.append(code)
    return "".join(codes)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Hit:
    item: CatalogueItem
    score: float


@dataclass(frozen=True)
class SearchResult:
    """`hits` are above the floor (best first); `nearest` are the best candidates regardless,
    for the 未找到 buttons. `street` is the street named in the query, if any."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    nearest: list[Hit] = field(default_factory=list)
    found: bool = False
    confident: bool = False
    street: str | None = None
    area: str | None = None
    level: str = "none"  # "card" (confident), "maybe" (candidates, never 未找到), "none" (未找到)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class ParsedQuery:
    """The query as scored: street and filler words removed, normalised."""

    text: str
    street: str | None
    area: str | None


_SPELLINGS = street_spellings()
_CJK_SPELLINGS = [(spelling, street) for spelling, street in _SPELLINGS.items() if _CJK.search(spelling)]
_LATIN_SPELLINGS = [(spelling, street) for spelling, street in _SPELLINGS.items() if not _CJK.search(spelling)]
_NORMALIZED_FILLERS = tuple(dict.fromkeys(f for f in (normalize(w) for w in FILLER_WORDS) if f))
_KEPT_BASE = 0xF0000  # Supplementary Private Use Area: normalize() has removed any such character already


_ANY_FILLER = re.compile("|".join(re.escape(filler) for filler in _NORMALIZED_FILLERS))


def words_holding_fillers(words: Iterable[str]) -> tuple[str, ...]:
    """The words that filler removal would break (网吧, 出了事, 问题食品), longest first."""
    fillers = set(_NORMALIZED_FILLERS)
    return tuple(sorted({w for w in words if w not in fillers and _ANY_FILLER.search(w)}, key=len, reverse=True))


def parse_query(raw: str, keep: Sequence[str] = ()) -> ParsedQuery:
    """Cap the length, pull out a named street or area, drop filler words, except inside the words
    of `keep` (field words of the thesaurus that hold one: 网吧 and 酒吧 hold 吧, 太吵 holds 太)."""
    text = normalize(raw[:MAX_QUERY_CHARS])
    street: str | None = None
    area: str | None = None
    is_latin = bool(_LATIN_ONLY.fullmatch(text))
    for spelling, canonical in _LATIN_SPELLINGS if is_latin else _CJK_SPELLINGS:
        if spelling in text:
            street = canonical
            text = text.replace(spelling, "", 1)
            break
    for area_name, _zone in SPECIAL_AREAS.items():
        if area_name in text:
            area = area_name
            text = text.replace(area_name, "")
    if not is_latin:
        kept = [word for word in keep if word in text]
        for n, word in enumerate(kept):  # set aside as one private-use character each
            text = text.replace(word, chr(_KEPT_BASE + n))
        for filler in _NORMALIZED_FILLERS:
            text = text.replace(filler, "")
        for n, word in enumerate(kept):
            text = text.replace(chr(_KEPT_BASE + n), word)
        text = canonical_negation(text)
    return ParsedQuery(text=text, street=street, area=area)


# ---------------------------------------------------------------- index

# Field kinds. A Chinese query is compared with the characters, the sounds (same-sound typos)
# and the order-free bag of each alias; a Latin query with full pinyin and initials.
(_ALIAS, _NAME, _KEYWORDS, _ALIAS_BAG, _ALIAS_SOUND, _NAME_SOUND, _ALIAS_PY, _NAME_PY, _ALIAS_INI, _NAME_INI) = range(
    10
)
_CHINESE_FIELDS = (_ALIAS, _NAME, _KEYWORDS)
_SOUND_FIELDS = (_ALIAS_SOUND, _NAME_SOUND)
_PINYIN_FIELDS = (_ALIAS_PY, _NAME_PY)
_INITIALS_FIELDS = (_ALIAS_INI, _NAME_INI)


@lru_cache(maxsize=16)
def _kind_mask(kinds: tuple[int, ...]) -> np.ndarray:
    """True for the field kinds of one scoring group, indexable by an array of kinds."""
    mask = np.zeros(10, dtype=bool)
    mask[list(kinds)] = True
    return mask


def _weights(table: dict[int, float]) -> np.ndarray:
    weights = np.zeros(10, dtype=np.float64)
    for kind, weight in table.items():
        weights[kind] = weight
    return weights


# The same words in a sound-alike or order-free form count a little less than the words themselves.
_CHINESE_WEIGHTS = _weights(
    {_ALIAS: 1.0, _NAME: 0.97, _KEYWORDS: 1.0, _ALIAS_BAG: 0.9, _ALIAS_SOUND: 0.92, _NAME_SOUND: 0.9}
)
_LATIN_WEIGHTS = _weights({_ALIAS_PY: 1.0, _NAME_PY: 0.98, _ALIAS_INI: 0.96, _NAME_INI: 0.94})


def _grams(text: str, size: int, prefix: str) -> set[str]:
    if len(text) < size:
        return {prefix + text} if text else set()
    return {prefix + text[i : i + size] for i in range(len(text) - size + 1)}


def _chinese_grams(text: str) -> set[str]:
    return _grams(text, 1, "c") | _grams(text, 2, "c")


def _bag(text: str) -> str:
    """Characters sorted: word order no longer matters (厂房住人 / 住人的厂房)."""
    return "".join(sorted(text))


def _sound_grams(sound: str) -> set[str]:
    return _grams(sound, 2, "s")


def _lcs(probe: str, texts: list[str]) -> np.ndarray:
    """Length of the longest common subsequence of the probe with each text."""
    return process.cdist([probe], texts, scorer=LCSseq.similarity, dtype=np.float64)[0]


@dataclass(frozen=True)
class _Fields:
    """Fields of one scoring group: ids, texts, lengths, owning item positions, weight of each."""

    ids: np.ndarray
    texts: list[str]
    lens: np.ndarray
    items: np.ndarray
    weights: np.ndarray

    @cached_property
    def _joined(self) -> tuple[str, np.ndarray]:
        """All texts in one string (joined by a character no text holds) and where each starts."""
        starts = np.cumsum([0] + [len(text) + 1 for text in self.texts[:-1]])
        return "\x00".join(self.texts), starts

    def contains(self, fragment: str) -> np.ndarray:
        """1.0 for each text that holds `fragment`, else 0.0: one scan of the joined texts instead of a
        Python test per field (300 fields × 3 letter pairs cost 0.7 ms per initials query)."""
        joined, starts = self._joined
        hits = np.zeros(len(self.texts))
        at = [match.start() for match in re.finditer(re.escape(fragment), joined)]
        if at:
            hits[np.searchsorted(starts, at, side="right") - 1] = 1.0
        return hits


class SearchIndex:
    """Precomputed fields for a catalogue; build once per catalogue version, query many times."""

    def __init__(self, items: Iterable[CatalogueItem], thesaurus: Sequence[Entry] | None = None) -> None:
        self.items: list[CatalogueItem] = list(items)
        entries = load_entries() if thesaurus is None else thesaurus
        self._name_bigrams: list[int] = []
        # Fields live in flat arrays; item p owns fields _field_start[p] .. _field_start[p + 1] - 1.
        # (Flat numpy arrays instead of per-item lists: about 15 MB less on 10,000 items.)
        self._field_text: list[str] | np.ndarray = []
        self._building_kinds: list[int] = []
        self._name_norm: list[str] = []
        self._alias_norm: list[frozenset[str]] = []
        starts: list[int] = []
        # Compact int32 arrays while building: lists of int objects cost ~36 bytes an entry (2.3 million
        # entries at 10,000 items), and the freed heap stayed in the process's RSS.
        postings: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for position, item in enumerate(self.items):
            starts.append(len(self._field_text))
            for gram in self._add_item(item):
                postings[gram].append(position)
        starts.append(len(self._field_text))
        count = max(len(self.items), 1)
        self._postings = {gram: np.frombuffer(ids, dtype=np.int32).copy() for gram, ids in postings.items()}
        self._gram_weight = {gram: math.log(1.0 + count / len(ids)) for gram, ids in postings.items()}
        self._field_start = np.array(starts, dtype=np.int64)
        self._field_kind = np.array(self._building_kinds, dtype=np.int8)
        self._field_item = np.repeat(np.arange(len(self.items), dtype=np.int32), np.diff(self._field_start))
        self._field_len = np.fromiter((len(text) for text in self._field_text), dtype=np.float64)
        self._field_text = np.array(self._field_text, dtype=object)  # fancy indexing gathers fast
        self._whole_groups: dict[tuple[tuple[int, ...], bytes], _Fields] = {}
        self._evidence = Evidence(len(self.items), self._postings, np.array(self._name_bigrams, dtype=np.int16),
                                  _normalized_entries(tuple(entries)), pinyin_syllables, sound_code)
        del self._name_bigrams
        self._kept_words = words_holding_fillers(normalize(word) for entry in entries for word in entry.field_words)
        self._position_by_code = {normalize(item.code): position for position, item in enumerate(self.items)}
        # A name typed whole is found before filler words (事项, 的 ...) are taken out of the query.
        self._position_by_name: dict[str, int] = {}
        for position, item in enumerate(self.items):
            for text in (item.name, name_keywords(item.name)):
                self._position_by_name.setdefault(canonical_negation(normalize(text)), position)
        del self._building_kinds

    def __len__(self) -> int:
        return len(self.items)

    def _add_field(self, kind: int, text: str) -> None:
        if text:
            self._field_text.append(text)
            self._building_kinds.append(kind)

    def _fields_of(self, positions: np.ndarray) -> np.ndarray:
        """Field ids of the given items, concatenated (vectorised ranges)."""
        starts = self._field_start[positions]
        lengths = self._field_start[positions + 1] - starts
        return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))

    def _add_item(self, item: CatalogueItem) -> set[str]:
        """Register an item's searchable fields and return its prefilter n-grams."""
        name = canonical_negation(normalize(item.name))
        keywords = canonical_negation(name_keywords(item.name))
        aliases = list(dict.fromkeys(a for a in (canonical_negation(normalize(alias)) for alias in item.aliases) if a))
        self._name_norm.append(name)
        self._alias_norm.append(frozenset(aliases))
        self._add_field(_NAME, name)
        if keywords != name:
            self._add_field(_KEYWORDS, keywords)
        grams = _chinese_grams(keywords)
        self._name_bigrams.append(max(len(keywords) - 1, 0))
        basis = canonical_negation(normalize(item.legal_basis + item.item_class.value))
        grams |= {BASIS + basis[i : i + 2] for i in range(len(basis) - 1)}  # bigrams only: 条, 第 say nothing
        for text, is_alias in [(keywords, False)] + [(alias, True) for alias in aliases]:
            words = list(_mmseg.cut(text))
            if not is_alias:  # aliases have their initials field already
                grams |= {INITIALS + run for run in word_initials([_word_letters(word) for word in words])}
            syllables = [syllable for word in words for syllable in _word_pinyin(word)]
            full, initials, sound = "".join(syllables), "".join(s[0] for s in syllables if s), sound_code(syllables)
            if is_alias:
                self._add_field(_ALIAS, text)
                self._add_field(_ALIAS_BAG, _bag(text))
                grams |= _chinese_grams(text)
            self._add_field(_ALIAS_PY if is_alias else _NAME_PY, full)
            self._add_field(_ALIAS_INI if is_alias else _NAME_INI, initials)
            self._add_field(_ALIAS_SOUND if is_alias else _NAME_SOUND, sound)
            grams |= _grams(full, 3, "p") | _grams(initials, 2, "i") | _sound_grams(sound)
        return grams

    # ------------------------------------------------------------ querying

    def search(self, query: str, *, limit: int = 5) -> SearchResult:
        """Best items for a free-text query, and how sure we are; never raises on odd input."""
        parsed = parse_query(query or "", self._kept_words)
        if not parsed.text or not self.items:
            return SearchResult(query=parsed.text, street=parsed.street, area=parsed.area)
        whole = self._position_by_name.get(canonical_negation(normalize((query or "")[:MAX_QUERY_CHARS])))
        ranked = self._rank(parsed.text, limit=max(limit, 2), exact=whole)
        nearest = ranked[:limit]
        best = ranked[0].score if ranked else 0.0
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if (best >= CONFIDENT_FLOOR and best - second >= CONFIDENT_MARGIN) or (
            best >= NEAR_EXACT and best - second >= NEAR_EXACT_MARGIN
        ):
            level = "card"
        elif best >= MAYBE_FLOOR and not (best < FLAT_BELOW and best - second < FLAT_MARGIN):
            level = "maybe"
        else:
            level = "none"
        hits = nearest if level != "none" else []
        return SearchResult(
            query=parsed.text,
            hits=hits,
            nearest=nearest,
            found=level != "none",
            confident=level == "card",
            street=parsed.street,
            area=parsed.area,
            level=level,
        )

    def _candidates(self, query: str, is_latin: bool, extra: set[str] | None = None) -> np.ndarray:
        """Item positions worth scoring: all of a small catalogue, else the best by n-gram overlap."""
        if len(self.items) <= PREFILTER_ALL_BELOW:
            return np.arange(len(self.items), dtype=np.int32)
        if is_latin:
            grams = _grams(query, 3, "p") | _grams(query, 2, "i")
        else:
            grams = _chinese_grams(query) | _sound_grams(sound_code(pinyin_syllables(query)))
        grams |= extra or set()
        known = sorted((g for g in grams if g in self._postings), key=lambda g: len(self._postings[g]))
        # Grams in over a quarter of the items (对, 处罚 ...) cost the most and tell the least:
        # use them only when the query has nothing rarer.
        common_from = len(self.items) // 4
        selective = [g for g in known if len(self._postings[g]) <= common_from] or known
        overlap = np.zeros(len(self.items), dtype=np.float64)
        for gram in selective:
            overlap[self._postings[gram]] += self._gram_weight[gram]
        hit_count = int(np.count_nonzero(overlap))
        if hit_count == 0:
            return np.empty(0, dtype=np.int32)
        take = min(PREFILTER_CANDIDATES, hit_count)
        top = np.argpartition(-overlap, take - 1)[:take]
        return top.astype(np.int32)

    def _rank(self, query: str, *, limit: int, exact: int | None = None) -> list[Hit]:
        is_latin = bool(_LATIN_ONLY.fullmatch(query))
        question = self._evidence.analyse(query)
        candidates = self._candidates(query, is_latin, question.prefilter_grams())
        exact_code = self._position_by_code.get(query) if exact is None else exact
        if exact_code is not None:
            candidates = np.union1d(candidates, [exact_code]).astype(np.int32)
        if candidates.size == 0:
            return []
        if is_latin:
            groups = [(query, _PINYIN_FIELDS, self._score_letters), (query, _INITIALS_FIELDS, self._score_initials)]
            weights = _LATIN_WEIGHTS
        else:
            groups = [
                (query, _CHINESE_FIELDS, self._score_fields),
                (sound_code(pinyin_syllables(query)), _SOUND_FIELDS, self._score_fields),
                (_bag(query), (_ALIAS_BAG,), self._score_bags),
            ]
            weights = _CHINESE_WEIGHTS
        whole_list = len(candidates) == len(self.items)  # a small list: every item, fields grouped once
        field_ids = None if whole_list else self._fields_of(candidates)
        best = np.zeros(len(self.items), dtype=np.float64)
        for probe, group_kinds, scorer in groups:
            fields = self._whole_list_group(group_kinds, weights) if field_ids is None else \
                self._group(field_ids, group_kinds, weights)
            if fields.ids.size:
                np.maximum.at(best, fields.items, scorer(probe, fields) * fields.weights)
        # Fuzzy scores on names are trusted near the top (a name or alias typed almost whole); below,
        # its partial and sound readings are noisy on a list without aliases, so they count less.
        best = np.where(best >= FUZZY_TRUSTED, best, best * FUZZY_DISCOUNT)
        evidence = self._evidence.scores(question, candidates)
        best[candidates] = np.maximum(best[candidates], evidence)
        if exact_code is not None:
            best[exact_code] = 100.0
        positions = candidates[np.argsort(-best[candidates], kind="stable")][: limit * 4]
        scored = [(int(p), round(float(best[p]), 2)) for p in positions]
        scored.sort(key=lambda pair: self._tie_break(pair[0], pair[1], query))
        return [Hit(self.items[position], score) for position, score in scored[:limit]]

    def _group(self, field_ids: np.ndarray, kinds: tuple[int, ...], weights: np.ndarray) -> _Fields:
        """The fields of one scoring group among `field_ids`, with what the scorers read of them."""
        kind = self._field_kind[field_ids]
        in_group = _kind_mask(kinds)[kind]  # a table lookup: np.isin cost ~5% of a reply's CPU
        ids = field_ids[in_group]
        return _Fields(ids, self._field_text[ids].tolist(), self._field_len[ids], self._field_item[ids],
                       weights[kind[in_group]])

    def _whole_list_group(self, kinds: tuple[int, ...], weights: np.ndarray) -> _Fields:
        """As _group over every item, built once per list: a small list is scored whole on every query,
        and gathering the same fields again cost about a tenth of a lookup."""
        key = (kinds, weights.tobytes())
        fields = self._whole_groups.get(key)
        if fields is None:
            fields = self._whole_groups[key] = self._group(np.arange(len(self._field_kind)), kinds, weights)
        return fields

    def _score_fields(
        self, probe: str, fields: _Fields, *, scattered: bool = True, common: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-field score, the best of three readings of the match:

        - whole: the query is (nearly) the field (ratio);
        - contiguous: one is a fragment of the other, discounted by how little of the longer one
          it covers. partial_ratio also scores half-overlaps at the borders (天气 vs 燃气 -> 67),
          so it is capped by the share of the shorter string found in order (LCS);
        - scattered: every character of a query of 4+ characters appears in order in the field
          (街道两侧堆放物料 inside 擅自在街道两侧和公共场地堆放物料), squared so that partial
          coverage by chance stays low.

        `common` is the LCS of the probe with each field, when the caller has it already.
        """
        texts = fields.texts
        if common is None:
            common = _lcs(probe, texts)
        field_len = fields.lens
        query_len = float(len(probe))
        # fuzz.ratio is the normalized Indel similarity, 2·LCS / (len1 + len2): computed from the LCS at
        # hand, in rapidfuzz's own order of operations (1 - distance / total) so that scores stay bit-equal
        total = query_len + field_len
        whole = 100.0 * (1.0 - (total - 2.0 * common) / total)
        best = whole
        if scattered and query_len >= 4:
            best = np.maximum(whole, 88.0 * (common / query_len) ** 2)
        # contiguous = min(partial_ratio, LCS cap) × length factor, so the cap alone bounds it.
        # partial_ratio costs ~10× the other two: compute it only where the bound could still win
        # (same scores, ~1 ms less per lookup on a 50-item list).
        cap = 100.0 * common / np.minimum(field_len, query_len)
        factor = np.where(
            field_len >= query_len,
            0.82 + 0.18 * query_len / field_len,
            0.6 + 0.4 * field_len / query_len,
        )
        open_ = np.flatnonzero(cap * factor > best)
        if open_.size:
            part = process.cdist([probe], [texts[i] for i in open_], scorer=fuzz.partial_ratio, dtype=np.float64)[0]
            best[open_] = np.maximum(best[open_], np.minimum(part, cap[open_]) * factor[open_])
        return best

    def _score_letters(self, probe: str, fields: _Fields) -> np.ndarray:
        """Full pinyin: as _score_fields without the scattered reading (any 4 letters are found in order
        somewhere in a long pinyin string: 'gxdc' would fit every name equally). Initials keep it: officers
        pick a few words of a name, in order (hwzp in 户外…招牌)."""
        return self._score_fields(probe, fields, scattered=False)

    def _score_initials(self, probe: str, fields: _Fields) -> np.ndarray:
        """Initials: officers pick a few words of a name in order (hwzp in 户外…招牌), so letters found in
        order count, but only as far as they come in pairs as in the name: four lone letters in order are
        found in most long names ('gxdc' in gwxyscjydw…)."""
        common = _lcs(probe, fields.texts)
        whole = self._score_fields(probe, fields, scattered=False, common=common)
        if len(probe) < 4:
            return whole
        adjacent = np.zeros(len(fields.texts))
        for pair in [probe[i : i + 2] for i in range(len(probe) - 1)]:  # a repeated pair counts each time
            adjacent += fields.contains(pair)
        scattered = 88.0 * (common / len(probe)) ** 2 * (2.0 + adjacent) / (1.0 + len(probe))
        return np.maximum(whole, scattered)

    def _score_bags(self, probe: str, fields: _Fields) -> np.ndarray:
        """Order-free reading for aliases: the share of the shorter bag found in the other,
        squared, discounted by the length difference; only for strings of 3+ characters."""
        common = _lcs(probe, fields.texts)
        field_len = fields.lens
        query_len = float(len(probe))
        shorter = np.minimum(field_len, query_len)
        covered = (common / shorter) ** 2
        length_factor = 0.6 + 0.4 * shorter / np.maximum(field_len, query_len)
        return np.where(shorter >= 3, 100.0 * covered * length_factor, 0.0)

    def _tie_break(self, position: int, score: float, query: str) -> tuple[float, int, int, int, str]:
        """Score first; then an exact alias, then the query inside the name, then shorter names."""
        item = self.items[position]
        exact_alias = query in self._alias_norm[position]
        in_name = query in self._name_norm[position]
        return (-score, -int(exact_alias), -int(in_name), len(item.name), item.code)


@lru_cache(maxsize=8)
def _normalized_entries(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """Field and legal words in the form questions and names are compared in (没有 -> 无 ...)."""

    def words(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for w in (canonical_negation(normalize(v)) for v in values) if w))

    return tuple(Entry(words(e.field_words), words(e.legal_words), e.domain, e.source) for e in entries)


def build_index(items: Sequence[CatalogueItem]) -> SearchIndex:
    """Convenience for callers holding a list: the index for exactly these items."""
    return SearchIndex(items)
