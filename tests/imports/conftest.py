"""Fixtures of the import tests: the seed's accounts as users, and a runner of dry runs."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from matchmaker.auth.models import User
from matchmaker.imports import services
from matchmaker.seed import demo_email


@pytest.fixture
def seed_user(app, db_session):
    """Return seed_user(key) -> the seed's demo account of key (qcut, admin, …)."""
    def get(key: str) -> User:
        return db_session.scalar(select(User).where(func.lower(User.email) == demo_email(key)))
    return get


@pytest.fixture
def dry_run(app, db_session):
    """Return dry_run(content, kind, user, locale="en") -> Plan, inside a request context."""
    def run(content: bytes, kind: str, user, locale: str = "en"):
        with app.test_request_context(), force_locale(locale):
            return services.run_dry(db_session, content, kind, user, locale=locale)
    return run


@pytest.fixture
def apply(app, db_session):
    """Return apply(plan, user, **options) -> counts, inside a request context."""
    def run(plan, user, locale: str = "en", **options):
        with app.test_request_context(), force_locale(locale):
            return services.apply_import(db_session, plan, user, **options)
    return run
