"""Alembic is the only way the schema is made: head must build from empty and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from matchmaker import create_app
from matchmaker.extensions import db, include_for_dialect
from tests.conftest import IS_POSTGRES, make_committed_app, make_config


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


def test_the_modes_migration_computes_the_vectors_the_app_writes_and_takes_the_modes_out(
        isolated_database_url):
    """a2ebeb818c65 puts each listing's transfer modes in its search vector (PostgreSQL) as
    the app's flush hook does, and its downgrade takes them out again."""
    from sqlalchemy import text

    app = make_committed_app(isolated_database_url)  # head, and the seed data's listings
    with app.app_context():
        def vectors() -> dict[int, str]:
            found = dict(db.session.execute(text(
                "SELECT id, CAST(search_vector AS TEXT) FROM research_outputs")).all())
            db.session.close()
            return found

        modes: dict[int, list[str]] = {}
        for output_id, mode in db.session.execute(text(
                "SELECT output_id, mode FROM research_output_modes")):
            modes.setdefault(output_id, []).append(mode)
        written = vectors()
        downgrade(revision="5d2b8e41c7a3")
        before = vectors()
        upgrade()
        after = vectors()
        db.engine.dispose()
    assert modes and len(written) > 50
    assert after == written  # the migration computes what the app writes
    if IS_POSTGRES:
        assert all(f"'mode~{m}'" in after[i] for i, ms in modes.items() for m in ms)
        assert not any("mode~" in v for v in before.values())
        assert {i: v for i, v in before.items() if i not in modes} == \
            {i: v for i, v in after.items() if i not in modes}
    else:
        assert before == after  # SQLite keeps the normalised text, which has no modes
