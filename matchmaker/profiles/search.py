"""The list search condition, compiled for each database (see matchmaker.textsearch).

The condition carries both forms as ordinary SQL expressions with bound parameters — the
tsquery for PostgreSQL, the LIKE patterns for SQLite — and each dialect compiles its own, so
SQLAlchemy's statement cache serves every search of the same shape.
"""
from sqlalchemy import Boolean, and_, bindparam, cast, false, or_
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Text

from matchmaker import textsearch


class _SearchMatch(FunctionElement):
    """search_vector matches every term (any alternative of each): clauses are the column,
    the tsquery parameter and the LIKE form."""

    type = Boolean()
    name = "search_match"
    inherit_cache = True


@compiles(_SearchMatch, "postgresql")
def _tsquery(element: _SearchMatch, compiler, **kw) -> str:
    column, query, _ = element.clauses.clauses
    return f"({compiler.process(column.op('@@')(cast(query, TSQUERY)), **kw)})"


@compiles(_SearchMatch)
def _like(element: _SearchMatch, compiler, **kw) -> str:
    # Parenthesised: the caller ANDs it with the visibility rules, which an OR must not escape.
    return f"({compiler.process(element.clauses.clauses[2], **kw)})"


def search_condition(column, query: str, synonyms=(), *, mode: str = "",
                     in_mode: ColumnElement | None = None) -> ColumnElement | None:
    """Return the condition for a search box query on column (None for an empty query; a
    query with nothing searchable in it finds nothing).

    mode, in_mode: a transfer-mode filter to fold into the search, as the mode's key and as the
    condition that reads the listing's mode rows. On PostgreSQL the tsquery then asks for the
    mode's lexeme, which every listing's search vector holds for each of its modes
    (textsearch.mode_lexeme), so the index finds the hits in that mode without probing the mode
    table once per hit; SQLite applies in_mode beside its LIKE patterns.
    """
    if not query.strip():
        return None
    terms = textsearch.query_terms(query, synonyms)
    if not terms:
        return false()
    like = and_(*(or_(*(column.contains(pattern, autoescape=True) for pattern in alternatives))
                  for alternatives in textsearch.like_patterns(terms)))
    if in_mode is not None:
        like = and_(like, in_mode)
    tsquery = bindparam("search_tsquery", textsearch.tsquery(terms, mode), type_=Text)
    return _SearchMatch(column, tsquery, like)


def search_and_mode(model, query: str, synonyms=(), mode: str = "") -> list[ColumnElement]:
    """Return the conditions of a list's search box and transfer-mode filter on a listing
    model (its search_vector and mode_rows): one search condition that carries the mode when
    there is a search (search_condition), the mode rows' EXISTS alone when there is none."""
    in_mode = model.mode_rows.any(mode=mode) if mode else None
    if in_mode is not None and textsearch.mode_lexeme(mode) is None:
        return [c for c in (search_condition(model.search_vector, query, synonyms), in_mode)
                if c is not None]  # not a mode key: nothing to fold, and nothing will match
    found = search_condition(model.search_vector, query, synonyms, mode=mode, in_mode=in_mode)
    if found is not None:
        return [found]
    return [in_mode] if in_mode is not None else []
