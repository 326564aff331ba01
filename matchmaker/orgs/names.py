"""Organisation names: does a name typed at sign-up match one already on the platform?

Pure (no Flask, no database): names are compared by their folded form (NFKC, case-folded,
without whitespace, zero-width or control characters; see textclean.fold_name), first exactly,
then with rapidfuzz's normalised Indel similarity (fuzz.ratio, 0–100).

Why LOOKALIKE_MIN_SCORE = 88: on the folded names
- the closest pair of different seed organisations scores 80.0 (two enterprises' English
  names, "Shenzhen … Technology Co., Ltd."; institutions: 76.1);
- real, different organisations that differ in one place word score up to 87.8
  (Northwest / Northeastern University 87.8; 中国科学院西安 / 上海光学精密机械研究所 87.5;
  西安科技大学 / 西安电子科技大学 85.7; 西安交通大学 / 西南交通大学 83.3);
- one wrong or missing character in a name of nine or more characters scores 88.9 and up
  (陕西氢能技术研究院 → 陕西氢能技木研究院 88.9; a typo in a 14-character company name 92.9).
So 88 catches the typos in typical full names while leaving those real pairs apart. Short
names (under FUZZY_MIN_LENGTH folded characters, e.g. "西北大学", "QCUT") are compared
exactly only: one character there is usually another organisation (西北大学 / 东北大学).
No threshold separates every case (Shaanxi / Shanxi Normal University scores 97.8): a
look-alike only starts a join request, which a member or an operator decides, and an operator
can register the newcomer as a separate organisation.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from matchmaker.textclean import fold_name

LOOKALIKE_MIN_SCORE = 88
FUZZY_MIN_LENGTH = 6


@dataclass(frozen=True)
class NameMatch:
    key: int  # the candidate organisation's id
    name: str  # which of its names or aliases matched
    score: int  # 100 when the folded names are equal


def best_match(name: str, candidates: Iterable[tuple[int, Iterable[str]]], *,
               min_score: float = LOOKALIKE_MIN_SCORE,
               min_length: int = FUZZY_MIN_LENGTH) -> NameMatch | None:
    """Return the candidate whose name or alias best matches name, or None.

    candidates: (id, names) pairs; an exact match of the folded forms wins over any look-alike,
    ties go to the lower id.
    """
    query = fold_name(name)
    if not query:
        return None
    folded = [(key, fold_name(n), n) for key, names in candidates for n in names if n]
    exact = sorted((key, raw) for key, f, raw in folded if f == query)
    if exact:
        return NameMatch(exact[0][0], exact[0][1], 100)
    if len(query) < min_length:
        return None
    pool = [(key, f, raw) for key, f, raw in folded if len(f) >= min_length]
    found = process.extract(query, [f for _key, f, _raw in pool], scorer=fuzz.ratio,
                            score_cutoff=min_score, limit=None)
    if not found:
        return None
    _value, score, index = min(found, key=lambda m: (-m[1], pool[m[2]][0]))
    key, _f, raw = pool[index]
    return NameMatch(key, raw, min(int(score), 99))
