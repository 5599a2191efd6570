"""Typed places → street, for officers without GPS: "金山社区附近", "海滨", "jinshan", "金三社区".

Matches against the communities and streets of knowledge/data/*.csv and the 中山路商圈 area.
Three signals, best one wins: the Chinese name inside the text (exact), the name's pinyin
inside the text's pinyin (homophone typos, Latin input), and rapidfuzz similarity of pinyin
(one wrong syllable). Fuzzy scores are discounted so exact hits always rank first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

from knowledge.gazetteer import ZHONGSHAN_AREA, ZHONGSHAN_ZONE, communities, streets

PlaceKind = Literal["street", "community", "area"]

SCORE_FULL_NAME = 100.0  # 金山社区 / 海滨街道 / 中山路商圈 written out
SCORE_CORE_NAME = 96.0  # 金山 / 海滨 / 中山路
SCORE_PINYIN_INSIDE = 90.0  # 金删社区 (same sound) or "jinshan"
FUZZY_WEIGHT = 0.9  # rapidfuzz similarity of core pinyin × this: 金三 → 83
MIN_SCORE = 76.0
MAX_TEXT = 200  # an address is short; longer text is cut before fuzzy matching
_MIN_PINYIN_KEY = 4  # shorter pinyin keys ("xi") match everywhere by accident
_PINYIN_SLACK = 8  # letters a text may have beyond a name's pinyin ("shequ", "fujin")

# Words around a place name that say nothing about which place it is.
_FILLER = re.compile(
    r"泉州市|泉州|鲤城区|鲤城|附近|旁边|周边|周围|一带|这边|那边|门口|对面|路口|里面|边上|左右|大概|位置|地址|在"
)
# Kind words, dropped before fuzzy comparison so that a shared "shequ" does not make
# 金三社区 look like 锦田社区.
_KIND_WORDS = re.compile(r"社区居委会|居委会|社区|街道办事处|办事处|街道|商圈")
_NOT_WORD = re.compile(r"[\W_]+")
_KIND_ORDER: dict[PlaceKind, int] = {"street": 0, "community": 1, "area": 2}


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """One candidate place for a typed address.

    street is None only for 中山路商圈 (it spans streets of 老城区: the user picks one).
    """

    kind: PlaceKind
    name: str  # what to show: 金山社区 / 海滨街道 / 中山路商圈
    street: str | None
    community: str | None
    zone: str
    score: float


@dataclass(frozen=True, slots=True)
class _Place:
    kind: PlaceKind
    name: str
    street: str | None
    community: str | None
    zone: str
    full_keys: tuple[str, ...]
    core_keys: tuple[str, ...]
    pinyin_keys: tuple[str, ...]  # of full and core names, for "pinyin inside the text"
    core_pinyin_keys: tuple[str, ...]  # of core names, for fuzzy similarity


def _pinyin(text: str) -> str:
    """金山社区 → 'jinshanshequ'; Latin letters and digits pass through (lower-cased)."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL)).lower()


def _place(
    kind: PlaceKind,
    name: str,
    street: str | None,
    community: str | None,
    zone: str,
    full: tuple[str, ...],
    core: tuple[str, ...],
) -> _Place:
    pinyin = tuple(dict.fromkeys(_pinyin(k) for k in full + core))
    core_pinyin = tuple(dict.fromkeys(_pinyin(k) for k in core))
    return _Place(kind, name, street, community, zone, full, core, pinyin, core_pinyin)


@cache
def _places() -> tuple[_Place, ...]:
    zone_of = {street.name: street.zone for street in streets()}
    places = [
        _place("street", s.name, s.name, None, s.zone, (s.name,), (s.short_name,))
        for s in streets()
    ]
    places += [
        _place(
            "community",
            c.short_name,
            c.street,
            c.short_name,
            zone_of[c.street],
            (c.name, c.short_name),
            (c.core,),
        )
        for c in communities()
    ]
    places.append(
        _place(
            "area",
            ZHONGSHAN_AREA,
            None,
            None,
            ZHONGSHAN_ZONE,
            (ZHONGSHAN_AREA, "中山路步行街"),
            ("中山路", "中山商圈"),
        )
    )
    return tuple(places)


def _normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _score(place: _Place, text: str, text_pinyin: str, core_pinyin: str) -> float:
    if any(key in text for key in place.full_keys):
        return SCORE_FULL_NAME
    if any(key in text for key in place.core_keys):
        return SCORE_CORE_NAME
    # Sound-alike matching only when the text is about as long as the name: in a
    # sentence, 今天 sounds like 锦田 and partial matches of short keys are noise.
    for key in place.pinyin_keys:
        short_text = len(core_pinyin) <= len(key) + _PINYIN_SLACK
        if len(key) >= _MIN_PINYIN_KEY and short_text and key in text_pinyin:
            return SCORE_PINYIN_INSIDE
    if not core_pinyin:
        return 0.0
    return max(
        FUZZY_WEIGHT * fuzz.ratio(key, core_pinyin) for key in place.core_pinyin_keys
    )


def match_place(
    text: str, *, limit: int = 5, min_score: float = MIN_SCORE
) -> list[PlaceMatch]:
    """Candidate places for a typed address, best first; [] when nothing is close.

    A name written out in Chinese hides sound-alike candidates. Equal scores list the
    street before its community (开元 is both a street and a community of that street,
    and the street is what routing needs).
    """
    normalised = _normalise(text)[:MAX_TEXT]
    if not normalised:
        return []
    text_pinyin = _pinyin(normalised)
    core_pinyin = _pinyin(_KIND_WORDS.sub("", _FILLER.sub("", normalised)))
    found = []
    for place in _places():
        score = _score(place, normalised, text_pinyin, core_pinyin)
        if score >= min_score:
            found.append(
                PlaceMatch(
                    place.kind,
                    place.name,
                    place.street,
                    place.community,
                    place.zone,
                    score,
                )
            )
    if any(m.score >= SCORE_CORE_NAME for m in found):
        # A name written out in Chinese beats every sound-alike: 华星 must not offer 华新.
        found = [m for m in found if m.score >= SCORE_CORE_NAME]
    found.sort(key=lambda m: (-m.score, _KIND_ORDER[m.kind], m.name))
    return found[:limit]
