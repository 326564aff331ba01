"""The matcher: TF-IDF text similarity plus sector-chain and business rules, explained.

Usage::

    matcher = Matcher(ChainBook.from_path("seed_data/chains")).fit(outputs, needs)
    ranking = matcher.rank_outputs(need, limit=10)
    for match in ranking.matches:
        print(match.candidate_id, match.score, match.explanation["shared_terms"])
"""
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from matchmaker.matching import config, rules
from matchmaker.matching.chains import NO_GUESS, ChainBook, ChainGuess
from matchmaker.matching.explain import explain_pair
from matchmaker.matching.profiles import NeedProfile, OutputProfile
from matchmaker.matching.text import Analyzer, load_glossary

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

    def fit(self, docs: list[list[str]]):
        """Learn vocabulary and IDF from docs; return their count matrix."""
        # Two sentinel documents keep the vocabulary non-empty (even with min_df=2) for empty
        # or token-less input; their rows are dropped and they do not count in the IDF.
        counts = self.counter.fit_transform([*docs, [SENTINEL], [SENTINEL]]).tocsr()
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
        vocabulary = self.counter.vocabulary_
        indptr, indices, data = [0], [], []
        for doc in docs:
            counted = Counter(vocabulary[t] for t in doc if t in vocabulary)
            columns = sorted(counted)
            indices.extend(columns)
            data.extend(counted[c] for c in columns)
            indptr.append(len(indices))
        return sp.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, np.int32),
                              np.asarray(indptr, np.int64)),
                             shape=(len(docs), len(vocabulary)))

    def weigh(self, counts):
        """Return sublinear-tf × IDF rows of counts, l2-normalised (as TfidfTransformer)."""
        weighted = counts.astype(np.float32, copy=True).tocsr()
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf32[weighted.indices]
        return normalize(weighted, copy=False)

    def track(self, added=None, removed=None) -> None:
        """Update document frequencies and IDF for one added and/or removed count row."""
        for row, sign in ((added, 1), (removed, -1)):
            if row is not None:
                self.df[row.indices] += sign
                self.n += sign
        # The same smoothed IDF as TfidfTransformer(smooth_idf=True).
        self.weigher.idf_ = np.log((1 + self.n) / (1 + self.df)) + 1
        self.idf32 = self.weigher.idf_.astype(np.float32)


class _Side:
    """One side of the index (outputs or needs): profiles, vectors and rule arrays by row."""

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
        self.arrays: dict[str, np.ndarray] = {}
        self.mix = None  # rows × chains: how each profile's chain evidence splits

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def fitted_rows(self) -> int:
        return 0 if self.words is None else self.words.shape[0]

    def append(self, profile, guess: ChainGuess, thin: bool, values: dict,
               mix: np.ndarray) -> int:
        row = len(self.ids)
        self.mix = mix[None, :] if self.mix is None else np.vstack([self.mix, mix])
        self.ids.append(profile.id)
        self.row_of[profile.id] = row
        self.profiles.append(profile)
        self.guesses.append(guess)
        self.thin.append(thin)
        for name in self.FIELDS:
            dtype = np.float64 if name in ("chain_conf", "price_lo", "price_hi") else \
                (bool if name == "active" else np.int64)
            old = self.arrays.get(name, np.empty(0, dtype=dtype))
            self.arrays[name] = np.append(old, np.asarray([values[name]], dtype=dtype))
        return row

    def word_row(self, row: int):
        if row < self.fitted_rows:
            return self.words[row]
        return self.delta_words[row - self.fitted_rows]

    def char_row(self, row: int):
        if row < self.fitted_rows:
            return self.chars[row]
        return self.delta_chars[row - self.fitted_rows]

    def similarities(self, q_words, q_chars, char_share: float) -> np.ndarray:
        """Return the mixed cosine of query rows (k × V) with every row of this side (k × n)."""
        parts = []
        if self.fitted_rows:
            w = (q_words @ self.words_t).toarray()
            c = (q_chars @ self.chars_t).toarray()
            parts.append((1 - char_share) * w + char_share * c)
        if self.delta_words:
            w = (q_words @ sp.vstack(self.delta_words).T).toarray()
            c = (q_chars @ sp.vstack(self.delta_chars).T).toarray()
            parts.append((1 - char_share) * w + char_share * c)
        return np.hstack(parts) if len(parts) > 1 else parts[0]

    def combine(self, selection) -> tuple:
        """Return selection (k × n) @ rows, for the word and the character channel."""
        fitted = self.fitted_rows
        words = selection[:, :fitted] @ self.words if fitted else 0
        chars = selection[:, :fitted] @ self.chars if fitted else 0
        if self.delta_words:
            words = words + selection[:, fitted:] @ sp.vstack(self.delta_words)
            chars = chars + selection[:, fitted:] @ sp.vstack(self.delta_chars)
        return words, chars


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
        data/glossary.json, a sequence of groups replaces it, () switches it off.
    """

    def __init__(self, chains: ChainBook | None = None, *, weights: Mapping | None = None,
                 min_score: float = 0.05, regions: Mapping[str, str] | None = None,
                 char_share: float = config.CHAR_SHARE, glossary=True):
        self.chains = chains
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
                                         synonyms)
        self._chain_index = {c.key: i for i, c in enumerate(self.chains_.chains)}
        self._region_index: dict[str, int] = {}
        self._province_index: dict[str, int] = {}
        word_docs = [self._words(p) for p in (*outputs, *needs)]
        char_docs = [self._chars(p) for p in (*outputs, *needs)]
        self.words_, self.chars_ = _Channel(), _Channel()
        word_counts, char_counts = self.words_.fit(word_docs), self.chars_.fit(char_docs)
        self.terms_ = self.words_.counter.get_feature_names_out()
        self.outputs_, self.needs_ = _Side(), _Side()
        self._frozen = False
        n = len(outputs)
        for side, profiles, words, rows in ((self.outputs_, outputs, word_docs[:n], slice(0, n)),
                                            (self.needs_, needs, word_docs[n:],
                                             slice(n, None))):
            for profile, tokens in zip(profiles, words):
                self._append(side, profile, tokens)
            side.counts = {"words": word_counts[rows], "chars": char_counts[rows]}
            self._reweigh(side)
        return self

    def refit(self) -> "Matcher":
        """Refit the vocabulary on the current version of every indexed profile."""
        return self.fit([self.outputs_.profiles[row] for row in self.outputs_.row_of.values()],
                        [self.needs_.profiles[row] for row in self.needs_.row_of.values()])

    def _reweigh(self, side: _Side) -> None:
        """Recompute the weighted matrices of side from its counts and the current IDF."""
        if side.counts["words"] is None or side.counts["words"].shape[0] == 0:
            return
        side.words = self.words_.weigh(side.counts["words"])
        side.chars = self.chars_.weigh(side.counts["chars"])
        side.words_t = side.words.T.tocsr()
        side.chars_t = side.chars.T.tocsr()

    # --- profile analysis ------------------------------------------------------------------

    @staticmethod
    def _body(profile) -> str:
        return profile.abstract if isinstance(profile, OutputProfile) else profile.description

    def _words(self, profile) -> list[str]:
        analyze = self.analyzer_.words
        # The title counts twice: it is the author's own summary.
        return (analyze(profile.title) * 2 + analyze(self._body(profile))
                + analyze(" ".join(profile.keywords)))

    def _chars(self, profile) -> list[str]:
        return self.analyzer_.char_ngrams(f"{profile.title} {self._body(profile)} "
                                          f"{' '.join(profile.keywords)}")

    def _guess(self, profile) -> ChainGuess:
        ipc = profile.ipc if isinstance(profile, OutputProfile) else ()
        return self.chains_.infer(profile.title, self._body(profile), keywords=profile.keywords,
                                  ipc=ipc, chain=profile.chain, segment=profile.segment)

    def _code(self, table: dict, key: str | None) -> int:
        if not key:
            return -1
        return table.setdefault(key, len(table))

    def _values(self, profile, guess: ChainGuess) -> dict:
        is_output = isinstance(profile, OutputProfile)
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

    def _append(self, side: _Side, profile, words: list[str]) -> int:
        guess = self._guess(profile)
        thin = len(set(words)) < config.MIN_CONTENT_WORDS
        values = self._values(profile, guess)
        values["active"] = values["active"] and not thin
        if profile.id in side.row_of:  # an update: the old row stops taking part
            side.arrays["active"][side.row_of[profile.id]] = False
        return side.append(profile, guess, thin, values, self._mix(guess))

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

    def _upsert(self, side: _Side, profile) -> None:
        words = self._words(profile)
        word_row = self.words_.counts([words])
        char_row = self.chars_.counts([self._chars(profile)])
        old = side.row_of.get(profile.id)
        self._append(side, profile, words)
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

    def _remove(self, side: _Side, key: Hashable) -> None:
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
        return self._rank(need, self.outputs_, limit=limit, query_is_need=True, explain=explain)

    def rank_needs(self, output: OutputProfile, *, limit: int = 10,
                   explain: bool = True) -> Ranking:
        """Return the needs output could best serve, best first."""
        return self._rank(output, self.needs_, limit=limit, query_is_need=False,
                          explain=explain)

    def all_pairs(self, *, limit: int = 10, chunk_size: int = 256,
                  explain: bool = True) -> Iterator[Ranking]:
        """Rank outputs for every indexed need (in index order), chunk by chunk.

        Text similarities of a chunk of needs against all outputs come from one sparse matrix
        product; the rules are vectorised over all outputs for each need.
        """
        side = self.needs_
        rows = list(side.row_of.values())
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start:start + chunk_size]
            q_words = sp.vstack([side.word_row(r) for r in chunk]).tocsr()
            q_chars = sp.vstack([side.char_row(r) for r in chunk]).tocsr()
            sims, direct = self._similarities(self.outputs_, q_words, q_chars)
            for i, row in enumerate(chunk):
                profile = side.profiles[row]
                query = self._query(side.arrays, row)
                if side.thin[row]:
                    yield Ranking(profile.id, (), side.guesses[row], INSUFFICIENT)
                    continue
                yield self._select(profile, side.guesses[row], query, sims[i], direct[i],
                                   self.outputs_, side.word_row(row), limit,
                                   query_is_need=True, explain=explain)

    def _query(self, arrays: dict, row: int) -> _Query:
        return _Query(**{name: arrays[name][row].item() for name in _Query.__dataclass_fields__})

    def _rank(self, profile, side: _Side, *, limit: int, query_is_need: bool,
              explain: bool) -> Ranking:
        words = self._words(profile)
        guess = self._guess(profile)
        if len(set(words)) < config.MIN_CONTENT_WORDS:
            return Ranking(profile.id, (), guess, INSUFFICIENT)
        values = self._values(profile, guess)
        query = _Query(**{k: values[k] for k in _Query.__dataclass_fields__})
        q_words = self.words_.weigh(self.words_.counts([words]))
        q_chars = self.chars_.weigh(self.chars_.counts([self._chars(profile)]))
        if not len(side):
            return Ranking(profile.id, (), guess)
        sims, direct = self._similarities(side, q_words, q_chars)
        return self._select(profile, guess, query, sims[0], direct[0], side, q_words, limit,
                            query_is_need=query_is_need, explain=explain)

    def _similarities(self, side: _Side, q_words, q_chars) -> np.ndarray:
        """Text similarity of query rows with every row of side, after pseudo-relevance
        feedback: each query is widened by the mean of its best candidates (Rocchio), which
        bridges an enterprise's words for a problem and a lab's words for the method.
        Returns (widened, direct) similarities; only candidates that share something with the
        query itself (direct > 0) may be offered."""
        sims = side.similarities(q_words, q_chars, self.char_share)
        k, beta = config.FEEDBACK_DOCS, config.FEEDBACK_WEIGHT
        if k <= 0 or beta <= 0 or sims.shape[1] == 0:
            return sims, sims
        masked = np.where(side.arrays["active"], sims, -1.0)
        k = min(k, masked.shape[1])
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(top.shape[0]), k)
        cols = top.ravel()
        keep = masked[rows, cols] > 0
        selection = sp.csr_matrix((np.full(keep.sum(), beta / k), (rows[keep], cols[keep])),
                                  shape=masked.shape)
        extra_words, extra_chars = side.combine(selection)
        widened = side.similarities(normalize(q_words + extra_words),
                                    normalize(q_chars + extra_chars), self.char_share)
        return widened, sims

    def components(self, query: _Query, cos: np.ndarray, side: _Side, query_is_need: bool,
                   query_mix: np.ndarray) -> dict[str, np.ndarray]:
        """Return every component score of query against all rows of side."""
        a = side.arrays
        if query_is_need:
            trl = rules.trl_fit(query.trl, a["trl"])
            mode = rules.mode_fit(query.modes, query.compat, a["modes"])
            price = rules.price_fit(query.price_hi, a["price_lo"])
        else:
            trl = rules.trl_fit(a["trl"], query.trl)
            mode = rules.mode_fit(a["modes"], a["compat"], query.modes)
            price = rules.price_fit(a["price_hi"], query.price_lo)
        return {
            "text": np.minimum(1.0, cos / config.TEXT_SATURATION),
            "chain": rules.chain_fit(query, _Arrays(a), query_mix, side.mix),
            "trl": trl, "mode": mode, "price": price,
            "region": rules.region_fit(query.region, query.province, a["region"], a["province"]),
        }

    def score(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Combine component scores: relevance scaled by business fit, in [0, 1]."""
        w = self.weights_
        relevance = (w["text"] * parts["text"] + w["chain"] * parts["chain"]) / (
            w["text"] + w["chain"])
        fit_keys = ("trl", "mode", "price", "region")
        fit = sum(w[k] * parts[k] for k in fit_keys) / sum(w[k] for k in fit_keys)
        return relevance * (1 - w["fit_share"] + w["fit_share"] * fit)

    def _select(self, profile, guess, query, cos, direct, side: _Side, q_words, limit: int, *,
                query_is_need: bool, explain: bool = True) -> Ranking:
        parts = self.components(query, cos, side, query_is_need, self._mix(guess))
        scores = self.score(parts)
        scores = np.where(side.arrays["active"] & (direct > 0), scores, -1.0)
        top = _top_rows(scores, side.ids, limit, self.min_score)
        matches = []
        if not explain:
            return Ranking(profile.id, tuple(Match(side.ids[r], round(float(scores[r]), 4), {})
                                             for r in top), guess)
        for row in top:
            row_parts = {k: round(float(v[row]), 4) for k, v in parts.items()}
            row_parts["relevance"] = round(float(
                (self.weights_["text"] * parts["text"][row] + self.weights_["chain"]
                 * parts["chain"][row]) / (self.weights_["text"] + self.weights_["chain"])), 4)
            need, output = (profile, side.profiles[row]) if query_is_need else \
                (side.profiles[row], profile)
            need_guess, output_guess = (guess, side.guesses[row]) if query_is_need else \
                (side.guesses[row], guess)
            explanation = explain_pair(self, need, output, need_guess, output_guess, row_parts,
                                  q_words, side.word_row(row))
            matches.append(Match(side.ids[row], round(float(scores[row]), 4), row_parts,
                                 explanation))
        return Ranking(profile.id, tuple(matches), guess)


class _Arrays:
    """Attribute access to a side's arrays, as the scorers expect."""

    def __init__(self, arrays: dict):
        self.__dict__.update(arrays)


def _top_rows(scores: np.ndarray, ids: Sequence, limit: int, min_score: float) -> list[int]:
    """Return the rows of the best scores, ties broken by id, dropping those below min_score."""
    eligible = np.flatnonzero(scores >= max(min_score, 0.0))
    if eligible.size == 0:
        return []
    if eligible.size > limit:
        # Keep every row tied with the limit-th score so that the id tie-break is exact.
        kth = np.partition(scores[eligible], -limit)[-limit]
        eligible = eligible[scores[eligible] >= kth]
    return sorted(eligible.tolist(), key=lambda r: (-round(float(scores[r]), 6), id_key(ids[r])))[
        :limit]


def id_key(value) -> tuple:
    """Sort key for ids: numbers numerically, then everything else as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))
