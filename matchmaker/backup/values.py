"""How values go into the archive and back: one codec per column, by its storage type, and
the SELECT expressions that read what is stored untouched (see matchmaker.backup)."""
import base64
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

BATCH = 1000
# Derived columns: not saved, computed again on restore (database.rebuild_search_vectors).
DERIVED = {("research_outputs", "search_vector"), ("tech_needs", "search_vector")}


def codec_of(column: sa.Column) -> str:
    """Return how column's values are written to the archive (by its storage type)."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.JSON):
        return "json"
    if isinstance(kind, sa.DateTime):
        return "datetime_tz" if kind.timezone else "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return "decimal"
    if isinstance(kind, sa.LargeBinary):
        return "bytes"
    return "plain"  # integers, floats, booleans, text: JSON holds them as they are


def encode(value, codec: str):
    """Return value as a JSON-ready value for codec."""
    if value is None:
        return None
    if codec in ("datetime", "datetime_tz"):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if codec == "date":
        return value.isoformat()
    if codec == "decimal":
        return str(value)
    if codec == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def decode(value, codec: str):
    """Return the archive's value as the Python value a database column takes."""
    if value is None:
        return None
    if codec in ("datetime", "datetime_tz"):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed.replace(tzinfo=UTC) if codec == "datetime_tz" else parsed
    if codec == "date":
        return date.fromisoformat(value)
    if codec == "decimal":
        return Decimal(value)
    if codec == "bytes":
        return base64.b64decode(value)
    return value


def saved_columns(table: sa.Table) -> list[sa.Column]:
    """Return the columns of table that the archive holds (all but the derived ones)."""
    return [c for c in table.columns if (table.name, c.name) not in DERIVED]


def read_expression(column: sa.Column):
    """Return the SELECT expression that reads column's stored value untouched: JSON as its
    text, list columns as their text (no type processing drops or reshapes anything)."""
    codec = codec_of(column)
    if codec == "json":
        return sa.cast(column, sa.Text).label(column.name)
    if isinstance(column.type, sa.types.TypeDecorator):
        return sa.type_coerce(column, column.type.impl_instance).label(column.name)
    return column


def write_expression(column: sa.Column, dialect: str):
    name = f"v_{column.name}"
    if codec_of(column) == "json":
        # The JSON text as it was stored; SQLite keeps JSON as text (a CAST to JSON there
        # would mean NUMERIC affinity), PostgreSQL parses it into the json column.
        text = sa.bindparam(name, type_=sa.Text)
        return sa.cast(text, column.type) if dialect == "postgresql" else text
    if isinstance(column.type, sa.types.TypeDecorator):
        return sa.bindparam(name, type_=column.type.impl_instance)
    return sa.bindparam(name, type_=column.type)


def rows_in_order(conn: Connection, table: sa.Table) -> Iterator[tuple]:
    """Yield table's rows (saved columns, stored values) in primary-key order, in batches."""
    columns = saved_columns(table)
    order = list(table.primary_key.columns) or columns
    stmt = sa.select(*(read_expression(c) for c in columns)).order_by(*order)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
    for partition in result.partitions():
        yield from partition
