"""Column types and helpers shared by the models."""
from datetime import UTC, datetime

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class TextList(TypeDecorator):
    """A list of short strings stored one per line in a TEXT column.

    Portable across SQLite and PostgreSQL and searchable with LIKE, which JSON columns are not
    on both. Items must not contain newlines; empty items are dropped.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return ""
        return "\n".join(item.strip() for item in value if item and item.strip())

    def process_result_value(self, value, dialect):
        return [item for item in (value or "").split("\n") if item]


class SearchVector(TypeDecorator):
    """A listing's search index entry: a tsvector on PostgreSQL, normalised text elsewhere.

    Assign a textsearch.Document; the dialect decides what is stored (see textsearch).
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TSVECTOR

            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, str):
            return value
        return value.tsvector() if dialect.name == "postgresql" else value.plain()
