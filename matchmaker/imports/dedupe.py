"""Likely duplicates: a row whose title closely matches a record of the same organisation.

Pure (no Flask, no database). The organisation is found first (orgs.names: names and aliases,
西京交大 → 西京交通大学, then look-alikes); within it, titles are compared on their folded form
(textclean.fold_name: NFKC, case-folded, no spaces or invisible characters) with rapidfuzz's
normalised Indel similarity (fuzz.ratio, 0–100). The threshold comes from the configuration
(IMPORT_DUPLICATE_MIN_SCORE); README.md "Bulk import" gives the seed's figures behind it.
"""
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from matchmaker.textclean import fold_name


@dataclass(frozen=True)
class Candidate:
    key: object  # a record id, or ("row", n) for an earlier row of the same file
    title: str


@dataclass(frozen=True)
class Duplicate:
    key: object
    title: str
    score: int  # 100 when the folded titles are equal


class TitleIndex:
    """The titles of one kind of listing, by organisation, searchable by similarity."""

    def __init__(self, min_score: float):
        self.min_score = min_score
        self._by_org: dict[object, list[tuple[str, Candidate]]] = {}

    def add(self, org, candidate: Candidate) -> None:
        folded = fold_name(candidate.title)
        if folded:
            self._by_org.setdefault(org, []).append((folded, candidate))

    def best(self, org, title: str, *, exclude=None) -> Duplicate | None:
        """Return the best match of title among org's titles (not exclude), or None."""
        query = fold_name(title)
        pool = [(f, c) for f, c in self._by_org.get(org, ()) if c.key != exclude]
        if not query or not pool:
            return None
        exact = [c for f, c in pool if f == query]
        if exact:
            return Duplicate(exact[0].key, exact[0].title, 100)
        found = process.extractOne(query, [f for f, _c in pool], scorer=fuzz.ratio,
                                   score_cutoff=self.min_score)
        if found is None:
            return None
        _value, score, index = found
        candidate = pool[index][1]
        return Duplicate(candidate.key, candidate.title, min(int(score), 99))
