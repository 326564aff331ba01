"""List search: what a listing is indexed as, and what a search box query asks for.

Plain Python (no Flask, no SQLAlchemy). Text is normalised as the matcher does (NFKC, so
full-width ＰＥＭ is PEM; traditional characters simplified; lower case). Chinese is indexed as
overlapping character bigrams, the approach of Lucene's CJK analyser: a query finds every
listing that contains it as a substring, with no dictionary to miss new terms. Other words
(English, numbers, model names) are indexed whole and found by prefix.

On PostgreSQL the tokens become a tsvector with positions (GIN-indexed) and a query a tsquery
whose Chinese bigrams must be adjacent (<->). The vector also holds a listing's transfer modes
as reserved lexemes ("mode~licence", mode_lexeme): no text makes a lexeme with "~", and a
search with a mode filter then finds its hits in that mode through the index alone. On SQLite the normalised text is kept and
searched with LIKE. A query term that belongs to a synonym group (a chain's, or the matcher's
glossary and technical translations: 质子交换膜 = PEM = proton exchange membrane) also finds
the listings that use any other term of the group.
"""
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from matchmaker.matching.text import load_glossary, load_translations, normalize

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_POSITIONS = 255  # PostgreSQL keeps at most 256 positions per lexeme
MAX_POSITION = 16383  # and positions up to 16383
MAX_TERMS = 8  # query terms considered; more narrow nothing a broker would notice
# PostgreSQL refuses a lexeme over 2047 bytes in a tsvector or tsquery (the whole save or
# search failed). Longer words are cut, in the index and in queries alike, so that a query
# word still finds them by prefix; 255 characters stay within the limit in any script.
MAX_WORD = 255
# The search box keeps 100 characters, and so does every alternative of a query term: a
# synonym of thousands of characters made a phrase of thousands of <-> operators (beyond
# PostgreSQL's stack) or a LIKE pattern beyond SQLite's limit. A cut synonym still finds the
# listings that contain it, by its beginning.
MAX_TERM = 100
_MODE_KEY = re.compile(r"[a-z0-9_]+")


def _runs(text: str) -> list[str]:
    return [run if _IS_CJK.match(run) else run[:MAX_WORD]
            for run in _RUNS.findall(normalize(text))]


def tokens(text: str) -> list[str]:
    """Return the index tokens of text in order: Chinese runs as bigrams followed by their
    last character (so that a single character is found by prefix), other words whole."""
    out: list[str] = []
    for run in _runs(text):
        if _IS_CJK.match(run):
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
            out.append(run[-1])
        else:
            out.append(run)
    return out


def mode_lexeme(mode: str) -> str | None:
    """Return the lexeme that marks a transfer mode (its key, e.g. "licence") in a listing's
    search vector, or None for a value that is no mode key. Text is indexed as runs of word
    characters, so neither a listing's text nor a search box query can make it."""
    return f"mode~{mode}" if _MODE_KEY.fullmatch(mode or "") else None


@dataclass(frozen=True)
class Document:
    """The searchable text of one listing, and its transfer modes."""

    parts: tuple[str, ...]
    modes: tuple[str, ...] = ()

    @classmethod
    def of(cls, *parts: str | Iterable[str] | None, modes: Iterable[str] = ()) -> "Document":
        """Build a document from strings and lists of strings (keywords); None is skipped.
        modes: the listing's transfer mode keys."""
        texts = []
        for part in parts:
            if part is None:
                continue
            texts.extend([part] if isinstance(part, str) else [str(p) for p in part])
        return cls(tuple(t for t in texts if t), tuple(sorted({str(m) for m in modes})))

    def plain(self) -> str:
        """Return the normalised text (what SQLite searches with LIKE)."""
        return "\n".join(normalize(part) for part in self.parts)

    def tsvector(self) -> str:
        """Return the PostgreSQL tsvector literal of the tokens, with their positions."""
        positions: dict[str, list[int]] = {}
        position = 0
        for part in self.parts:
            for token in tokens(part):
                position = min(position + 1, MAX_POSITION)
                slots = positions.setdefault(token, [])
                if len(slots) < MAX_POSITIONS:
                    slots.append(position)
            position = min(position + 1, MAX_POSITION)  # no phrase spans two fields
        words = [f"'{lexeme}':{','.join(map(str, slots))}" for lexeme, slots in positions.items()]
        marks = [f"'{lexeme}'" for lexeme in map(mode_lexeme, self.modes) if lexeme]
        return " ".join(words + marks)


def _phrase(term: str) -> str | None:
    """Return the tsquery of one term (its words in order), or None if it has none.

    A Chinese run followed by another run in the term (电解槽PEM, 膜电极（二期）) ends where the
    indexed run ends, so its last character, which the index holds as a token of its own after
    the run's bigrams (tokens), stands between them in the phrase too; without it the two runs
    were never adjacent and such a term found nothing on PostgreSQL.
    """
    parts = []
    runs = _runs(term)
    for number, run in enumerate(runs, 1):
        if _IS_CJK.match(run):
            if len(run) == 1:
                parts.append(f"'{run}':*")
            else:
                parts.extend(f"'{run[i:i + 2]}'" for i in range(len(run) - 1))
                if number < len(runs):
                    parts.append(f"'{run[-1]}'")
        else:
            parts.append(f"'{run}':*")
    return " <-> ".join(parts) if parts else None


@lru_cache(maxsize=1)
def _packaged_groups() -> tuple[tuple[str, ...], ...]:
    return tuple(load_glossary()) + tuple(load_translations())


@lru_cache(maxsize=8)
def _synonym_table(groups: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    """Return term → its group (normalised), for the packaged groups and groups; cached, as
    the chains' groups change only when an operator edits a chain."""
    table: dict[str, tuple[str, ...]] = {}
    for group in (*_packaged_groups(), *groups):
        members = tuple(dict.fromkeys(normalize(t).strip() for t in group if t.strip()))
        for member in members:
            table[member] = tuple(dict.fromkeys(table.get(member, ()) + members))
    return table


def query_terms(query: str, synonyms: Sequence[Sequence[str]] = ()) -> list[tuple[str, ...]]:
    """Return the alternatives of each term of a search box query (all terms must match, any
    alternative of a term will do); terms with nothing searchable in them are dropped.

    synonyms: extra groups of equivalent terms (the chains' synonym groups).
    """
    table = _synonym_table(tuple(tuple(g) for g in synonyms)) if synonyms is not None else {}
    text = " ".join(normalize(query).split())
    found: list[tuple[str, ...]] = []
    # A group member of several words ("proton exchange membrane") is one term.
    for member in sorted((m for m in table if " " in m and m in text), key=len, reverse=True):
        pattern = rf"(?<![^\W_]){re.escape(member)}(?![^\W_])"
        if re.search(pattern, text):
            found.append(table[member])
            text = re.sub(pattern, " ", text)
    for term in text.split():
        if _runs(term):
            found.append(table.get(term, (term,)))
    return [tuple(dict.fromkeys(a[:MAX_TERM] for a in alternatives))
            for alternatives in found[:MAX_TERMS]]


def tsquery(terms: list[tuple[str, ...]], mode: str = "") -> str:
    """Return the PostgreSQL tsquery literal of query_terms' result; with mode (a transfer
    mode key), only the listings in that mode match."""
    clauses = []
    for alternatives in terms:
        phrases = [p for p in (_phrase(a) for a in alternatives) if p]
        clauses.append("(" + " | ".join(f"({p})" for p in phrases) + ")")
    lexeme = mode_lexeme(mode) if mode else None
    if lexeme:
        clauses.append(f"'{lexeme}'")
    return " & ".join(clauses)


def like_patterns(terms: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Return, per term, the normalised substrings SQLite looks for (any one will do)."""
    return [tuple(normalize(a) for a in alternatives) for alternatives in terms]
