"""The accounts-hardening revision on a database that already holds data: nothing referencing
users is lost when SQLite rebuilds the table, the new CHECK constraints hold, and the
downgrade removes only what the old schema cannot represent."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from matchmaker import create_app
from matchmaker.extensions import db
from tests.conftest import IS_POSTGRES, make_config, own_database_url

BEFORE, REVISION = "3f854641c2ce", "2fcdd706570b"
NOW = "2026-12-01 08:00:00"


@pytest.fixture
def migrated_app(tmp_path):
    """An app on an empty database of its own (SQLite file or PostgreSQL schema)."""
    with own_database_url(tmp_path, "mig") as url:
        app = create_app(make_config(url))
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def _run(sql: str, **params):
    with db.engine.begin() as conn:
        return conn.execute(text(sql), params)


def _count(table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def _fill_old_schema() -> None:
    _run("INSERT INTO regions (id, name, name_en, province) VALUES (1, '西安市', 'Xi''an', '陕西省')")
    _run("INSERT INTO chains (id, key, name_zh, name_en, description_zh, description_en, "
         "synonyms, is_active, core_terms) VALUES (1, 'hydrogen', '氢能', 'Hydrogen', '', '', "
         "'', TRUE, '')")
    _run("INSERT INTO institutions (id, name, name_en, aliases, type, region_id, description) "
         "VALUES (1, '秦川理工大学', '', '', 'university', 1, '')")
    for uid, role, inst in ((1, "institution", 1), (2, "broker", None)):
        _run("INSERT INTO users (id, email, password_hash, display_name, role, status, "
             "institution_id, created_at) VALUES (:id, :email, 'x', 'n', :role, 'active', :inst, "
             ":now)", id=uid, email=f"u{uid}@example.com", role=role, inst=inst, now=NOW)
    _run("INSERT INTO brokers (id, user_id, certificate_no, organisation, bio, technology, "
         "industry, capital, market, investment, cultivation) "
         "VALUES (1, 2, 'C-1', '', '', 1, 1, 1, 1, 1, 1)")
    _run("INSERT INTO broker_chains (broker_id, chain_id) VALUES (1, 1)")


def test_upgrade_keeps_every_row_that_references_users(migrated_app):
    with migrated_app.app_context():
        upgrade(revision=BEFORE)
        _fill_old_schema()
        upgrade(revision=REVISION)
        assert (_count("users"), _count("brokers"), _count("broker_chains")) == (2, 1, 1)
        if not IS_POSTGRES:
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_new_constraints_allow_a_waiting_account_but_not_an_active_one_without_org(
        migrated_app):
    with migrated_app.app_context():
        upgrade(revision=REVISION)
        _run("INSERT INTO regions (id, name, name_en, province) VALUES (1, '西安市', 'X', 'P')")
        insert = ("INSERT INTO users (email, password_hash, display_name, role, status, "
                  "institution_id, created_at) VALUES (:email, 'x', 'n', :role, :status, NULL, "
                  ":now)")
        _run(insert, email="wait@example.com", role="institution", status="pending", now=NOW)
        for role, status in (("institution", "active"), ("enterprise", "active")):
            with pytest.raises(IntegrityError):
                _run(insert, email=f"{role}@example.com", role=role, status=status, now=NOW)
        _run("INSERT INTO institutions (id, name, name_en, aliases, type, region_id, "
             "description) VALUES (1, '秦川理工大学', '', '', 'university', 1, '')")
        with pytest.raises(IntegrityError):  # a broker never belongs to an institution
            _run("INSERT INTO users (email, password_hash, display_name, role, status, "
                 "institution_id, created_at) VALUES ('b@example.com', 'x', 'n', 'broker', "
                 "'active', 1, :now)", now=NOW)
        with pytest.raises(IntegrityError):  # a deleted account stays disabled
            _run("INSERT INTO users (email, password_hash, display_name, role, status, "
                 "created_at, deleted_at) VALUES ('d@example.com', 'x', '', 'broker', 'active', "
                 ":now, :now)", now=NOW)


def test_downgrade_removes_only_the_accounts_the_old_schema_cannot_hold(migrated_app):
    with migrated_app.app_context():
        upgrade(revision=BEFORE)
        _fill_old_schema()
        upgrade(revision=REVISION)
        _run("INSERT INTO users (id, email, password_hash, display_name, role, status, "
             "created_at) VALUES (3, 'wait@example.com', 'x', 'n', 'institution', 'pending', "
             ":now)", now=NOW)
        _run("INSERT INTO join_requests (user_id, institution_id, requested_name, "
             "requested_type, region_id, similarity, status, created_at) SELECT id, 1, "
             "'秦川理工大学', 'university', 1, 100, 'pending', :now FROM users "
             "WHERE email = 'wait@example.com'", now=NOW)
        downgrade(revision=BEFORE)
        assert (_count("users"), _count("brokers"), _count("broker_chains")) == (2, 1, 1)
        with pytest.raises(IntegrityError):  # the old constraint is back
            _run("INSERT INTO users (id, email, password_hash, display_name, role, status, "
                 "created_at) VALUES (4, 'w2@example.com', 'x', 'n', 'institution', 'pending', "
                 ":now)", now=NOW)
