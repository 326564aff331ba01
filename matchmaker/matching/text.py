"""Text analysis for Chinese and English: normalisation, segmentation, synonyms, n-grams."""
import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs
import opencc
import rjieba
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

CHINESE_STOP_WORDS = frozenset("""
的 了 和 与 及 或 等 在 对 为 以 将 把 被 中 上 下 其 该 本 之 于 并 且 但 而 从 由 是 有 无 不 也 都 就
已 可 能 个 种 次 约 这 那 此 各 每 如 若 则 即 所 着 过 又 还 很 更 最 较 向 到 给 让 使 用 我 你 他 她
它 们 我们 我司 公司 本公司 本单位 团队 课题组 一种 一个 一些 进行 实现 采用 通过 具有 可以 能够 需要
要求 目前 主要 以及 相关 方面 基于 用于 已经 达到 希望 其中 因此 同时 然后 如果 或者 并且 而且 由于
并非 对于 关于 根据 按照 左右 以上 以下 之间 之后 之前 期间 可能 应该 已有 没有 不能 不会 一般 比较
特别 非常 其他 其它 包括 如下 例如 比如 等等 方案 情况 问题 ipc
提高 提升 增加 减少 改善 优化 解决 满足 保证 确保 形成 获得 得到 利用 使用 开展 完成 建立
""".split())  # noqa: SIM905 - a word list reads best as text
STOP_WORDS = CHINESE_STOP_WORDS | ENGLISH_STOP_WORDS
# Words that say what kind of thing is wanted but not which: they count in the similarity,
# not towards the words a profile needs before it can be matched ("氢能技术，待定" is thin).
GENERIC_WORDS = frozenset("""
技术 方法 系统 装置 设备 研究 开发 研发 工艺 产品 应用 项目 生产 制备 加工 检测 材料 设计 改进 升级
改造 合作 需求 待定 面议 详谈 保密 新型 关键 性能 质量 效率 成本 寻求 咨询 指导 服务 方面 领域 行业
企业 相关 新技术 技术开发 技术指导 技术合作 technology method system device research development
""".split())  # noqa: SIM905

# The code points taken as Chinese (runs of them are segmented and give character bigrams).
CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES)
_UNITS = (r"gw|mw|kw|w|kv|v|ma|a|nm|μm|um|mm|cm|km|mpa|kpa|pa|bar|kg|g|t|℃|°c|k|h|kwh|mwh|wh|ah"
          r"|hz|khz|mhz|ghz|thz|db|dbm|fs|ps|ns|gbps|tbps|mbps|nh|mω|ω|lm|cd|%")
# One regex for everything we keep whole; order matters (IPC before quantities before words).
_TOKEN_RE = re.compile(
    rf"(?P<ipc>(?<![a-z0-9])[a-h]\d{{2}}[a-z] ?\d{{1,4}}/\d{{2,6}}(?![0-9]))"
    rf"|(?P<qty>(?<![a-z0-9.])\d+(?:\.\d+)? ?(?:{_UNITS})(?![a-z]))"
    rf"|(?P<word>[a-z0-9]*[a-z][a-z0-9]*(?:[-+/.][a-z0-9]*[a-z0-9])*)"
    rf"|(?P<cjk>[{_CJK}]+)"
)
_CJK_RUN = re.compile(rf"[{_CJK}]+")
SYNONYM_PREFIX = "zzsyn"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.json"
TRANSLATIONS_PATH = GLOSSARY_PATH.with_name("translations.json")


@lru_cache(maxsize=1)
def load_glossary() -> tuple[tuple[str, ...], ...]:
    """Return the packaged general bilingual glossary (groups of equivalent terms)."""
    return tuple(tuple(group) for group in json.loads(GLOSSARY_PATH.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def load_translations() -> tuple[tuple[str, ...], ...]:
    """Return the packaged technical translations: groups led by a Chinese term, followed by
    its English (and other Chinese) variants."""
    return tuple(tuple(group)
                 for group in json.loads(TRANSLATIONS_PATH.read_text(encoding="utf-8")))


OPENCC_CHARS_PATH = GLOSSARY_PATH.with_name("opencc_t2s_chars.json")


@lru_cache(maxsize=1)
def _t2s_trigger() -> "re.Pattern | None":
    """Return a pattern that finds, in any text OpenCC's t2s conversion would change, a
    character of a dictionary entry that changes text (data/opencc_t2s_chars.json, made by
    scripts/opencc_t2s_chars.py from the installed OpenCC's dictionaries: every such entry
    holds one of its characters); None under another OpenCC version than the list's.
    Characters outside the Basic Multilingual Plane are all taken as triggers."""
    data = json.loads(OPENCC_CHARS_PATH.read_text(encoding="utf-8"))
    if data["opencc"] != getattr(opencc, "__version__", None):
        return None
    bmp = "".join(c for c in data["chars"] if ord(c) < 0x10000)
    return re.compile(f"[{re.escape(bmp)}\U00010000-\U0010ffff]")


def _converts(text: str) -> bool:
    """Whether OpenCC's t2s conversion might change text (False only when it cannot)."""
    trigger = _t2s_trigger()
    return trigger is None or trigger.search(text) is not None


_CJK_CHAR = re.compile(f"[{_CJK}]")


# The last texts normalised: a fit analyses a profile's title and body for its words and again
# for its chain, one after the other.
@lru_cache(maxsize=64)
def normalize(text: str) -> str:
    """Return text in NFKC (full-width → half-width), simplified Chinese and lower case.

    OpenCC runs only on a text with Chinese that holds a character it could convert: on the
    rest its conversion is the identity (most simplified text: it costs four times the check)."""
    text = unicodedata.normalize("NFKC", text or "")
    if _CJK_CHAR.search(text) and _converts(text):
        text = _t2s().convert(text)
    return text.lower()


def normalize_joined(pieces: Iterable[str]) -> str:
    """Return normalize(" ".join(pieces)), joining the pieces' own normalised forms when that is
    the same text (a fit has just normalised each piece of a profile).

    NFKC and lower case work across a space as on each side of it (a space composes with
    nothing; Greek final sigma looks no further than a space), and no OpenCC entry holds a
    space (scripts/opencc_t2s_chars.py checks), so each piece converts on its own as in the
    whole. The only difference: the whole text is converted if any piece has Chinese, a piece
    alone only if it has some; so a piece without Chinese must be one OpenCC leaves alone."""
    pieces = list(pieces)
    normalised = [normalize(piece) for piece in pieces]
    chinese = [_CJK_CHAR.search(piece) is not None for piece in normalised]
    if any(chinese) and not all(chinese) and (_t2s_trigger() is None or any(
            _converts(piece) for piece, has in zip(normalised, chinese) if not has)):
        return normalize(" ".join(pieces))
    return " ".join(normalised)


def _stem(word: str) -> str:
    """Fold simple English plurals (electrolysers → electrolyser) without a stemmer's surprises."""
    if len(word) > 4 and word.isalpha():
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


def ascii_term(term: str) -> bool:
    return all(ord(c) < 128 for c in term)


class Analyzer:
    """Turn text into tokens: jieba words (with a domain dictionary), technical tokens kept
    whole, synonyms folded to one token, and character bigrams as a back-off channel.

    Parameters
    ----------
    user_words : domain terms jieba must keep whole (chain keywords), Chinese or mixed.
    synonyms : groups of equivalent terms; every member becomes the same token.
    translations : groups led by a Chinese term; every other member is rewritten to it before
        segmentation, so that "surge current" in an English record meets 浪涌电流 in a Chinese
        one while Chinese text is cut exactly as before (folding frequent Chinese terms into a
        token changed how real listings were cut and cost ranking quality: bench/README.md).
    stop_words : tokens dropped from the word channel.
    """

    def __init__(self, *, user_words: Iterable[str] = (),
                 synonyms: Iterable[Iterable[str]] = (),
                 translations: Iterable[Iterable[str]] = (), stop_words=STOP_WORDS):
        self.user_words = tuple(dict.fromkeys(normalize(w) for w in user_words if w.strip()))
        self.synonyms = tuple(tuple(normalize(t) for t in group) for group in synonyms)
        self.translations = tuple(tuple(normalize(t) for t in group) for group in translations)
        self.stop_words = frozenset(stop_words)
        # jieba-rs (rjieba): jieba's dictionary and algorithm in Rust, ~13x faster than jieba
        # with the same cuts (bench/README.md, "Segmenter"); one dictionary per analyzer.
        self._tokenizer = rjieba.Jieba()
        for word in self.user_words:
            if _CJK_RUN.search(word):
                self._tokenizer.add_word(word, 2000, None)
        self._synonym_re, self._synonym_token, self.synonym_display = self._compile_synonyms()
        self._translation_re = _automaton(
            (term, group[0]) for group in self.translations for term in group)
        for head, *variants in self.translations:  # explanations show 二极管 / diode
            english = next((t for t in variants if ascii_term(t)), None)
            if english:
                self.synonym_display.setdefault(head, f"{head} / {english}")

    def __getstate__(self) -> dict:
        """Pickle as constructor arguments: the segmenter does not pickle, and the synonym
        automaton is rebuilt faster than it loads."""
        return {"user_words": self.user_words, "synonyms": self.synonyms,
                "translations": self.translations, "stop_words": self.stop_words}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    @classmethod
    @lru_cache(maxsize=8)
    def cached(cls, user_words: tuple[str, ...], synonyms: tuple[tuple[str, ...], ...],
               translations: tuple[tuple[str, ...], ...] = ()):
        """Return a shared analyzer for this vocabulary (building the dictionary takes a while)."""
        return cls(user_words=user_words, synonyms=synonyms, translations=translations)

    def _merged_groups(self) -> list[tuple[str, ...]]:
        """Merge groups that share a term (设备 = equipment = 装备), dropping one-character
        Chinese terms, which would split longer words they happen to sit in."""
        merged: list[list[str]] = []
        for group in self.synonyms:
            terms = [t for t in group if t and (ascii_term(t) or len(t) >= 2)]
            hits = [m for m in merged if set(m) & set(terms)]
            for m in hits:
                merged.remove(m)
                terms = [*m, *[t for t in terms if t not in m]]
            if len(terms) >= 2:
                merged.append(list(dict.fromkeys(terms)))
        return [tuple(m) for m in merged]

    def _compile_synonyms(self):
        """Index every synonym variant (and English plurals) in an Aho-Corasick automaton."""
        token_of, display = {}, {}
        for index, group in enumerate(self._merged_groups()):
            token = f"{SYNONYM_PREFIX}{index}"
            display[token] = " / ".join(group[:2])
            for term in group:
                token_of.setdefault(term, token)
        return _automaton(token_of.items()), token_of, display

    def fold_synonyms(self, text: str) -> str:
        """Replace every synonym variant in normalised text by its group token (leftmost,
        longest match first; English variants only as whole words); translations first."""
        return _replace(self._synonym_re, _replace(self._translation_re, text))

    def words(self, text: str) -> list[str]:
        """Return the word tokens of text (normalised, synonyms folded, stop words removed)."""
        text = self.fold_synonyms(normalize(text))
        tokens: list[str] = []
        for match in _TOKEN_RE.finditer(text):
            kind, value = match.lastgroup, match.group()
            if kind == "cjk":
                # Precise mode, not search mode: search mode adds every dictionary word inside
                # a long word (燃料电池 → 燃料, 电池), which let generic halves dominate on real
                # listings (bench/README.md); the character bigrams still match inside words.
                # One-character words are kept (泵, 阀, 肥, 酒, 膜: the word itself, which no
                # bigram carries; function characters are stop words): dropping them cost
                # real needs ~3 % NDCG@10 (bench/README.md, "Tried on dev only").
                tokens.extend(w for w in self._tokenizer.cut(value, True)
                              if w not in self.stop_words)
            elif kind == "ipc":
                code = value.replace(" ", "")
                tokens.extend((code, code[:4]))
            elif kind == "qty":
                tokens.append(value.replace(" ", ""))
            elif value not in self.stop_words and len(value) > 1:
                tokens.append(_stem(value))
        return tokens

    def char_ngrams(self, text: str, n: int = 2) -> list[str]:
        """Return character n-grams of the Chinese runs of text (a back-off channel)."""
        return self.normalized_ngrams(normalize(text), n)

    @staticmethod
    def normalized_ngrams(text: str, n: int = 2) -> list[str]:
        """Return character n-grams of the Chinese runs of normalised text."""
        grams: list[str] = []
        for run in _CJK_RUN.findall(text):
            grams.extend(run[i:i + n] for i in range(len(run) - n + 1))
        return grams

    def display(self, token: str) -> str:
        """Return a readable form of token (synonym groups show their first variants)."""
        return self.synonym_display.get(token, token)


class TermFinder:
    """Every occurrence of a set of terms in a text, overlapping ones included, with the value
    kept for its term: an Aho-Corasick automaton (ahocorasick_rs; about four times faster on
    this text than pyahocorasick, whose matches, in the same order, it gives)."""

    def __init__(self, entries: Iterable[tuple[str, object]]):
        """entries: (term, value) pairs; the first value of a term is kept, empty terms are
        left out."""
        kept = {}
        for term, value in entries:
            if term:
                kept.setdefault(term, value)
        self.terms, self.values = list(kept), list(kept.values())
        self._automaton = ahocorasick_rs.AhoCorasick(self.terms) if self.terms else None

    def __len__(self) -> int:
        return len(self.terms)

    def __getstate__(self) -> dict:
        return {"terms": self.terms, "values": self.values}  # the automaton does not pickle

    def __setstate__(self, state: dict) -> None:
        self.__init__(zip(state["terms"], state["values"]))

    def find(self, text: str) -> list[tuple[int, int, object]]:
        """Return (start, end, value) of every occurrence (end exclusive), by end, then the
        longest first."""
        if self._automaton is None:
            return []
        matches = self._automaton.find_matches_as_indexes(text, overlapping=True)
        matches.sort(key=lambda match: (match[2], match[1]))
        values = self.values
        return [(start, end, values[index]) for index, start, end in matches]


def _automaton(replacements):
    """A TermFinder of (term, replacement) pairs, English terms with plurals; None when there
    are none."""
    automaton = TermFinder(
        (variant, (len(variant), replacement, ascii_term(term)))
        for term, replacement in replacements
        for variant in ((term, term + "s", term + "es") if ascii_term(term) else (term,)))
    return automaton if len(automaton) else None


def _replace(automaton, text: str) -> str:
    """Replace the automaton's terms in text (leftmost, longest match first; English terms
    only as whole words), each replacement set off by spaces."""
    if automaton is None:
        return text
    spans = []
    for start, end, (length, replacement, is_ascii) in automaton.find(text):
        end -= 1  # the term's last character
        if is_ascii and ((start > 0 and text[start - 1].isascii() and text[start - 1].isalnum())
                         or (end + 1 < len(text) and text[end + 1].isascii()
                             and text[end + 1].isalnum())):
            continue
        spans.append((start, -length, replacement))
    if not spans:
        return text
    spans.sort()
    pieces, position = [], 0
    for start, negative_length, replacement in spans:
        if start < position:
            continue
        pieces.append(text[position:start])
        original = text[start:start - negative_length]
        # A term that maps to itself (a translation's Chinese head) only guards its span.
        pieces.append(original if original == replacement else f" {replacement} ")
        position = start - negative_length
    pieces.append(text[position:])
    return "".join(pieces)
