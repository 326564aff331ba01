"""The list search condition, compiled for each database (see matchmaker.textsearch)."""
from sqlalchemy import Boolean, and_, cast, false, literal, or_
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from matchmaker import textsearch


class _SearchMatch(FunctionElement):
    """search_vector matches every term (any alternative of each)."""

    type = Boolean()
    name = "search_match"
    inherit_cache = False  # the terms are part of the statement, not bound parameters

    def __init__(self, column, terms: list[tuple[str, ...]]):
        self.column, self.terms = column, terms
        super().__init__()


@compiles(_SearchMatch, "postgresql")
def _tsquery(element: _SearchMatch, compiler, **kw) -> str:
    query = cast(literal(textsearch.tsquery(element.terms)), TSQUERY)
    return f"({compiler.process(element.column.op('@@')(query), **kw)})"


@compiles(_SearchMatch)
def _like(element: _SearchMatch, compiler, **kw) -> str:
    condition = and_(*(or_(*(element.column.contains(pattern, autoescape=True)
                             for pattern in alternatives))
                       for alternatives in textsearch.like_patterns(element.terms)))
    # Parenthesised: the caller ANDs it with the visibility rules, which an OR must not escape.
    return f"({compiler.process(condition, **kw)})"


def search_condition(column, query: str, synonyms=()) -> ColumnElement | None:
    """Return the condition for a search box query on column (None for an empty query; a
    query with nothing searchable in it finds nothing)."""
    if not query.strip():
        return None
    terms = textsearch.query_terms(query, synonyms)
    return _SearchMatch(column, terms) if terms else false()
