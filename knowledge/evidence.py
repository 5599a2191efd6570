"""How much of a question an item explains: character n-grams, sounds and the domain thesaurus.

Why this and not a word segmenter: jieba (the usual choice, dictionary in its wheel) costs +77 MB RSS
and 0.94 s CPU to load its dictionary (measured, see docs/design.md), which breaks
the 120 MB idle-RSS and 2 s start-up limits. Character unigrams + bigrams need no dictionary, and the
domain words that matter are in the thesaurus, matched longest-first. Every question is turned into
tokens (a hanzi with its syllable, or a pinyin syllable typed in Latin letters), so 私装disuo, 冲电
and `can chu la ji` are all compared with the item by sound as well as by characters.

The score of an item is a weighted coverage (BM25-like: rare n-grams weigh more, common ones like
处罚 almost nothing): the share of the question that the item's name, legal basis, class or the
thesaurus expansion explains, plus a little for the share of the item's name the question covers.
It is absolute (0-100), so it also says when nothing is near.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge.thesaurus import Entry, Thesaurus

# The 410 toneless syllables of Mandarin (pypinyin's inventory); used to split typed pinyin.
_SYLLABLES = frozenset(
    """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng
    cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu
    cuan cui cun cuo da dai dan dang dao de den deng di dian diao die ding diu dong dou du duan dui dun duo e ei en eng
    er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui
    gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie
    jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la
    lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve ma mai man
    mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang
    niao nie nin ning niu nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin
    ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru
    rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shen sheng shi shou shu shua shuai
    shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong
    tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue
    xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan
    zhang zhao zhe zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun
    zuo""".split()
)
_MAX_SYLLABLE = 6
_HANZI = re.compile(r"[\u3400-\u9fff]")
# Hanzi runs; letter-digit codes (3c, 12345) whole; Latin letters (pinyin or initials); anything else.
_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]*[0-9][a-z0-9]*|[a-z]+|.")

# Characters that carry no meaning alone in a question (they still count inside bigrams).
STOP_CHARS = frozenset("把在了的也不很有人我们他她它就都还又被给让是个这那一上下里进去来到说着过得地要会能可和与或及等对其者以")
UNIGRAM_WEIGHT = 0.3
WHOLE_CACHE_ENTRIES = 20_000  # terms and legal words kept for a list scored whole (≤ 400 items: ≤ 12 MB)
BASIS_FACTOR = 0.5
SOUND_FACTOR = 0.85
THESAURUS_FACTOR = 0.9
INITIALS_FACTOR = 0.8
NAME_SHARE = 0.1
UNKNOWN_BIGRAM_WEIGHT = 0.6
UNKNOWN_UNIGRAM_WEIGHT = 0.0
MASS_SHARE = 0.15
MASS_SATURATION = 3.0
SPAN_WEIGHT = 1.0
SHORT_SPAN_WEIGHT = 0.5  # one-character field words (倒, 狗) say less
# Where and who, not what was done: a question explained only by its setting (工地欠薪 -> 施工工地 ...)
# is about something else. These words still count, at SETTING_FACTOR of their weight.
SETTING_WORDS = frozenset(
    """小区 门口 店门 路边 路口 马路 街上 街边 店里 店铺 店面 商铺 超市 商场 饭店 餐馆 饭馆 后厨 厨房 工地 企业 公司
    厂里 工厂 厂房 车间 市场 居民 住户 老板 商家 店家 楼上 楼下 邻居 晚上 半夜 早上 白天 村里 城区 市区 现场 附近
    单位 员工 工人 顾客 小店 门店 仓库 楼道 学校 医院 人行 行道""".split()
)
SETTING_FACTOR = 0.5
# Places named by what they are (火锅店, 理发店, 菜馆, 加工厂, 停车场 …) are settings too, whatever the word before.
SETTING_SUFFIXES = frozenset("店馆铺厂场厅")


def is_setting(text: str) -> bool:
    """Where or who: a listed setting word, or a word of 2+ characters that ends in a place suffix."""
    return text in SETTING_WORDS or (len(text) >= 2 and text[-1] in SETTING_SUFFIXES)

# What was done (卖, 倒, 挖 ...): an item that explains none of the question's act words, directly or
# through the thesaurus, is about something else done to the same thing; its score is cut.
ACT_CHARS = frozenset("卖售摆倒排偷挖拆改装养烧堆占停充挂贴涂砍吵搭修洗运扔撒漏存囤掺锁堵晾喷抢骗赌打拖欠拒闯逆超")
ACT_SUPPORT = 0.4
ACT_PENALTY = 0.7


@lru_cache(maxsize=4096)
def split_pinyin(run: str) -> tuple[str, ...] | None:
    """'canchulaji' -> ('can', 'chu', 'la', 'ji'); None when the letters are not all syllables.
    Fewest syllables wins (xian, not xi an), which is how people type."""
    best: list[tuple[str, ...] | None] = [None] * (len(run) + 1)
    best[0] = ()
    for end in range(1, len(run) + 1):
        for size in range(1, min(_MAX_SYLLABLE, end) + 1):
            before = best[end - size]
            piece = run[end - size : end]
            if before is not None and piece in _SYLLABLES:
                candidate = (*before, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(run)]


@dataclass(frozen=True)
class Token:
    text: str  # the hanzi, or "" for a syllable typed in Latin letters
    sound: str  # one syllable; for an unsplittable Latin run, the run itself
    latin: bool = False


def tokenize(text: str, syllables_of: Callable[[str], list[str]]) -> list[Token]:
    """Hanzi get their syllables (in context, via `syllables_of`); Latin runs are split into syllables."""
    tokens: list[Token] = []
    for run in _RUNS.findall(text):
        if _HANZI.match(run):
            sounds = syllables_of(run)
            if len(sounds) != len(run):
                sounds = [s for ch in run for s in syllables_of(ch)[:1]]
            tokens.extend(Token(ch, sound) for ch, sound in zip(run, sounds, strict=False))
        elif run.isalpha() and run.isascii():
            split = split_pinyin(run)
            if split:
                tokens.extend(Token("", syllable, latin=True) for syllable in split)
            else:
                tokens.append(Token("", run, latin=True))
        else:
            tokens.append(Token(run, run))
    return tokens


def text_grams(text: str) -> set[str]:
    """Character unigrams and bigrams."""
    return set(text) | {text[i : i + 2] for i in range(len(text) - 1)}


def initials_of(syllables: Sequence[str]) -> str:
    """'zhan dao' -> 'zd'; '' when a syllable is not pinyin (digits, codes)."""
    if all(s.isalpha() and s.isascii() for s in syllables):
        return "".join(s[0] for s in syllables)
    return ""


def word_initials(letters: Sequence[str]) -> set[str]:
    """Initials of runs of up to 3 whole words (`letters` per word, see initials_of), 3-6 letters
    (2 letters fit too many names): 餐厨垃圾 -> cclj ...; runs with digits or codes are left out."""
    found = set()
    for start in range(len(letters)):
        run = ""
        for end in range(start, min(start + 3, len(letters))):
            if not letters[end]:
                break
            run += letters[end]
            if len(run) > 6:
                break
            if len(run) >= 3:
                found.add(run)
    return found


Strengths = list[tuple[int, int, np.ndarray]]

# Posting keys shared with search.py's prefilter: c = name/alias n-gram, s = sound bigram,
# b = legal basis / class n-gram, w = initials of a run of words.
NAME, SOUND, BASIS, INITIALS = "c", "s", "b", "w"


class Evidence:
    """Scores items of one catalogue against questions, from the index's postings (term -> item
    positions as numpy arrays: compact at 10,000 items, and vectorised per question)."""

    def __init__(
        self,
        count: int,
        postings: dict[str, np.ndarray],
        name_bigrams: np.ndarray,
        entries: Sequence[Entry],
        syllables_of: Callable[[str], list[str]],
        sound_key: Callable[[Sequence[str]], str],
    ) -> None:
        self.count = max(count, 1)
        self.postings = postings
        self.name_bigrams = name_bigrams
        self.syllables_of = syllables_of
        self.sound_key = sound_key
        self._log_n = math.log(1.0 + self.count)
        # A small list is scored whole on every question, so what a term or a legal word says about
        # each item is the same from one question to the next: kept (read-only arrays, bounded).
        self._whole: _Terms | None = None
        self.thesaurus = Thesaurus(entries)
        self.legal_grams: dict[str, frozenset[str]] = {}
        # Field words of 2+ syllables by their first two: a question token looks up only the words that can
        # start there (by the first syllable alone, 1,081 rows gave ~80 µs of tuple compares per question).
        self._sound_keys: dict[tuple[str, str], list[tuple[tuple[str, ...], frozenset[str]]]] = {}
        self._initials_keys: dict[str, set[str]] = {}
        for word, legal in self.thesaurus.by_word.items():
            for legal_word in legal:
                self.legal_grams.setdefault(legal_word, frozenset(_bigrams_or_char(legal_word)))
            if len(word) >= 2 and _HANZI.search(word):
                sounds = tuple(syllables_of(word))
                if len(sounds) >= 2:
                    self._sound_keys.setdefault((sounds[0], sounds[1]), []).append((sounds, legal))
                letters = initials_of(sounds)
                if len(letters) >= 3:  # xgg -> 小广告 (two letters would fit too many words)
                    self._initials_keys.setdefault(letters, set()).update(legal)

    def _df(self, key: str) -> int:
        posting = self.postings.get(key)
        return 0 if posting is None else len(posting)

    # ------------------------------------------------------------------ question side

    def analyse(self, text: str) -> Question:
        tokens = tokenize(text, self.syllables_of)
        spans = self._spans(tokens)
        expansion: set[str] = set()
        for _start, _end, legal in spans:
            for word in legal:
                expansion |= self.legal_grams.get(word, frozenset())
        units = self._units(tokens, spans)
        return Question(tokens, spans, units, frozenset(expansion))

    def _spans(self, tokens: list[Token]) -> list[tuple[int, int, frozenset[str]]]:
        chars = "".join(t.text if len(t.text) == 1 else "\x00" for t in tokens)
        spans = list(self.thesaurus.text_spans(chars))
        covered = {i for start, end, _ in spans for i in range(start, end)}
        sounds = [t.sound for t in tokens]
        for i, token in enumerate(tokens):
            if token.latin and token.sound in self._initials_keys:
                spans.append((i, i + 1, frozenset(self._initials_keys[token.sound])))
            whole = token.text if len(token.text) > 1 else token.sound if token.latin else ""
            if whole in self.thesaurus.by_word:  # a code or a Latin word of the thesaurus (3c, ccc)
                spans.append((i, i + 1, self.thesaurus.by_word[whole]))
        pairs = list(zip(sounds, sounds[1:], strict=False))
        position = 0
        while position < len(tokens):
            best: tuple[tuple[str, ...], frozenset[str]] | None = None
            starting_here = self._sound_keys.get(pairs[position], ()) if position < len(pairs) else ()
            for key, legal in starting_here:
                end = position + len(key)
                if tuple(sounds[position:end]) == key and not covered.intersection(range(position, end)):
                    if best is None or len(key) > len(best[0]):
                        best = (key, legal)
            if best is not None:
                spans.append((position, position + len(best[0]), best[1]))
                position += len(best[0])
            else:
                position += 1
        return spans

    def _weight(self, keys: Sequence[str]) -> float:
        """Rare n-grams weigh up to 1, n-grams in every item almost 0; unknown ones count fully."""
        df = max((self._df(key) for key in keys), default=0)
        if df == 0:
            return 1.0
        return math.log(1.0 + self.count / df) / self._log_n

    def _units(self, tokens: list[Token], spans: list[tuple[int, int, frozenset[str]]]) -> list[Unit]:
        # Each field word found counts as one word of evidence, whatever its length (狗 as much as 摆地摊).
        def setting(start: int, end: int) -> float:
            return SETTING_FACTOR if is_setting("".join(t.text for t in tokens[start:end])) else 1.0

        def span_weight(start: int, end: int) -> float:
            whole_word = end - start > 1 or tokens[start].latin or len(tokens[start].text) > 1  # 摆地摊, disuo, 3c
            return setting(start, end) * (SPAN_WEIGHT if whole_word else SHORT_SPAN_WEIGHT)

        units = [Unit(start, end, "", "", "", span_weight(start, end), span=True) for start, end, _ in spans]
        for i, token in enumerate(tokens):
            if token.latin and token.sound not in _SYLLABLES:  # pinyin initials or a code
                units.append(Unit(i, i + 1, "", "", token.sound, 1.0))
                continue
            if token.text in STOP_CHARS or not token.text:
                continue
            inside_span = any(start <= i < end for start, end, _ in spans)
            weight = self._weight([NAME + token.text, BASIS + token.text])
            if weight == 1.0 and not inside_span:
                weight = UNKNOWN_UNIGRAM_WEIGHT  # a character no item knows: noise, not evidence
            units.append(Unit(i, i + 1, token.text, "", "", UNIGRAM_WEIGHT * weight))
        inside = {i for start, end, _ in spans for i in range(start, end - 1)}
        for i in range(len(tokens) - 1):
            a, b = tokens[i], tokens[i + 1]
            if (a.latin and a.sound not in _SYLLABLES) or (b.latin and b.sound not in _SYLLABLES):
                continue
            if a.text in STOP_CHARS or b.text in STOP_CHARS:
                continue
            text = a.text + b.text if a.text and b.text and not a.latin and not b.latin else ""
            sound = self.sound_key((a.sound, b.sound))
            keys = [SOUND + sound] + ([NAME + text, BASIS + text] if text else [])
            weight = self._weight(keys)
            if weight == 1.0 and i not in inside:  # two characters no item and no field word knows
                weight = UNKNOWN_BIGRAM_WEIGHT
            units.append(Unit(i, i + 2, text, sound, "", weight * setting(i, i + 2)))
        return units

    # ------------------------------------------------------------------ item side

    def scores(self, question: Question, candidates: np.ndarray) -> np.ndarray:
        """0-100 per candidate: weighted share of the question explained, plus a share of its name covered."""
        if not question.units or len(candidates) == 0:
            return np.zeros(len(candidates))
        return self._scores(question, candidates, *self._unit_values(question, candidates))

    def _unit_values(self, question: Question, candidates: np.ndarray) -> tuple[np.ndarray, _Terms, Strengths]:
        """How well each candidate explains each unit of the question (units × candidates, 0–1), with the
        term lookup and the thesaurus span strengths that the score needs again."""
        size = len(candidates)
        present = self._terms(candidates)
        strengths = [(start, end, self._span_strength(legal, present, size)) for start, end, legal in question.spans]
        values = np.zeros((len(question.units), size))
        for row, unit in enumerate(question.units):
            if unit.span:
                value = np.zeros(size)
                for start, end, strength in strengths:
                    if start == unit.start and end == unit.end:
                        value = np.maximum(value, THESAURUS_FACTOR * strength)
            elif unit.initials:
                value = INITIALS_FACTOR * present(INITIALS + unit.initials)
            else:
                value = np.zeros(size)
                if unit.text:
                    value = np.where(present(NAME + unit.text), 1.0, BASIS_FACTOR * present(BASIS + unit.text))
                if unit.sound:
                    value = np.maximum(value, SOUND_FACTOR * present(SOUND + unit.sound))
                for start, end, strength in strengths:
                    if start <= unit.start and unit.end <= end:
                        value = np.maximum(value, THESAURUS_FACTOR * strength)
            values[row] = value
        return values, present, strengths

    def _terms(self, candidates: np.ndarray) -> _Terms:
        """Term lookups for these candidates; for every item in order (a small list is scored whole on
        every question) the same lookups serve the next question too."""
        if len(candidates) != self.count or not np.array_equal(candidates, np.arange(self.count)):
            return _Terms(self, candidates)
        if self._whole is None or len(self._whole.found) + len(self._whole.strengths) > WHOLE_CACHE_ENTRIES:
            self._whole = _Terms(self, None)
        return self._whole

    def _scores(
        self, question: Question, candidates: np.ndarray, values: np.ndarray, present: _Terms, strengths: Strengths
    ) -> np.ndarray:
        size = len(candidates)
        weights = np.array([unit.weight for unit in question.units])
        total = float(weights.sum())
        explained = weights @ values
        acts = [i for i, token in enumerate(question.tokens) if token.text in ACT_CHARS]
        if acts and ACT_PENALTY < 1.0:
            support = np.zeros(size)
            for i in acts:
                char = question.tokens[i].text
                value = np.where(present(NAME + char), 1.0, BASIS_FACTOR * present(BASIS + char))
                for start, end, strength in strengths:
                    if start <= i < end:
                        value = np.maximum(value, THESAURUS_FACTOR * strength)
                support = np.maximum(support, value)
            explained = np.where(support >= ACT_SUPPORT, explained, ACT_PENALTY * explained)
        coverage = explained / total if total else explained
        # A long scene explained in two or three places is as good as a short one explained fully:
        # the explained weight itself counts too, saturating at MASS_SATURATION bigrams' worth.
        coverage = (1.0 - MASS_SHARE) * coverage + MASS_SHARE * np.minimum(1.0, explained / MASS_SATURATION)
        seen = question.expansion | {u.text for u in question.units if len(u.text) == 2}
        covered = np.zeros(size)
        for gram in seen:
            if len(gram) == 2:
                covered += present(NAME + gram)
        name_share = np.minimum(1.0, 2.0 * covered / np.maximum(self.name_bigrams[candidates], 1))
        return 100.0 * ((1.0 - NAME_SHARE) * coverage + NAME_SHARE * name_share)

    def _span_strength(self, legal: frozenset[str], present: _Terms, size: int) -> np.ndarray:
        best = np.zeros(size)
        for word in legal:
            strength = present.strength(word)
            if strength is not None:
                best = np.maximum(best, strength)
        return best


class _Terms:
    """Which candidates hold a term (name, basis, sound or initials key), and how strongly each
    candidate holds a legal word of the thesaurus; each looked up once, kept as read-only arrays."""

    def __init__(self, evidence: Evidence, candidates: np.ndarray | None) -> None:
        """`candidates` None: every item of the list, in order (postings index them directly)."""
        self.evidence = evidence
        self.size = evidence.count if candidates is None else len(candidates)
        self.local: np.ndarray | None = None  # candidate index of each item
        if candidates is not None:
            self.local = np.full(evidence.count, -1, dtype=np.int32)
            self.local[candidates] = np.arange(self.size, dtype=np.int32)
        self.found: dict[str, np.ndarray] = {}
        self.strengths: dict[str, np.ndarray | None] = {}

    def __call__(self, key: str) -> np.ndarray:
        """Boolean per candidate: the term is in the item."""
        found = self.found.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            posting = self.evidence.postings.get(key)
            if posting is not None:
                if self.local is None:
                    found[posting] = True
                else:
                    mapped = self.local[posting]
                    found[mapped[mapped >= 0]] = True
            found.flags.writeable = False
            self.found[key] = found
        return found

    def strength(self, word: str) -> np.ndarray | None:
        """Share of a legal word's bigrams in each candidate's name (1) or legal basis (BASIS_FACTOR)."""
        if word in self.strengths:
            return self.strengths[word]
        grams = self.evidence.legal_grams.get(word)
        strength = None
        if grams:
            strength = np.zeros(self.size)
            for gram in grams:
                strength += np.where(self(NAME + gram), 1.0, BASIS_FACTOR * self(BASIS + gram))
            strength /= len(grams)
            strength.flags.writeable = False
        self.strengths[word] = strength
        return strength


def _bigrams_or_char(word: str) -> set[str]:
    return {word[i : i + 2] for i in range(len(word) - 1)} or {word}


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    text: str
    sound: str
    initials: str
    weight: float
    span: bool = False


@dataclass(frozen=True)
class Question:
    tokens: list[Token]
    spans: list[tuple[int, int, frozenset[str]]]
    units: list[Unit]
    expansion: frozenset[str]

    def prefilter_grams(self) -> set[str]:
        """N-grams for the candidate prefilter of a large catalogue (same prefixes as search.py)."""
        grams = {"c" + u.text for u in self.units if u.text} | {"c" + g for g in self.expansion}
        return grams
