"""Alembic is the only way the schema is made: head must build from empty and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from matchmaker import create_app
from matchmaker.extensions import db, include_for_dialect
from tests.conftest import IS_POSTGRES, make_config


def test_upgrade_from_empty_to_head_matches_models_and_downgrades_cleanly(isolated_database_url):
    app = create_app(make_config(isolated_database_url))
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
