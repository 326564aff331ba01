"""Flask extensions, created unbound and initialised in create_app."""
import json
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _json_default(value):
    """Return a value json cannot write as one it can: numpy scalars (the matcher's scores
    and parts) as plain numbers, anything else as its text."""
    return value.item() if hasattr(value, "item") else str(value)


def json_dumps(value) -> str:
    """The JSON columns' serializer (json.dumps, with numpy scalars written as numbers)."""
    return json.dumps(value, default=_json_default)


db = SQLAlchemy(model_class=Base, engine_options={"json_serializer": json_dumps})
migrate = Migrate()
csrf = CSRFProtect()
login = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


SQLITE_BUSY_TIMEOUT_MS = 10_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Make SQLite enforce foreign keys, wait for locks, and leave transactions to SQLAlchemy.

    pysqlite's own implicit BEGIN skips SAVEPOINT and DDL, which breaks nested transactions;
    see SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL" notes. WAL lets
    readers go on while one connection writes (the in-process job runner writes beside the web
    requests), and the busy timeout makes a writer wait for another instead of failing.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


_writing: ContextVar[bool] = ContextVar("matchmaker_sqlite_writing", default=False)


@contextmanager
def sqlite_writes():
    """Mark work outside a request that writes (a background job): its SQLite transactions
    take the write lock at BEGIN (see _begin_sqlite)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _may_write() -> bool:
    """Return whether the current work may write: a request other than GET/HEAD, or a job."""
    from flask import has_request_context, request

    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return _writing.get()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    """Start SQLite transactions that may write with BEGIN IMMEDIATE.

    A deferred transaction that read a row and then writes it fails at once with "database is
    locked" when another connection committed in between (WAL gives it no busy wait, since its
    snapshot is stale). Taking the write lock at BEGIN makes two racing saves wait in turn, so
    the second one reads the first one's version and is refused as a stale edit, not a 500.
    Page views and other reads begin deferred and never wait for writers.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def include_for_dialect(dialect_name: str):
    """Return an Alembic include_object hook that leaves out what the models create only on
    other databases (Index(...).ddl_if(dialect=...), e.g. PostgreSQL's GIN search indexes)."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect_name)

    return include_object
