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


def search_condition(column, query: str, synonyms=()) -> ColumnElement | None:
    """Return the condition for a search box query on column (None for an empty query; a
    query with nothing searchable in it finds nothing)."""
    if not query.strip():
        return None
    terms = textsearch.query_terms(query, synonyms)
    if not terms:
        return false()
    like = and_(*(or_(*(column.contains(pattern, autoescape=True) for pattern in alternatives))
                  for alternatives in textsearch.like_patterns(terms)))
    tsquery = bindparam("search_tsquery", textsearch.tsquery(terms), type_=Text)
    return _SearchMatch(column, tsquery, like)
