"""Sector-chain knowledge: infer a profile's chain and segment from keywords and IPC codes."""
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from matchmaker.matching.profiles import ChainSpec, SegmentSpec
from matchmaker.matching.text import TermFinder, ascii_term, normalize

# Evidence weights: a keyword the author chose counts more than a word in running text, and a
# patent's IPC class is the strongest signal of where a technology sits.
TEXT_HIT, TITLE_HIT, KEYWORD_HIT, FUZZY_HIT, IPC_HIT = 1.0, 2.0, 2.0, 1.5, 3.0
FUZZY_CUTOFF = 88  # rapidfuzz ratio: catches 'electroliser', '质子交换模' but not different terms
FUZZY_MEMO_SIZE = 200_000  # remembered fuzzy matches (distinct keywords) before a reset
CONFIDENCE_SMOOTHING = 2.0
LONE_TERM_DISCOUNT = 0.3


@dataclass(frozen=True)
class ChainGuess:
    """Where a profile sits: chain and segment keys, a confidence in [0, 1], and why."""

    chain: str | None
    segment: str | None
    confidence: float
    source: str  # "explicit", "inferred" or "none"
    evidence: tuple[str, ...] = ()
    # How the text's chain evidence splits over chains (shares sum to 1), strongest first: a
    # PV-powered electrolyser is mostly photovoltaics and partly hydrogen.
    shares: tuple[tuple[str, float], ...] = ()


NO_GUESS = ChainGuess(None, None, 0.0, "none")


class ChainBook:
    """The chains as data, indexed for fast keyword spotting (Aho-Corasick) and IPC lookup."""

    def __init__(self, chains: Sequence[ChainSpec]):
        self.chains = tuple(chains)
        self.by_key = {c.key: c for c in self.chains}
        self.positions = {(c.key, s.key): s.position for c in self.chains for s in c.segments}
        self._terms: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for chain in self.chains:
            for seg in chain.segments:
                for term in (*seg.keywords_zh, *seg.keywords_en):
                    term = normalize(term).strip()
                    if len(term) >= 2:
                        self._terms[term].append((chain.key, seg.key))
            for term in chain.core_terms:
                term = normalize(term).strip()
                if len(term) >= 2:
                    self._terms[term].append((chain.key, None))
        self._automaton = TermFinder((term, term) for term in self._terms)
        self._vocabulary = list(self._terms)
        self._memo_state()
        self._ipc = sorted(((p.replace(" ", "").lower(), c.key, s.key)
                            for c in self.chains for s in c.segments for p in s.ipc_prefixes),
                           key=lambda item: -len(item[0]))

    def _memo_state(self) -> None:
        # Fuzzy matches per keyword, and the vocabulary terms whose length lets them reach
        # FUZZY_CUTOFF per keyword length: rebuilt, never pickled.
        self._fuzzy_memo: dict[str, str | None] = {}
        self._by_length: dict[int, list[str]] = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_fuzzy_memo"], state["_by_length"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._memo_state()

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_dicts(cls, rows: Iterable[dict]) -> "ChainBook":
        """Build from chain dicts in the seed_data/chains format."""
        chains = []
        for row in rows:
            segments = tuple(SegmentSpec(
                key=s["key"], name_zh=s.get("name_zh", s["key"]), name_en=s.get("name_en", s["key"]),
                position=int(s.get("position", i + 1)), keywords_zh=tuple(s.get("keywords_zh", ())),
                keywords_en=tuple(s.get("keywords_en", ())),
                ipc_prefixes=tuple(s.get("ipc_prefixes", ())))
                for i, s in enumerate(row.get("segments", ())))
            synonyms = tuple(tuple(g.split("|")) if isinstance(g, str) else tuple(g)
                             for g in row.get("synonyms", ()))
            chains.append(ChainSpec(key=row["key"], name_zh=row.get("name_zh", row["key"]),
                                    name_en=row.get("name_en", row["key"]), segments=segments,
                                    synonyms=synonyms,
                                    core_terms=tuple(row.get("core_terms", ()))))
        return cls(chains)

    @classmethod
    def from_path(cls, path: str | Path) -> "ChainBook":
        """Load a JSON file (one chain or a list) or a folder of such files."""
        path = Path(path)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        rows = []
        for file in files:
            data = json.loads(file.read_text(encoding="utf-8"))
            rows.extend(data if isinstance(data, list) else [data])
        return cls.from_dicts(rows)

    # --- vocabulary for the analyzer -------------------------------------------------------

    def user_words(self) -> list[str]:
        """Return every Chinese keyword and synonym, for the segmenter's dictionary."""
        words = [t for c in self.chains for s in c.segments for t in s.keywords_zh]
        words += [t for c in self.chains for g in c.synonyms for t in g]
        words += [t for c in self.chains for t in c.core_terms]
        return words

    def synonym_groups(self) -> list[tuple[str, ...]]:
        return [g for c in self.chains for g in c.synonyms if len(g) >= 2]

    # --- inference -------------------------------------------------------------------------

    def _spot(self, text: str) -> dict[str, int]:
        """Return chain keywords found in normalised text, with their counts."""
        found: dict[str, int] = defaultdict(int)
        if not self._terms:
            return found
        for start, end, term in self._automaton.find(text):
            end -= 1  # the term's last character
            if ascii_term(term) and ((start > 0 and text[start - 1].isalnum())
                                     or (end + 1 < len(text) and text[end + 1].isalnum())):
                continue
            found[term] += 1
        return found

    def _fuzzy(self, keyword: str) -> str | None:
        """Return the vocabulary term closest to keyword (rapidfuzz ratio at least
        FUZZY_CUTOFF, the first of equals), None if there is none; remembered per keyword."""
        if not self._vocabulary or len(keyword) < 3:
            return None
        if keyword in self._fuzzy_memo:
            return self._fuzzy_memo[keyword]
        if len(self._fuzzy_memo) >= FUZZY_MEMO_SIZE:
            self._fuzzy_memo.clear()
        best = process.extractOne(keyword, self._near_lengths(len(keyword)), scorer=fuzz.ratio,
                                  score_cutoff=FUZZY_CUTOFF)
        found = self._fuzzy_memo[keyword] = best[0] if best else None
        return found

    def _near_lengths(self, length: int) -> list[str]:
        """Return the vocabulary terms, in order, that a keyword of this length can reach.

        fuzz.ratio is 100 × (1 − indel distance / (len a + len b)), and the distance is at
        least the difference of the lengths: a term too long or too short cannot reach the
        cutoff, so leaving it out changes no answer (a small margin keeps borderline ones)."""
        near = self._by_length.get(length)
        if near is None:
            near = self._by_length[length] = [
                t for t in self._vocabulary
                if 100 * (1 - abs(len(t) - length) / (len(t) + length)) >= FUZZY_CUTOFF - 1e-6]
        return near

    def segment_scores(self, title: str, body: str, keywords: Iterable[str] = (),
                       ipc: Iterable[str] = ()) -> tuple[dict, list[str], dict, set]:
        """Return evidence scores per (chain, segment), the evidence behind them, the distinct
        terms found per chain, and the chains with strong evidence (an author keyword, a core
        term or an IPC code)."""
        scores: dict[tuple[str, str | None], float] = defaultdict(float)
        evidence: list[str] = []
        support: dict[str, set[str]] = defaultdict(set)
        strong: set[str] = set()

        def credit(term: str, weight: float, backed: bool = False) -> None:
            for chain, seg in self._terms[term]:
                scores[(chain, seg)] += weight
                support[chain].add(term)
                if backed or seg is None:
                    strong.add(chain)

        title_hits = self._spot(normalize(title))
        body_hits = self._spot(normalize(body))
        for term, count in body_hits.items():
            credit(term, TEXT_HIT * (1 + math.log(count)))
        for term in title_hits:
            credit(term, TITLE_HIT)
        evidence += sorted(set(title_hits) | set(body_hits))[:12]
        for raw in keywords:
            word = normalize(raw).strip()
            if word in self._terms:
                credit(word, KEYWORD_HIT, backed=True)
            elif (match := self._fuzzy(word)) is not None:
                credit(match, FUZZY_HIT, backed=True)
                evidence.append(f"{raw}≈{match}")
        for raw in ipc:
            code = normalize(raw).replace(" ", "")
            for prefix, chain, seg in self._ipc:
                if code.startswith(prefix):
                    scores[(chain, seg)] += IPC_HIT
                    strong.add(chain)
                    evidence.append(f"IPC {raw}")
                    break
        return scores, evidence, support, strong

    def infer(self, title: str, body: str, *, keywords: Iterable[str] = (),
              ipc: Iterable[str] = (), chain: str | None = None,
              segment: str | None = None) -> ChainGuess:
        """Infer chain and segment; an explicitly set chain (and segment) wins.

        One segment keyword alone in running text (可靠性, 涂层) is weak evidence: many texts
        outside the chain use it. Its confidence is discounted unless a second keyword, a core
        term of the chain, an author keyword or an IPC code backs it."""
        scores, evidence, support, strong = self.segment_scores(title, body, keywords, ipc)
        totals: dict[str, float] = defaultdict(float)
        for (c, _), value in scores.items():
            totals[c] += value
        total = sum(totals.values())
        shares = tuple(sorted(((c, round(v / total, 3)) for c, v in totals.items()),
                              key=lambda item: (-item[1], item[0]))) if total else ()
        if chain and chain in self.by_key:
            if not (segment and (chain, segment) in self.positions):
                inside = {seg: v for (c, seg), v in scores.items() if c == chain and seg}
                segment = max(inside, key=lambda s: (inside[s], s)) if inside else None
            return ChainGuess(chain, segment, 1.0, "explicit", tuple(evidence), shares)
        if not scores:
            return NO_GUESS
        best_chain = max(totals, key=lambda c: (totals[c], c))
        inside = {seg: v for (c, seg), v in scores.items() if c == best_chain and seg}
        best_segment = max(inside, key=lambda s: (inside[s], s)) if inside else None
        confidence = totals[best_chain] / (total + CONFIDENCE_SMOOTHING)
        if best_chain not in strong and len(support[best_chain]) < 2:  # one term, nothing more
            confidence *= LONE_TERM_DISCOUNT
        return ChainGuess(best_chain, best_segment, round(confidence, 3), "inferred",
                          tuple(evidence), shares)

    def segment_distance(self, chain: str, seg_a: str | None, seg_b: str | None) -> int | None:
        """Return how many positions apart two segments of chain are (None if unknown)."""
        if seg_a is None or seg_b is None:
            return None
        a, b = self.positions.get((chain, seg_a)), self.positions.get((chain, seg_b))
        return None if a is None or b is None else abs(a - b)


# --- chain data checks ---------------------------------------------------------------------

@dataclass(frozen=True)
class SynonymCollision:
    """A term that one chain's synonym group folds into a meaning another chain does not share.

    term: the term as normalised; chain, group: the chain and the group that fold it;
    other_chain: the chain that uses the term in another sense; other_group: its own group
    holding the term, or () when it uses the term as a keyword or core term.
    """

    term: str
    chain: str
    group: tuple[str, ...]
    other_chain: str
    other_group: tuple[str, ...] = ()


def _fold(term: str) -> str:
    return normalize(term).strip()


def synonym_collisions(chains: Sequence[ChainSpec], *,
                       involving: str | None = None) -> list[SynonymCollision]:
    """Return the synonym-group terms that mean something else in another chain.

    A group folds every member into one token, so a member another chain uses in another sense
    lifts wrong matches: "SOC" (state of charge, a storage group) also appears in vehicle texts
    as "SoC", a system-on-chip. Two cases are flagged:
    - the term is in groups of two chains whose first terms (the concept they name) differ;
    - the term is a keyword or core term of another chain that knows none of the group's other
      terms (neither as keywords nor in a group): that chain uses the word for something else.
    A term several chains share with the same meaning (碳化硅 / SiC in semiconductors, vehicles
    and photovoltaics) is fine when each chain that uses it knows its group. involving: report
    only collisions in which that chain key takes part (a chain editor's check).
    """
    groups_by_term: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    vocabulary: dict[str, set[str]] = {}
    for chain in chains:
        words = {_fold(t) for s in chain.segments for t in (*s.keywords_zh, *s.keywords_en)}
        words |= {_fold(t) for t in chain.core_terms}
        for group in chain.synonyms:
            folded = {_fold(t) for t in group}
            words |= folded
            for term in folded:
                groups_by_term[term].append((chain.key, tuple(group)))
        vocabulary[chain.key] = words - {""}
    found: dict[tuple, SynonymCollision] = {}
    for chain in chains:
        for group in chain.synonyms:
            members = {_fold(t) for t in group} - {""}
            head = _fold(group[0]) if group else ""
            for other in chains:
                if other.key == chain.key or involving not in (None, chain.key, other.key):
                    continue
                for term in sorted(members & vocabulary[other.key]):
                    theirs = [g for key, g in groups_by_term[term] if key == other.key]
                    if theirs:
                        clash = [g for g in theirs if _fold(g[0]) != head]
                        if clash:
                            found[(term, *sorted((chain.key, other.key)))] = SynonymCollision(
                                term, chain.key, tuple(group), other.key, clash[0])
                    elif not (members - {term}) & vocabulary[other.key]:
                        found[(term, chain.key, other.key)] = SynonymCollision(
                            term, chain.key, tuple(group), other.key)
    return sorted(found.values(), key=lambda c: (c.term, c.chain, c.other_chain))
