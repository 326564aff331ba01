"""Alembic is the only way the schema is made: head must build from empty and match the models."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from matchmaker import create_app
from matchmaker.extensions import db, include_for_dialect
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, make_config


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_upgrade_from_empty_to_head_matches_models_and_downgrades_cleanly(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "research_outputs", "tech_needs", "chains", "chain_segments",
                "patents", "brokers", "institutions", "enterprises"} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_object": include_for_dialect(conn.dialect.name)})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_database_under_test_is_the_one_requested(app):
    with app.app_context():
        assert db.engine.dialect.name == ("postgresql" if IS_POSTGRES else "sqlite")
