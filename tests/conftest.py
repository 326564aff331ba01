"""Shared fixtures: one migrated and seeded database per test session, a rolled-back
transaction per test, helpers to sign in and submit forms with their CSRF token, and the
make_* factories of tests/factories.py."""
import atexit
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker

from config import TestConfig
from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.jobs import enqueue, run_queued
from matchmaker.seed import demo_email, load_seed
from tests.factories import (  # noqa: F401  (factory fixtures for every test)
    make_broker,
    make_chain,
    make_deal,
    make_enterprise,
    make_institution,
    make_need,
    make_output,
    make_user,
    sign_in,
)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
DEMO_PASSWORD = TestConfig.DEMO_PASSWORD


def reset_postgres(url: str, schema: str = "public") -> None:
    """Drop and recreate schema so that the session starts from an empty database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


_UPLOADS = tempfile.mkdtemp(prefix="matchmaker-test-uploads-")
atexit.register(shutil.rmtree, _UPLOADS, ignore_errors=True)


def make_config(url: str) -> type:
    # Uploaded files (the seed's story images included) go to a folder of the test run's own.
    return type("SessionConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                 "UPLOAD_DIR": _UPLOADS})


def schema_url(url: str, schema: str) -> str:
    """The PostgreSQL url with its search path set to schema."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The session's database: a SQLite file, or on PostgreSQL the public schema — a schema of
    each pytest-xdist worker's own when the suite runs in several processes."""
    if IS_POSTGRES:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if not worker:
            reset_postgres(TEST_DATABASE_URL)
            return TEST_DATABASE_URL
        schema = f"xdist_{worker}"
        reset_postgres(TEST_DATABASE_URL, schema)
        return schema_url(TEST_DATABASE_URL, schema)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url):
    """The application on a database migrated to head by Alembic and loaded with seed_data/."""
    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade()
        from werkzeug.security import generate_password_hash

        load_seed(db.session, app.config["SEED_DIR"],
                  password_hash=generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1000"))
        db.session.commit()
        # The stored matches of the seed, computed once for the session as the worker would.
        enqueue(db.session, "matches.rebuild")
        db.session.commit()
        run_queued(db.session)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class _TestSession(scoped_session):
    """One session for the whole test; 'removing' it after a request only expires its objects,
    so the test body sees what the request committed (to its savepoint)."""

    def remove(self) -> None:
        if self.registry.has():
            self.registry().expire_all()


@pytest.fixture
def db_session(app):
    """A session inside an outer transaction that is rolled back after the test.

    No app context stays pushed during the test, so every request gets its own `g`
    (the signed-in user and the chosen language are not cached across requests).
    """
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = _TestSession(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: "test")
    try:
        yield db.session
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app, db_session):
    """A test client; the sign-in rate limit starts fresh for every test."""
    limiter.reset()
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """Return a CSRF token read from the form on the page at url."""
    page = client.get(url)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1) or match.group(2)


def submit(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST data to url with a fresh CSRF token read from form_url (default: url)."""
    payload = {"csrf_token": csrf_token(client, form_url or url), **data}
    return client.post(url, data=payload, **kwargs)


@contextmanager
def recorded_statements(db_session) -> Iterator[list[str]]:
    """Yield a list that collects the SQL statements db_session's engine runs in the block."""
    from sqlalchemy import event

    statements: list[str] = []
    engine = db_session.get_bind().engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def login(client, key: str, password: str = DEMO_PASSWORD):
    """Sign in as the demo account of seed key (e.g. 'qcut', 'admin', 'broker-zhangmin')."""
    response = submit(client, "/auth/login", {"email": demo_email(key), "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(app, client):
    """Return a function that gives a new client signed in as the demo account of a seed key."""
    def _login(key: str):
        limiter.reset()
        fresh = app.test_client()
        login(fresh, key)
        return fresh
    return _login


@contextmanager
def own_database_url(directory: Path, name: str, *, postgres: bool = IS_POSTGRES
                     ) -> Iterator[str]:
    """Yield the URL of an empty database of a test's own: a SQLite file in directory, or a new
    PostgreSQL schema named after name, dropped afterwards. For tests that commit for real
    (races, worker processes, migrations, browser tests: deal history cannot be deleted).
    postgres: which of the two (the suite's database by default)."""
    unique = f"{name}_{uuid.uuid4().hex[:8]}"
    if not postgres:
        yield f"sqlite:///{directory / f'{unique}.sqlite3'}"
        return
    schema = unique
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(TEST_DATABASE_URL, schema)
    finally:
        try:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        finally:  # a failed drop must not also leak the connection into the next test
            engine.dispose()


@pytest.fixture
def isolated_database_url(tmp_path):
    """The URL of a database of the test's own, empty (own_database_url)."""
    with own_database_url(tmp_path, "own") as url:
        yield url


def make_committed_app(url: str, **settings):
    """Return an app on url, migrated and loaded with seed_data/ (committed for real)."""
    from werkzeug.security import generate_password_hash

    app = create_app(type("OwnConfig", (make_config(url),), settings))
    with app.app_context():
        upgrade()
        load_seed(db.session, app.config["SEED_DIR"],
                  password_hash=generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1000"))
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def committed_app(isolated_database_url):
    """An app on a seeded database of its own whose commits are real (sync jobs)."""
    app = make_committed_app(isolated_database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def no_job_runner_thread():
    """Tests run jobs synchronously: an in-process runner thread (thread mode, e.g. an app
    made with a config that has no JOBS_MODE) would run jobs behind other tests' backs."""
    import threading

    yield
    stray = [t.name for t in threading.enumerate() if t.name == "matchmaker-jobs"]
    assert not stray, "a test app started the in-process job runner; give it JOBS_MODE='sync'"
