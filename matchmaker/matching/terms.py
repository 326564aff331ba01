"""Which shared terms an explanation may name: specific ones, never numbers or generic words.

A broker repeats an explanation's shared terms to the enterprise, so 两个, 不到, 现有, 装置, 30°c
or "based" read as noise there. This filter is used by explanations only: the ranking keeps
text.GENERIC_WORDS and every token it sees.

A term is judged from sources that are maintained elsewhere, checked in this order:

1. the sector chains (keywords, core terms, synonyms, numbers inside keywords such as 5G专网):
   always specific, however frequent;
2. numbers and quantities (120kw, 3.5mm, 50%, bare units such as cm2, 第二, 两个, 三种, 万吨);
3. text.GENERIC_WORDS and the short hand list below (what the next sources miss); a synonym
   group with a listed member is generic as a whole (设备 / equipment / 装备);
4. the glossary and the technical translations (data/*.json): specific;
5. jieba's dictionary, which tags each word with a part of speech and its frequency in general
   Chinese text: numerals and quantifiers never qualify, nor do adverbs, pronouns,
   prepositions, conjunctions, particles, locality and time words unless rare; verbs and
   adjectives do only when rare in general text (焊接 yes, 进行 / 连接 no); nouns common in
   general text (结构, 问题) only when the corpus shows them to be rare across profiles;
6. a compound made only of generic parts (关键技术, 控制技术) is generic too;
7. a term present in a large share of the matcher's profiles (document frequency) says nothing.
"""
import importlib.util
import re
import weakref
from functools import lru_cache
from pathlib import Path

from matchmaker.matching.text import GENERIC_WORDS, SYNONYM_PREFIX, ascii_term, normalize

# Parts of speech (jieba / ICTCLAS tags) that never name a technology: numerals and quantifiers
# (两个, 兆瓦) always; adverbs, pronouns, prepositions, conjunctions, particles, locality, time,
# place, status words, interjections, onomatopoeia, prefixes and suffixes (不断, 底部, 国内) once
# seen FUNCTION_FLOOR times in general text: closed classes are frequent by nature, and the rare
# words tagged so are mostly technical words jieba mis-tagged (逐层 d 32, 大幅面 d 3).
NUMERAL_TAGS = frozenset(("m", "mq", "mg", "q"))
FUNCTION_TAGS = frozenset(
    "d dg df r rr rz rg p c u uj ul uz ud ug uv f t tg s e y o z zg h k".split())  # noqa: SIM905
FUNCTION_FLOOR = 100
# Verbs, adjectives, distinguishing words, idioms and set phrases: generic when at least this
# frequent in jieba's general corpus (进行 54355, 连接 2554, 现有 2679; 焊接 268, 集成 741).
VERBAL_TAGS = frozenset("v vn vd vi vg vq a ad an ag b i l".split())  # noqa: SIM905
COMMON_VERBAL = 1000
# Nouns (and whatever else jieba tags): generic when this frequent in general text and found in
# at least NOUN_SPREAD of the profiles (结构 14200, 装置 3534), or when very frequent (问题);
# a frequent noun that few profiles use (汽车, 铁路 in the real listings) still names something.
COMMON_NOUN = 3000
VERY_COMMON = 20000
NOUN_SPREAD = 0.02
# Any term found in at least this share of the profiles is generic (chain and glossary aside).
CORPUS_SHARE = 0.2
# Below this many profiles document frequencies say little, so only the dictionary decides.
MIN_PROFILES = 30
REASONS_KEPT = 50_000  # (token, share) answers a filter keeps before starting afresh

# What the sources above miss, mostly nouns of parts and properties that the dictionary finds
# rare (部件, 壳体, 参数) and general words of the glossary (数据 = data), plus English, which
# has no dictionary here. Kept short on purpose: extend only with a word seen named in explanations.
HAND_GENERIC = frozenset("""
部件 零部件 元件 单元 模块 整体 主体 本体 端部 外壳 壳体 底座 基体 机构 结构 原理 特性 参数
指标 步骤 环节 优点 缺点 优势 特点 场景 场合 用途 手段 措施 途径 思路 类型 种类 形式 数量 数值 比例
效果 功能 能力 过程 方式 数据 测试 安全 影响 智能 小于 大于 解决方案 关键技术
based using used use high low new novel approach process application performance design study
analysis result data problem proposed propose improved improve effect effective efficient
different various large small type kind part way provide present paper work good better main
key important product equipment structure function property parameter feature advantage
solution
""".split())  # noqa: SIM905 - a word list reads best as text

# Technical words the dictionary mis-tags as function words (阵列 q: array; 湿热 z: damp heat,
# the photovoltaic module test): named like any specific term.
HAND_SPECIFIC = frozenset(("阵列", "湿热"))

_UNIT = (r"(?:gw|mw|kw|w|kv|v|ma|a|mah|ah|nm|μm|um|mm|cm|dm|km|m|mpa|kpa|pa|bar|kg|mg|g|t|l|ml"
         r"|℃|°c|°|k|h|s|ms|min|kwh|mwh|wh|hz|khz|mhz|ghz|thz|db|dbm|fs|ps|ns|gbps|tbps|mbps|rpm"
         r"|nh|mω|ω|lm|cd|lx|ppm|ppb|%)")
_BARE_UNIT = (r"(?:gw|mw|kw|kv|mah|nm|μm|um|mm|cm|km|mpa|kpa|℃|°c|kwh|mwh|wh|khz|mhz|ghz|thz"
              r"|dbm|gbps|tbps|mbps|rpm|ppm|ppb)")
# A number with or without a unit (120kw, 3.5mm, 1000), or a unit alone (mpa, m2, mw/cm2);
# ambiguous short units alone (pa, cd, ps: polyamide, cadmium, polystyrene) are left alone.
_POWER = rf"(?:[23²³]|/{_UNIT}[23²³]?)"
_QUANTITY = re.compile(rf"[+-]?\d+(?:[.,]\d+)*(?: ?{_UNIT}{_POWER}?)?|{_BARE_UNIT}{_POWER}?"
                       rf"|[kcdmnμu]?m{_POWER}|{_UNIT}/{_UNIT}[23²³]?")
# Chinese numerals with at most one classifier: 两个, 三种, 第二, 十年, 万吨.
_CHINESE_NUMBER = re.compile(r"第?[\d零〇一二两三四五六七八九十百千万亿几数半]+"
                             r"[个种类项次台套件条名位年月日天周倍级层代期批块片只份元吨米度成届]?")


@lru_cache(maxsize=1)
def jieba_lexicon() -> dict[str, tuple[int, str]]:
    """Return the words of jieba's dictionary that can be generic, as word -> (frequency in
    general text, part of speech).

    Content words rarer than the thresholds are left out, since they are specific whatever
    their tag: that keeps ~21k of its 349k words (all of them would take ~130 MB)."""
    spec = importlib.util.find_spec("jieba")  # the file only: importing jieba is not needed
    path = Path(spec.origin).with_name("dict.txt")
    lexicon = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word, freq, tag = line.split()
            if _may_be_generic(int(freq), tag):
                lexicon[word] = (int(freq), tag)
    return lexicon


def _may_be_generic(freq: int, tag: str) -> bool:
    if tag in NUMERAL_TAGS:
        return True
    if tag in FUNCTION_TAGS:
        return freq >= FUNCTION_FLOOR
    return freq >= (COMMON_VERBAL if tag in VERBAL_TAGS else COMMON_NOUN)


def is_quantity(term: str) -> bool:
    """Return whether term is a number or quantity (with or without unit), or a bare unit."""
    return bool(_QUANTITY.fullmatch(term) or _CHINESE_NUMBER.fullmatch(term))


def lexical_reason(word: str, spread: float | None) -> str | None:
    """Return why jieba's dictionary finds word generic ("function word", "common word"), or
    None; spread is the share of profiles that use it, None when unknown."""
    entry = jieba_lexicon().get(word)
    if entry is None:
        return None
    freq, tag = entry
    if tag in NUMERAL_TAGS or tag in FUNCTION_TAGS:
        return "function word"
    if tag in VERBAL_TAGS:
        return "common word"
    if freq >= VERY_COMMON or spread is None or spread >= NOUN_SPREAD:
        return "common word"
    return None


class TermFilter:
    """Decide which of a matcher's tokens an explanation may name.

    Parameters
    ----------
    analyzer : the matcher's text.Analyzer; every listed word is cut by it, so a hand-listed
        设备 also catches the synonym token it folds to (设备 / equipment / 装备).
    chain_groups : the chains' synonym groups (the rest of the analyzer's groups are glossary).
    chain_terms : the chains' keywords and core terms, Chinese and English.
    """

    def __init__(self, analyzer, chain_groups, chain_terms):
        chain_groups = {tuple(g) for g in chain_groups}
        glossary = [t for g in analyzer.synonyms if g not in chain_groups for t in g]
        glossary += [t for g in analyzer.translations for t in g]
        chain_words = [*chain_terms, *(t for g in chain_groups for t in g)]
        # A number inside a chain keyword is the sector's own vocabulary (5G专网, 800V高压平台).
        self.chain_tokens = self._tokens(analyzer, chain_words) | {
            t for word in chain_words for t in analyzer.words(word) if is_quantity(t)}
        self.generic_tokens = self._tokens(analyzer, GENERIC_WORDS | HAND_GENERIC)
        self.glossary_tokens = self._tokens(analyzer, glossary)
        self._reasons: dict[tuple[str, float | None], str | None] = {}

    @staticmethod
    def _tokens(analyzer, words) -> frozenset[str]:
        """Return the tokens of the words that the analyzer keeps whole (as a token of their own,
        a synonym group's or a translation's)."""
        tokens = set()
        for word in words:
            cut = analyzer.words(word)
            # The word must be the whole token: 超表面 cut to 表面 (超 dropped) or 安全岛 folded to
            # 安全's synonym token (岛 dropped) does not make 表面 or 安全 a listed word.
            if len(cut) == 1 and cut[0] in (normalize(word),
                                            analyzer.fold_synonyms(normalize(word)).strip()):
                tokens.add(cut[0])
        return frozenset(tokens)

    def reason(self, token: str, share: float | None = None) -> str | None:
        """Return why token is not specific ("quantity", "generic list", "function word",
        "common word", "generic compound", "frequent in corpus"), or None when it may be named;
        share is the share of profiles that contain it (None: unknown or too few profiles).

        Kept per (token, share): the explanations of one ranking ask about the query's terms
        again for every candidate, and rankings about the same words over and over."""
        key = (token, share)
        try:
            return self._reasons[key]
        except KeyError:
            pass
        if len(self._reasons) >= REASONS_KEPT:
            self._reasons.clear()
        found = self._reasons[key] = self._reason(token, share)
        return found

    def _reason(self, token: str, share: float | None) -> str | None:
        if token in self.chain_tokens or token in HAND_SPECIFIC:
            return None
        if is_quantity(token):
            return "quantity"
        if token in self.generic_tokens:
            return "generic list"
        if token in self.glossary_tokens or token.startswith(SYNONYM_PREFIX):
            return None
        if not ascii_term(token):
            why = lexical_reason(token, share) or self._compound_reason(token)
            if why:
                return why
        if share is not None and share >= CORPUS_SHARE:
            return "frequent in corpus"
        return None

    def _compound_reason(self, token: str) -> str | None:
        """Return "generic compound" when token splits into two parts that are both generic
        (关键 + 技术, 控制 + 技术), else None."""
        for cut in range(2, len(token) - 1):
            head, tail = token[:cut], token[cut:]
            if all(part in self.generic_tokens or is_quantity(part)
                   or lexical_reason(part, None) for part in (head, tail)):
                return "generic compound"
        return None

    def is_specific(self, token: str, share: float | None = None) -> bool:
        """Return whether an explanation may name token."""
        return self.reason(token, share) is None


_FILTERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def term_filter(analyzer, chains) -> TermFilter:
    """Return the filter for an analyzer and a chain book (built once per pair, then shared)."""
    by_chains = _FILTERS.setdefault(analyzer, weakref.WeakKeyDictionary())
    found = by_chains.get(chains)
    if found is None:
        terms = [t for c in chains.chains for s in c.segments
                 for t in (*s.keywords_zh, *s.keywords_en)]
        terms += [t for c in chains.chains for t in c.core_terms]
        found = by_chains[chains] = TermFilter(analyzer, chains.synonym_groups(), terms)
    return found
