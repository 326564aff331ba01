"""The matcher: TF-IDF text similarity plus sector-chain and business rules, explained.

Usage::

    matcher = Matcher(ChainBook.from_path("seed_data/chains")).fit(outputs, needs)
    ranking = matcher.rank_outputs(need, limit=10)
    for match in ranking.matches:
        print(match.candidate_id, match.score, match.explanation["shared_terms"])
"""
import gc
import itertools
import multiprocessing
import os
import sys
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from matchmaker.domain import Side
from matchmaker.matching import config, rules
from matchmaker.matching.chains import NO_GUESS, ChainBook, ChainGuess
from matchmaker.matching.explain import explain_pair
from matchmaker.matching.profiles import NeedProfile, OutputProfile
from matchmaker.matching.text import (
    CJK_RANGES,
    GENERIC_WORDS,
    Analyzer,
    load_glossary,
    load_translations,
    normalize_joined,
)

INSUFFICIENT = "insufficient_information"
SENTINEL = "\x00"


@dataclass(frozen=True)
class Match:
    """One candidate for a query: its score in [0, 1], per-part scores and an explanation."""

    candidate_id: Hashable
    score: float
    parts: Mapping[str, float]
    explanation: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Ranking:
    """The candidates ranked for one query; notice says why there are none, if so."""

    query_id: Hashable
    matches: tuple[Match, ...]
    chain: ChainGuess = NO_GUESS
    notice: str | None = None


def _identity(tokens):
    return tokens


class _Channel:
    """One text channel (words or character bigrams): a fixed vocabulary, document
    frequencies that follow every update, and sublinear TF-IDF weighting."""

    def __init__(self, min_df: int = 1):
        self.counter = CountVectorizer(analyzer=_identity, min_df=min_df, dtype=np.float32)
        self.weigher = TfidfTransformer(sublinear_tf=True, norm="l2")

    def fit(self, tally: "_Tally"):
        """Learn vocabulary and IDF from the tallied documents; return their count matrix.

        The matrix and vocabulary are CountVectorizer.fit_transform's for the same documents
        (tests check it), counted without its per-token Python loop."""
        # Two sentinel documents keep the vocabulary non-empty (even with min_df=2) for empty
        # or token-less input; their rows are dropped and they do not count in the IDF.
        tally.add([SENTINEL])
        tally.add([SENTINEL])
        counts, self.counter.vocabulary_ = tally.matrix(self.counter.min_df)
        self.counter.fixed_vocabulary_ = False
        self.weigher.fit(counts)
        counts = counts[:-2]
        self.df = np.asarray((counts > 0).sum(axis=0), dtype=np.float64).ravel()
        self.n = counts.shape[0]
        self.track()
        return counts

    def counts(self, docs: list[list[str]]):
        """Return the term counts of docs over the fitted vocabulary (unknown terms dropped).

        Written out rather than CountVectorizer.transform: a single query pays no parameter
        validation, which matters at a few milliseconds per ranking."""
        data, indices, indptr = self._count_arrays(docs)
        return sp.csr_matrix((data, indices, indptr),
                             shape=(len(docs), len(self.counter.vocabulary_)))

    def vectors(self, docs: list[list[str]]):
        """Return the weighted rows of docs: weigh(counts(docs)) without the two intermediate
        matrices (a ranking's query vectors; building a SciPy matrix costs more than
        weighing one query's few hundred terms)."""
        data, indices, indptr = self._count_arrays(docs)
        return sp.csr_matrix((self._weighed(data, indices, indptr), indices, indptr),
                             shape=(len(docs), len(self.counter.vocabulary_)))

    def _count_arrays(self, docs: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the CSR arrays (data, indices, indptr) of docs' term counts."""
        get = self.counter.vocabulary_.get
        indptr, indices, data = [0], [], []
        for doc in docs:
            counted = Counter(map(get, doc))
            counted.pop(None, None)  # terms outside the vocabulary
            columns = sorted(counted)
            indices.extend(columns)
            data.extend(map(counted.__getitem__, columns))
            indptr.append(len(indices))
        return (np.asarray(data, dtype=np.float32), np.asarray(indices, np.int32),
                np.asarray(indptr, np.int64))

    def weigh(self, counts):
        """Return sublinear-tf × IDF rows of counts, l2-normalised (as TfidfTransformer)."""
        weighted = counts.astype(np.float32, copy=True).tocsr()
        weighted.data = self._weighed(weighted.data, weighted.indices, weighted.indptr)
        return weighted

    def _weighed(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Return the sublinear-tf × IDF values of CSR count arrays, each row l2-normalised."""
        weighted = (1.0 + np.log(data)) * self.idf32[indices]
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        norms = np.sqrt(np.bincount(rows, weights=weighted.astype(np.float64) ** 2,
                                    minlength=len(indptr) - 1))
        weighted /= np.where(norms > 0, norms, 1.0)[rows].astype(np.float32)
        return weighted

    def track(self, added=None, removed=None) -> None:
        """Update document frequencies and IDF for one added and/or removed count row."""
        for row, sign in ((added, 1), (removed, -1)):
            if row is not None:
                self.df[row.indices] += sign
                self.n += sign
        # The same smoothed IDF as TfidfTransformer(smooth_idf=True).
        self.weigher.idf_ = np.log((1 + self.n) / (1 + self.df)) + 1
        self.idf32 = self.weigher.idf_.astype(np.float32)


class _Tally:
    """Term counts of documents in order of arrival, terms numbered by first appearance (as
    CountVectorizer numbers them before sorting its vocabulary); no token list is kept."""

    def __init__(self):
        self.ids: defaultdict = defaultdict()
        self.ids.default_factory = self.ids.__len__  # a new term gets the next number
        self.indices, self.data, self.indptr = array("i"), array("i"), array("q", [0])

    def add(self, tokens: Iterable[str]) -> None:
        counted = Counter(tokens)
        self.indices.extend(map(self.ids.__getitem__, counted))
        self.data.extend(counted.values())
        self.indptr.append(len(self.indices))

    def __getstate__(self) -> tuple:
        return list(self.ids), self.indices, self.data, self.indptr

    def __setstate__(self, state: tuple) -> None:
        terms, self.indices, self.data, self.indptr = state
        self.ids = defaultdict(None, zip(terms, range(len(terms))))
        self.ids.default_factory = self.ids.__len__

    def extend(self, other: "_Tally") -> None:
        """Append the documents other tallied, as if they had been added here: other's terms
        are numbered on in their order of first appearance, which is the order in which they
        first appear after this tally's documents."""
        numbers = np.fromiter(map(self.ids.__getitem__, other.ids), dtype=np.intc,
                              count=len(other.ids))
        self.indices.frombytes(numbers.take(np.frombuffer(other.indices, dtype=np.intc))
                               .astype(np.intc).tobytes())
        self.data.extend(other.data)
        offset = self.indptr[-1]
        self.indptr.extend(offset + position for position in other.indptr[1:])

    def matrix(self, min_df: int = 1) -> tuple:
        """Return (counts, vocabulary) exactly as CountVectorizer(min_df=min_df).fit_transform
        gives them: columns in term order, each row's entries in the order of its terms' first
        appearance in the corpus (not sorted by column), int32 indices, float32 counts.

        The tally is emptied as it is read (its arrays would double the fit's peak memory)."""
        nnz = len(self.indices)
        index_type = np.int32 if nnz <= np.iinfo(np.int32).max else np.int64
        indices = np.array(self.indices, dtype=index_type)
        indptr = np.array(self.indptr, dtype=index_type)
        data = np.array(self.data, dtype=np.float32)
        terms = list(self.ids)  # in number order
        self.__init__()
        counts = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(terms)))
        del data, indices, indptr
        return _vectorizer_matrix(counts, terms, min_df, index_type)


def _vectorizer_matrix(counts, terms: list[str], min_df: int, index_type, keys=None) -> tuple:
    """Return (counts, vocabulary) as CountVectorizer gives them, from counts whose columns
    are terms numbered by first appearance (terms in that order). keys, if given, is an array
    that sorts as the terms do (faster to sort than the strings)."""
    counts.sort_indices()  # by first appearance, as CountVectorizer's own counting
    if min_df > 1:
        document_frequency = np.bincount(counts.indices, minlength=len(terms))
        keep = np.flatnonzero(document_frequency >= min_df)
        counts = counts[:, keep]
        terms = [terms[i] for i in keep]
        keys = None if keys is None else keys[keep]
    order = sorted(range(len(terms)), key=terms.__getitem__) if keys is None else \
        np.argsort(keys, kind="stable").tolist()
    position = np.empty(len(terms), dtype=index_type)
    position[order] = np.arange(len(terms), dtype=index_type)
    # A fresh matrix (no cached index flags), as CountVectorizer returns it.
    counts = sp.csr_matrix((counts.data, position.take(counts.indices), counts.indptr),
                           shape=counts.shape)
    return counts, {terms[i]: rank for rank, i in enumerate(order)}


class _BigramTally:
    """The character bigrams of documents, counted as a _Tally of Analyzer.normalized_ngrams
    of each document's normalised text would count them, but on the texts' code points with
    numpy: no bigram string is made, counted or looked up per document.

    A bigram is coded (first code point << 16) | second (Chinese lies in the Basic
    Multilingual Plane), so codes sort as the bigrams do; the sentinel term is code 0. Texts
    are analysed a chunk at a time; each chunk keeps its documents' distinct codes with their
    counts and, per code, where in the stream of bigrams it first appears."""

    CHUNK = 1 << 20  # characters analysed at once

    def __init__(self):
        self._texts: list[str] = []
        self._pending = 0
        self.docs = 0  # documents added
        self.seen = 0  # bigrams seen: positions in the stream number first appearances
        self.sizes: list[np.ndarray] = []  # per chunk: distinct codes of each document
        self.codes: list[np.ndarray] = []  # per chunk: those codes, document by document
        self.counts: list[np.ndarray] = []  # per chunk: how often each appears
        self.firsts: list[np.ndarray] = []  # per chunk: (code << 32 | position) of new codes

    def add_text(self, text: str) -> None:
        """Add a document: the bigrams of the Chinese runs of normalised text."""
        self._texts.append(text)
        self._pending += len(text) + 1
        if self._pending >= self.CHUNK:
            self._flush()

    def add(self, tokens: list[str]) -> None:
        """Add a document made of bigram (or sentinel) tokens."""
        self._flush()
        codes = np.array([0 if t == SENTINEL else (ord(t[0]) << 16) | ord(t[1])
                          for t in tokens], dtype=np.uint64)
        self._count(codes, np.zeros(len(codes), dtype=np.uint64), 1)

    def _flush(self) -> None:
        if not self._texts:
            return
        texts, self._texts, self._pending = self._texts, [], 0
        # Texts one after the other, each followed by a separator that is not Chinese.
        points = np.frombuffer("\0".join(texts).encode("utf-32-le", "surrogatepass"),
                               dtype=np.uint32)
        chinese = np.zeros(points.shape, dtype=bool)
        for low, high in CJK_RANGES:
            chinese |= (points >= low) & (points <= high)
        starts = np.flatnonzero(chinese[:-1] & chinese[1:])
        codes = (points[starts].astype(np.uint64) << 16) | points[starts + 1]
        ends = np.cumsum([len(text) + 1 for text in texts])  # past each text's separator
        docs = np.searchsorted(ends, starts, side="right").astype(np.uint64)
        self._count(codes, docs, len(texts))

    def _count(self, codes: np.ndarray, docs: np.ndarray, n_docs: int) -> None:
        """Tally the bigram codes of n_docs documents (docs: each code's document, in order)."""
        keys = np.sort((docs << 32) | codes)
        new = np.ones(keys.shape, dtype=bool)
        new[1:] = keys[1:] != keys[:-1]
        starts = np.flatnonzero(new)
        distinct = keys[starts]
        self.counts.append(np.diff(starts, append=keys.size).astype(np.int32))
        self.codes.append((distinct & 0xFFFFFFFF).astype(np.uint32))
        self.sizes.append(np.bincount((distinct >> 32).astype(np.intp),
                                      minlength=n_docs).astype(np.int64))
        # Where each code first appears: the smallest position among its occurrences.
        first = np.sort((codes << 32) | np.arange(codes.size, dtype=np.uint64))
        new = np.ones(first.shape, dtype=bool)
        new[1:] = (first[1:] >> 32) != (first[:-1] >> 32)
        self.firsts.append(first[new] + np.uint64(self.seen))
        self.docs += n_docs
        self.seen += codes.size
        if self.seen >= 1 << 32:  # positions share a 64-bit key with the code
            raise OverflowError("more than 2**32 character bigrams in one fit")

    def __getstate__(self) -> dict:
        self._flush()
        return dict(self.__dict__)

    def extend(self, other: "_BigramTally") -> None:
        """Append the documents other tallied, as if they had been added here."""
        self._flush()
        other._flush()
        self.sizes += other.sizes
        self.codes += other.codes
        self.counts += other.counts
        self.firsts += [first + np.uint64(self.seen) for first in other.firsts]
        self.docs += other.docs
        self.seen += other.seen

    def matrix(self, min_df: int = 1) -> tuple:
        """Return (counts, vocabulary) as _Tally.matrix gives them for the same bigrams
        (CountVectorizer's); the tally is emptied as it is read."""
        self._flush()
        codes = np.concatenate([np.zeros(0, np.uint32), *self.codes])
        data = np.concatenate([np.zeros(0, np.int32), *self.counts]).astype(np.float32)
        sizes = np.concatenate([np.zeros(0, np.int64), *self.sizes])
        first = np.sort(np.concatenate([np.zeros(0, np.uint64), *self.firsts]))
        self.__init__()
        # The vocabulary in code (and term) order, and the position of each term's first
        # appearance: the first of its chunks' first appearances.
        new = np.ones(first.shape, dtype=bool)
        new[1:] = (first[1:] >> 32) != (first[:-1] >> 32)
        vocabulary = (first[new] >> 32).astype(np.uint32)
        number = np.empty(vocabulary.size, dtype=np.int64)
        number[np.argsort(first[new] & 0xFFFFFFFF, kind="stable")] = np.arange(vocabulary.size)
        index_type = np.int32 if codes.size <= np.iinfo(np.int32).max else np.int64
        indices = number[np.searchsorted(vocabulary, codes)].astype(index_type)
        indptr = np.zeros(sizes.size + 1, dtype=index_type)
        np.cumsum(sizes, out=indptr[1:])
        by_number = np.empty_like(vocabulary)
        by_number[number] = vocabulary
        counts = sp.csr_matrix((data, indices, indptr), shape=(sizes.size, vocabulary.size))
        del data, indices, indptr
        return _vectorizer_matrix(counts, _bigrams(by_number), min_df, index_type,
                                  keys=by_number)


def _bigrams(codes: np.ndarray) -> list[str]:
    """Return the terms of bigram codes (code 0: the sentinel)."""
    pairs = np.empty((codes.size, 2), dtype=np.uint32)
    pairs[:, 0], pairs[:, 1] = codes >> 16, codes & 0xFFFF
    text = pairs.tobytes().decode("utf-32-le", "surrogatepass")
    terms = [text[i:i + 2] for i in range(0, len(text), 2)]
    for i in np.flatnonzero(codes == 0).tolist():
        terms[i] = SENTINEL
    return terms


class _SideIndex:
    """One side of the index (domain.Side: outputs or needs): profiles, vectors and rule
    arrays by row."""

    FIELDS = ("chain", "seg_pos", "chain_conf", "trl", "modes", "compat", "price_lo", "price_hi",
              "region", "province", "active")

    def __init__(self):
        self.ids: list[Hashable] = []
        self.row_of: dict[Hashable, int] = {}
        self.profiles: list = []
        self.guesses: list[ChainGuess] = []
        self.thin: list[bool] = []
        self.counts = {"words": None, "chars": None}  # raw term counts of the fitted part
        self.words = self.chars = None  # weighted CSR rows of the fitted part
        self.words_t = self.chars_t = None  # transposed (term × row) for fast query products
        self.delta_words: list = []  # rows added after fitting, while IDF is frozen
        self.delta_chars: list = []
        self._delta_cache = None  # (row count, words term-major, chars term-major)
        self.arrays: dict[str, np.ndarray] = {}  # views of the first len(self) buffer rows
        self.mix = None  # rows × chains: how each profile's chain evidence splits
        self._buffers: dict[str, np.ndarray] = {}  # grown by doubling: appends stay O(1)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def fitted_rows(self) -> int:
        return 0 if self.words is None else self.words.shape[0]

    def append(self, profile, guess: ChainGuess, thin: bool, values: dict,
               mix: np.ndarray) -> int:
        """Add one profile's row (an updated profile's earlier row stops taking part); return
        its row number."""
        self.extend([(profile, guess, thin, values, mix)])
        return len(self.ids) - 1

    def extend(self, rows: list[tuple]) -> None:
        """Add the rows (profile, guess, thin, values, mix) of profiles, each buffer written at
        once: the same buffers, views and deactivated updates as one append after another."""
        start, replaced = len(self.ids), []
        for row, (profile, guess, thin, _, _) in enumerate(rows, start):
            if profile.id in self.row_of:  # an update: the earlier row stops taking part
                replaced.append(self.row_of[profile.id])
            self.ids.append(profile.id)
            self.row_of[profile.id] = row
            self.profiles.append(profile)
            self.guesses.append(guess)
            self.thin.append(thin)
        if not rows:
            return
        self.mix = self._put_rows("mix", start, [row[4] for row in rows], np.float64)
        for name in self.FIELDS:
            dtype = np.float64 if name in ("chain_conf", "price_lo", "price_hi") else \
                (bool if name == "active" else np.int64)
            self.arrays[name] = self._put_rows(name, start, [row[3][name] for row in rows],
                                               dtype)
        self.arrays["active"][replaced] = False

    def _put_rows(self, name: str, start: int, values: list, dtype) -> np.ndarray:
        """Write values from row start of the named buffer (doubling it when full); return
        the view of rows 0..start + len(values) - 1."""
        values = np.array(values, dtype=dtype)
        end = start + len(values)
        buffer = self._buffers.get(name)
        size = 0 if buffer is None else buffer.shape[0]
        if end > size:
            grown_size = max(64, size)
            while grown_size < end:
                grown_size *= 2
            grown = np.zeros((grown_size, *values.shape[1:]), dtype=dtype)
            if buffer is not None:
                grown[:start] = buffer[:start]
            buffer = self._buffers[name] = grown
        buffer[start:end] = values
        return buffer[:end]

    def word_row(self, row: int):
        if row < self.fitted_rows:
            return self.words[row]
        return self.delta_words[row - self.fitted_rows]

    def char_row(self, row: int):
        if row < self.fitted_rows:
            return self.chars[row]
        return self.delta_chars[row - self.fitted_rows]

    def channel_similarities(self, q_words, q_chars) -> tuple[np.ndarray, np.ndarray]:
        """Return the cosines of query rows (k × V) with every row of this side (k × n), for
        the word and the character channel."""
        words, chars = [], []
        if self.fitted_rows:
            words.append(_postings_product(q_words, self.words_t))
            chars.append(_postings_product(q_chars, self.chars_t))
        if self.delta_words:
            words_t, chars_t = self.delta_transposed()
            words.append(_postings_product(q_words, words_t))
            chars.append(_postings_product(q_chars, chars_t))
        return np.hstack(words), np.hstack(chars)

    def delta_transposed(self) -> tuple:
        """Return the rows added since fitting as term-major matrices, rebuilt only when rows
        were added (not on every query)."""
        if self._delta_cache is None or self._delta_cache[0] != len(self.delta_words):
            self._delta_cache = (len(self.delta_words),
                                 sp.vstack(self.delta_words).T.tocsr(),
                                 sp.vstack(self.delta_chars).T.tocsr())
        return self._delta_cache[1], self._delta_cache[2]

    def feedback(self, top: np.ndarray, keep: np.ndarray, weight: float, n_words: int,
                 n_chars: int) -> tuple:
        """Return, per query row of top (k × m row indices, keep masking them), weight × the
        mean of those rows' vectors, keeping only the strongest n_words / n_chars terms."""
        shapes = (self.words.shape[1] if self.words is not None else
                  self.delta_words[0].shape[1],
                  self.chars.shape[1] if self.chars is not None else
                  self.delta_chars[0].shape[1])
        results = []
        for channel, limit, width in (("words", n_words, shapes[0]),
                                      ("chars", n_chars, shapes[1])):
            data, indices, indptr = [], [], [0]
            for row_ids, row_keep in zip(top, keep):
                chosen = row_ids[row_keep]
                parts = [self.row_view(channel, r) for r in chosen]
                if parts:
                    columns = np.concatenate([p.indices for p in parts])
                    values = np.concatenate([p.data for p in parts])
                    unique, inverse = np.unique(columns, return_inverse=True)
                    summed = np.bincount(inverse, weights=values) * (weight / top.shape[1])
                    order = np.argsort(-summed, kind="stable")[:limit]
                    data.append(summed[order])
                    indices.append(unique[order])
                    indptr.append(indptr[-1] + len(order))
                else:
                    indptr.append(indptr[-1])
            results.append(sp.csr_matrix(
                (np.concatenate(data) if data else np.empty(0),
                 np.concatenate(indices) if indices else np.empty(0, np.int32), indptr),
                shape=(len(top), width)))
        return tuple(results)

    def rows(self, rows: list[int]) -> tuple:
        """Return the word and character rows as two CSR matrices (one fancy index each when
        all rows were fitted, rather than stacking one sliced matrix per row)."""
        if rows and max(rows) < self.fitted_rows:
            index = np.asarray(rows)
            return self.words[index], self.chars[index]
        return (sp.vstack([self.word_row(r) for r in rows]).tocsr(),
                sp.vstack([self.char_row(r) for r in rows]).tocsr())

    def row_view(self, channel: str, row: int):
        """Return a lightweight view (indices, data) of one row, without scipy's slicing."""
        matrix = self.words if channel == "words" else self.chars
        if row < self.fitted_rows:
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            return _RowView(matrix.indices[start:end], matrix.data[start:end])
        delta = (self.delta_words if channel == "words" else self.delta_chars)[
            row - self.fitted_rows]
        return _RowView(delta.indices, delta.data)


@dataclass(frozen=True)
class _RowView:
    indices: np.ndarray
    data: np.ndarray


@dataclass(frozen=True)
class _Query:
    chain: int
    seg_pos: int
    chain_conf: float
    trl: int
    modes: int
    compat: int
    price_lo: float
    price_hi: float
    region: int
    province: int


class Matcher:
    """Rank research outputs for technology needs and needs for outputs.

    Parameters
    ----------
    chains : the sector chains (keywords, IPC prefixes, synonyms); an empty book disables the
        chain rules.
    weights : component weights, see config.DEFAULT_WEIGHTS (missing keys keep defaults).
    min_score : matches scoring below this are dropped, so "no match" is a possible answer.
    regions : region name → province, for the same-province part of the local-conversion rule.
    char_share : share of the character-bigram cosine in the text similarity.
    glossary : general bilingual term groups (效率 = efficiency …); True loads the packaged
        data/glossary.json and the translations of data/translations.json (surge current →
        浪涌电流), a sequence of groups replaces the glossary without translations, () switches
        both off.
    n_jobs : processes that analyse the profiles of a fit: None for every core the process
        may use once a fit has config.PARALLEL_PROFILES profiles (fewer are analysed here: a
        worker costs more than it saves) and the process runs no other thread, 1 for this
        process alone. Workers are forked, so only on Linux.
    """

    def __init__(self, chains: ChainBook | None = None, *, weights: Mapping | None = None,
                 min_score: float = 0.05, regions: Mapping[str, str] | None = None,
                 char_share: float = config.CHAR_SHARE, glossary=True,
                 n_jobs: int | None = None):
        self.chains = chains
        self.n_jobs = n_jobs
        self.glossary = glossary
        self.weights = weights
        self.min_score = min_score
        self.regions = regions
        self.char_share = char_share

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, outputs: Iterable[OutputProfile], needs: Iterable[NeedProfile]) -> "Matcher":
        """Learn the vocabulary and IDF from outputs and needs together and index both."""
        outputs, needs = list(outputs), list(needs)
        self.chains_ = self.chains or ChainBook(())
        self.weights_ = {**config.DEFAULT_WEIGHTS, **(self.weights or {})}
        # Author-chosen keywords join the segmenter's dictionary, so that the same term is cut
        # the same way wherever it appears in running text.
        corpus_words = sorted({k.strip() for p in (*outputs, *needs) for k in p.keywords
                               if 2 <= len(k.strip()) <= 12})
        synonyms = tuple(self.chains_.synonym_groups()) + tuple(
            load_glossary() if self.glossary is True else (self.glossary or ()))
        self.analyzer_ = Analyzer.cached(tuple(self.chains_.user_words()) + tuple(corpus_words),
                                         synonyms,
                                         load_translations() if self.glossary is True else ())
        self._chain_index = {c.key: i for i, c in enumerate(self.chains_.chains)}
        self._region_index: dict[str, int] = {}
        self._province_index: dict[str, int] = {}
        words, chars, distinct, guesses = self._analyse_all([*outputs, *needs])
        self.words_, self.chars_ = _Channel(), _Channel()
        word_counts = self.words_.fit(words)
        char_counts = self.chars_.fit(chars)
        del words, chars
        self.terms_ = self.words_.counter.get_feature_names_out()
        self.outputs_, self.needs_ = _SideIndex(), _SideIndex()
        # Past EXACT_IDF_LIMIT, updates freeze IDF, so raw counts need not be kept.
        self._frozen = len(outputs) + len(needs) > config.EXACT_IDF_LIMIT
        n = len(outputs)
        for side, profiles, offset in ((self.outputs_, outputs, 0), (self.needs_, needs, n)):
            rows = slice(offset, offset + len(profiles))
            side.extend([self._row(profile, content, guess) for profile, content, guess
                         in zip(profiles, distinct[rows], guesses[rows])])
            side.counts = {"words": word_counts[rows], "chars": char_counts[rows]}
            self._reweigh(side)
            if self._frozen:
                side.counts = {"words": None, "chars": None}
        return self

    def _index(self, side: Side) -> "_SideIndex":
        """Return the part of the index that holds the profiles of side."""
        return self.outputs_ if side == Side.OUTPUT else self.needs_

    def refit(self) -> "Matcher":
        """Refit the vocabulary on the current version of every indexed profile."""
        return self.fit([self.outputs_.profiles[row] for row in self.outputs_.row_of.values()],
                        [self.needs_.profiles[row] for row in self.needs_.row_of.values()])

    def _reweigh(self, side: _SideIndex) -> None:
        """Recompute the weighted matrices of side from its counts and the current IDF."""
        if side.counts["words"] is None or side.counts["words"].shape[0] == 0:
            return
        side.words = self.words_.weigh(side.counts["words"])
        side.chars = self.chars_.weigh(side.counts["chars"])
        side.words_t = side.words.T.tocsr()
        side.chars_t = side.chars.T.tocsr()

    # --- profile analysis ------------------------------------------------------------------

    def _analyse(self, profiles) -> tuple["_Tally", "_Tally", list[int], list[ChainGuess]]:
        """Analyse each profile once: its word and bigram counts (tallied at once: token lists
        are never all held, at 100k profiles they would take gigabytes), its number of content
        words and its chain guess."""
        words, chars = _Tally(), _BigramTally()
        distinct: list[int] = []
        guesses: list[ChainGuess] = []
        for profile in profiles:
            tokens = self._words(profile)
            words.add(tokens)
            distinct.append(content_words(tokens))
            chars.add_text(self._char_text(profile))
            guesses.append(self._guess(profile))
        return words, chars, distinct, guesses

    def _analyse_all(self, profiles: list) -> tuple:
        """_analyse(profiles), split over processes when there are enough profiles: forked
        workers analyse the later parts while this process analyses the first, and the parts'
        tallies are joined in order (the same counts, numbering and guesses as one pass)."""
        jobs = _jobs(self.n_jobs, len(profiles))
        if jobs == 1:
            return self._analyse(profiles)
        # Parts of about equal text (analysis time follows the text's length, and outputs and
        # needs differ in length).
        ends = np.cumsum([len(p.title) + len(self._body(p) or "") + 1 for p in profiles])
        bounds = [0, *np.searchsorted(ends, ends[-1] * np.arange(1, jobs) / jobs).tolist(),
                  len(profiles)]
        parts = list(itertools.pairwise(bounds[1:]))
        # Forked workers inherit the matcher and the profiles (initargs are not pickled under
        # fork); only their tallies and guesses come back pickled. The objects they inherit are
        # frozen out of their garbage collection, which would otherwise touch, and so copy, every
        # inherited page.
        gc.freeze()
        try:
            pool = multiprocessing.get_context("fork").Pool(
                len(parts), initializer=_inherit, initargs=(self, profiles))
        except OSError:  # no process to be had (a process limit, memory): analyse here
            return self._analyse(profiles)
        finally:
            gc.unfreeze()
        with pool:
            later = pool.map_async(_analyse_part, parts, chunksize=1)
            words, chars, distinct, guesses = self._analyse(profiles[:bounds[1]])
            for part in later.get():
                words.extend(part[0])
                chars.extend(part[1])
                distinct += part[2]
                guesses += part[3]
        return words, chars, distinct, guesses

    @staticmethod
    def _body(profile) -> str:
        return profile.abstract if profile.side == Side.OUTPUT else profile.description

    def _words(self, profile) -> list[str]:
        analyze = self.analyzer_.words
        # The title counts twice: it is the author's own summary.
        return (analyze(profile.title) * 2 + analyze(self._body(profile))
                + analyze(" ".join(profile.keywords)))

    def _chars(self, profile) -> list[str]:
        return self.analyzer_.normalized_ngrams(self._char_text(profile))

    def _char_text(self, profile) -> str:
        """The normalised text whose character bigrams a profile has: its title, body and
        keywords, each normalised once (as its words have just normalised them)."""
        return normalize_joined((f"{profile.title}", f"{self._body(profile)}",
                                 " ".join(profile.keywords)))

    def _guess(self, profile) -> ChainGuess:
        ipc = profile.ipc if profile.side == Side.OUTPUT else ()
        return self.chains_.infer(profile.title, self._body(profile), keywords=profile.keywords,
                                  ipc=ipc, chain=profile.chain, segment=profile.segment)

    def _code(self, table: dict, key: str | None) -> int:
        if not key:
            return -1
        return table.setdefault(key, len(table))

    def _values(self, profile, guess: ChainGuess) -> dict:
        is_output = profile.side == Side.OUTPUT
        modes = profile.modes
        low = profile.price_min if is_output else profile.budget_min
        high = profile.price_max if is_output else profile.budget_max
        trl = profile.trl if is_output else profile.min_trl
        province = (self.regions or {}).get(profile.region) if profile.region else None
        active = (rules.is_active_output if is_output else rules.is_active_need)(profile.status)
        return {
            "chain": self._chain_index.get(guess.chain, -1),
            "seg_pos": self.chains_.positions.get((guess.chain, guess.segment), -1),
            "chain_conf": guess.confidence,
            "trl": trl or 0,
            "modes": rules.mode_mask(modes),
            "compat": rules.compatible_mask(modes),
            "price_lo": np.nan if low is None else float(low),
            "price_hi": np.nan if high is None else float(high),
            "region": self._code(self._region_index, profile.region),
            "province": self._code(self._province_index, province),
            "active": active,
        }

    def _row(self, profile, content: int, guess: ChainGuess) -> tuple:
        """Return the arguments of _SideIndex.append for profile."""
        thin = content < config.MIN_CONTENT_WORDS
        values = self._values(profile, guess)
        values["active"] = values["active"] and not thin
        return profile, guess, thin, values, self._mix(guess)

    def _append(self, side: _SideIndex, profile, content: int,
                guess: ChainGuess | None = None) -> int:
        guess = self._guess(profile) if guess is None else guess
        return side.append(*self._row(profile, content, guess))  # an update's old row stops

    def _mix(self, guess: ChainGuess) -> np.ndarray:
        """Return how a profile's chain evidence splits over the chains (sums to 0 or 1).

        An explicitly chosen chain keeps most of the weight; the text's own evidence keeps the
        rest, so a photovoltaics need about PV-powered electrolysis still meets hydrogen."""
        mix = np.zeros(max(len(self._chain_index), 1))
        for chain, share in guess.shares:
            if chain in self._chain_index:
                mix[self._chain_index[chain]] = share
        if guess.source == "explicit" and guess.chain in self._chain_index:
            own = np.zeros_like(mix)
            own[self._chain_index[guess.chain]] = 1.0
            mix = own if not mix.any() else \
                config.EXPLICIT_CHAIN_SHARE * own + (1 - config.EXPLICIT_CHAIN_SHARE) * mix
        return mix

    # --- incremental updates ---------------------------------------------------------------

    def upsert_output(self, profile: OutputProfile) -> None:
        """Add or replace one output without refitting the vocabulary (unknown words are
        ignored until the next refit)."""
        self._upsert(self.outputs_, profile)

    def upsert_need(self, profile: NeedProfile) -> None:
        """Add or replace one need without refitting the vocabulary."""
        self._upsert(self.needs_, profile)

    def _upsert(self, side: _SideIndex, profile) -> None:
        words = self._words(profile)
        word_row = self.words_.counts([words])
        char_row = self.chars_.counts([self._chars(profile)])
        old = side.row_of.get(profile.id)
        self._append(side, profile, content_words(words))
        if len(self.outputs_) + len(self.needs_) > config.EXACT_IDF_LIMIT:
            self._frozen = True
        if self._frozen:
            # Large index: IDF stays frozen until refit(); the new row joins the delta block.
            side.delta_words.append(self.words_.weigh(word_row))
            side.delta_chars.append(self.chars_.weigh(char_row))
            return
        # Small index: document frequencies follow the change exactly, as a refit on the same
        # vocabulary would, and every row is reweighed (cheap at this size).
        for channel, name, row in ((self.words_, "words", word_row),
                                   (self.chars_, "chars", char_row)):
            channel.track(added=row, removed=None if old is None else side.counts[name][old])
            side.counts[name] = row if side.counts[name] is None else \
                sp.vstack([side.counts[name], row]).tocsr()
        self._reweigh(self.outputs_)
        self._reweigh(self.needs_)

    def remove_output(self, output_id: Hashable) -> None:
        """Take one output out of every future ranking."""
        self._remove(self.outputs_, output_id)

    def remove_need(self, need_id: Hashable) -> None:
        """Take one need out of every future ranking."""
        self._remove(self.needs_, need_id)

    def _remove(self, side: _SideIndex, key: Hashable) -> None:
        row = side.row_of.pop(key, None)
        if row is None:
            return
        side.arrays["active"][row] = False
        if not self._frozen:
            self.words_.track(removed=side.counts["words"][row])
            self.chars_.track(removed=side.counts["chars"][row])
            self._reweigh(self.outputs_)
            self._reweigh(self.needs_)

    # --- ranking ---------------------------------------------------------------------------

    def rank_outputs(self, need: NeedProfile, *, limit: int = 10,
                     explain: bool = True) -> Ranking:
        """Return the outputs best suited to need, best first (explained unless explain=False)."""
        return self._rank(need, self.outputs_, limit=limit, query_side=Side.NEED,
                          explain=explain)

    def rank_needs(self, output: OutputProfile, *, limit: int = 10,
                   explain: bool = True) -> Ranking:
        """Return the needs output could best serve, best first."""
        return self._rank(output, self.needs_, limit=limit, query_side=Side.OUTPUT,
                          explain=explain)

    def all_pairs(self, *, limit: int = 10, chunk_size: int = 64, explain: bool = True,
                  queries: Side = Side.NEED) -> Iterator[Ranking]:
        """Rank outputs for every indexed need (in index order), chunk by chunk; with
        queries=Side.OUTPUT, needs for every indexed output.

        Text similarities of a chunk of queries against all candidates come from one sparse
        matrix product; the rules are vectorised over all candidates for each query.
        """
        query_side = Side(queries)  # ValueError for anything but a side
        side, other = self._index(query_side), self._index(query_side.other)
        rows = list(side.row_of.values())
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start:start + chunk_size]
            q_words, q_chars = side.rows(chunk)
            sims, direct = self._similarities(other, q_words, q_chars)
            for i, row in enumerate(chunk):
                profile = side.profiles[row]
                query = self._query(side.arrays, row)
                if side.thin[row]:
                    yield Ranking(profile.id, (), side.guesses[row], INSUFFICIENT)
                    continue
                yield self._select(profile, side.guesses[row], query, sims[i], direct[i],
                                   other, side.row_view("words", row), limit,
                                   query_side=query_side, explain=explain)

    def _query(self, arrays: dict, row: int) -> _Query:
        return _Query(**{name: arrays[name][row].item() for name in _Query.__dataclass_fields__})

    def _rank(self, profile, side: _SideIndex, *, limit: int, query_side: Side,
              explain: bool) -> Ranking:
        words = self._words(profile)
        guess = self._guess(profile)
        if content_words(words) < config.MIN_CONTENT_WORDS:
            return Ranking(profile.id, (), guess, INSUFFICIENT)
        values = self._values(profile, guess)
        query = _Query(**{k: values[k] for k in _Query.__dataclass_fields__})
        q_words = self.words_.vectors([words])
        q_chars = self.chars_.vectors([self._chars(profile)])
        if not len(side):
            return Ranking(profile.id, (), guess)
        sims, direct = self._similarities(side, q_words, q_chars)
        return self._select(profile, guess, query, sims[0], direct[0], side, q_words, limit,
                            query_side=query_side, explain=explain)

    def _similarities(self, side: _SideIndex, q_words, q_chars) -> tuple[np.ndarray, np.ndarray]:
        """Text similarity of query rows with every row of side, after pseudo-relevance
        feedback: each query is widened by the mean of its best candidates (Rocchio), which
        bridges an enterprise's words for a problem and a lab's words for the method.
        Returns (widened, direct) similarities; only candidates that share something with the
        query itself (direct > 0) may be offered."""
        share = self.char_share
        # A long query's weakest terms (frequent words and bigrams) barely move the cosine but
        # own the longest posting lists: they are left out of the product.
        words, chars = side.channel_similarities(
            _strongest(q_words, config.QUERY_TERMS), _strongest(q_chars, 2 * config.QUERY_TERMS))
        direct = (1 - share) * words + share * chars
        k, beta = config.FEEDBACK_DOCS, config.FEEDBACK_WEIGHT
        if k <= 0 or beta <= 0 or direct.shape[1] == 0:
            return direct, direct
        masked = np.where(side.arrays["active"], direct, -1.0)
        k = min(k, masked.shape[1])
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(top.shape[0]), k)
        cols = top.ravel()
        keep = (masked[rows, cols] > 0).reshape(top.shape)
        # Only the strongest feedback terms are added (as RM3 does): a mean of ten documents
        # has hundreds of terms, and each would cost a full posting list.
        extra_words, extra_chars = side.feedback(top, keep, beta, config.FEEDBACK_TERMS,
                                                 2 * config.FEEDBACK_TERMS)
        # cos(q + e, d) = (q·d + e·d) / |q + e| for unit rows d: q·d is known from the first
        # pass, so the second pass multiplies only the short feedback vectors.
        more_words, more_chars = side.channel_similarities(extra_words, extra_chars)
        widened = ((1 - share) * (words + more_words) / _row_norms(q_words + extra_words)
                   + share * (chars + more_chars) / _row_norms(q_chars + extra_chars))
        return widened, direct

    def components(self, query: _Query, cos: np.ndarray, side: _SideIndex, query_side: Side,
                   query_mix: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Return every component score of query against the given rows of side (cos holds
        their text similarities)."""
        a = {name: values[rows] for name, values in side.arrays.items()}
        if query_side == Side.NEED:
            trl = rules.trl_fit(query.trl, a["trl"])
            mode = rules.mode_fit(query.modes, query.compat, a["modes"])
            price = rules.price_fit(query.price_hi, a["price_lo"])
        else:
            trl = rules.trl_fit(a["trl"], query.trl)
            mode = rules.mode_fit(a["modes"], a["compat"], query.modes)
            price = rules.price_fit(a["price_hi"], query.price_lo)
        return {
            "text": np.minimum(1.0, cos / config.TEXT_SATURATION),
            "chain": rules.chain_fit(query, _Arrays(a), query_mix, side.mix[rows]),
            "trl": trl, "mode": mode, "price": price,
            "region": rules.region_fit(query.region, query.province, a["region"], a["province"]),
        }

    def relevance(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        w = self.weights_
        return (w["text"] * parts["text"] + w["chain"] * parts["chain"]) / (w["text"]
                                                                            + w["chain"])

    def score(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Combine component scores: relevance scaled by business fit, in [0, 1]."""
        w = self.weights_
        fit_keys = ("trl", "mode", "price", "region")
        fit = sum(w[k] * parts[k] for k in fit_keys) / sum(w[k] for k in fit_keys)
        return self.relevance(parts) * (1 - w["fit_share"] + w["fit_share"] * fit)

    def _candidates(self, query, cos, direct, side: _SideIndex, query_side: Side, query_mix,
                    limit: int) -> tuple[np.ndarray, dict, np.ndarray]:
        """Score only the rows that can reach the top: the best by text first, then every
        row whose upper bound (its text with the best chain value its chain and confidence
        allow, and a perfect fit) beats the current limit-th score. Exact, and it spares the
        rules most of a large index."""
        eligible = np.flatnonzero(side.arrays["active"] & (direct > 0))
        pool = max(config.CANDIDATE_POOL, 10 * limit)
        if eligible.size > pool:
            first = eligible[np.argpartition(-cos[eligible], pool - 1)[:pool]]
        else:
            first = eligible
        parts = self.components(query, cos[first], side, query_side, query_mix, first)
        scores = self.score(parts)
        if eligible.size > first.size and scores.size >= limit:
            w = self.weights_
            text = np.minimum(1.0, cos[eligible] / config.TEXT_SATURATION)
            chain = rules.chain_fit_bound(query, side.arrays["chain"][eligible],
                                          side.arrays["chain_conf"][eligible])
            bound = (w["text"] * text + w["chain"] * chain) / (w["text"] + w["chain"])
            kth = np.partition(scores, -limit)[-limit]
            more = np.setdiff1d(eligible[bound >= kth], first, assume_unique=True)
            if more.size:
                extra = self.components(query, cos[more], side, query_side, query_mix, more)
                parts = {k: np.concatenate([parts[k], extra[k]]) for k in parts}
                scores = np.concatenate([scores, self.score(extra)])
                first = np.concatenate([first, more])
        return first, parts, scores

    def _select(self, profile, guess, query, cos, direct, side: _SideIndex, q_words, limit: int, *,
                query_side: Side, explain: bool = True) -> Ranking:
        rows, parts, scores = self._candidates(query, cos, direct, side, query_side,
                                               self._mix(guess), limit)
        chosen = _top_rows(scores, lambda i: side.ids[rows[i]], limit, self.min_score)
        if not explain:
            return Ranking(profile.id, tuple(Match(side.ids[rows[i]], round(float(scores[i]), 4),
                                                   {}) for i in chosen), guess)
        relevance = self.relevance(parts)
        matches = []
        for i in chosen:
            row = rows[i]
            row_parts = {k: round(float(v[i]), 4) for k, v in parts.items()}
            row_parts["relevance"] = round(float(relevance[i]), 4)
            need, output = (profile, side.profiles[row]) if query_side == Side.NEED else \
                (side.profiles[row], profile)
            need_guess, output_guess = (guess, side.guesses[row]) if query_side == Side.NEED else \
                (side.guesses[row], guess)
            explanation = explain_pair(self, need, output, need_guess, output_guess, row_parts,
                                       q_words, side.row_view("words", row))
            matches.append(Match(side.ids[row], round(float(scores[i]), 4), row_parts,
                                 explanation))
        return Ranking(profile.id, tuple(matches), guess)


# In a worker forked by Matcher._analyse_all: the matcher and the profiles of the fit.
_FORKED: tuple | None = None


def _inherit(matcher: "Matcher", profiles: list) -> None:
    global _FORKED
    _FORKED = (matcher, profiles)


def _analyse_part(bounds: tuple[int, int]) -> tuple:
    matcher, profiles = _FORKED
    return matcher._analyse(profiles[bounds[0]:bounds[1]])


def _jobs(n_jobs: int | None, profiles: int) -> int:
    """Return how many processes should analyse a fit's profiles (1: this one alone)."""
    if n_jobs is None:
        # By default only a process that runs no other thread forks: a thread inside a lock
        # at the fork (a web request in the segmenter, say) would leave it held in the worker.
        if profiles < config.PARALLEL_PROFILES or threading.active_count() > 1:
            return 1
        n_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            (os.cpu_count() or 1)
    if n_jobs <= 1 or profiles < 2 or not sys.platform.startswith("linux") \
            or multiprocessing.current_process().daemon:  # a daemon may not have children
        return 1
    return min(n_jobs, profiles)


def _postings_product(queries, term_major) -> np.ndarray:
    """Return queries (k × V CSR) @ term_major (V × n CSR) as a dense k × n array.

    For each query only the posting lists of its own terms are gathered and summed (a
    dense-vector × sparse product), which is 2–3× faster than a sparse × sparse product
    followed by toarray()."""
    result = np.zeros((queries.shape[0], term_major.shape[1]), dtype=np.float32)
    for row in range(queries.shape[0]):
        start, end = queries.indptr[row], queries.indptr[row + 1]
        if start == end:
            continue
        postings = term_major[queries.indices[start:end]]
        result[row] = queries.data[start:end] @ postings
    return result


def _strongest(matrix, keep: int):
    """Return matrix (CSR) keeping only the keep largest entries of every row."""
    if keep <= 0 or np.diff(matrix.indptr).max(initial=0) <= keep:
        return matrix
    data, indices, indptr = [], [], [0]
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        chosen = np.argsort(-values, kind="stable")[:keep]
        data.append(values[chosen])
        indices.append(matrix.indices[start:end][chosen])
        indptr.append(indptr[-1] + len(chosen))
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                         shape=matrix.shape)


def _row_norms(matrix) -> np.ndarray:
    """Return the l2 norm of every row as a column (1 for empty rows, to divide safely)."""
    norms = np.sqrt(np.asarray(sp.csr_matrix(matrix).multiply(matrix).sum(axis=1))).ravel()
    return np.where(norms > 0, norms, 1.0)[:, None]


class _Arrays:
    """Attribute access to a side's arrays, as the scorers expect."""

    def __init__(self, arrays: dict):
        self.__dict__.update(arrays)


def _top_rows(scores: np.ndarray, id_of, limit: int, min_score: float) -> list[int]:
    """Return the rows of the best scores, ties broken by id, dropping those below min_score."""
    eligible = np.flatnonzero(scores >= max(min_score, 0.0))
    if eligible.size == 0:
        return []
    if eligible.size > limit:
        # Keep every row tied with the limit-th score so that the id tie-break is exact.
        kth = np.partition(scores[eligible], -limit)[-limit]
        eligible = eligible[scores[eligible] >= kth]
    return sorted(eligible.tolist(),
                  key=lambda r: (-round(float(scores[r]), 6), id_key(id_of(r))))[:limit]


def content_words(words: list[str]) -> int:
    """Return how many distinct specific words a profile has (generic ones like 技术 and
    one-character Chinese words such as 泵 or 大 aside)."""
    return sum(1 for w in set(words) - GENERIC_WORDS if len(w) > 1 or w.isascii())


def id_key(value) -> tuple:
    """Sort key for ids: numbers numerically, then everything else as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))
