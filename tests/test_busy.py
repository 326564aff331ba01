"""A SQLite write that waited out the busy timeout answers 503 with Retry-After, not 500."""
import sqlite3

from sqlalchemy.exc import OperationalError

from matchmaker.profiles import services
from tests.conftest import submit


def test_a_locked_database_is_a_busy_page_that_saves_nothing(login_as, db_session, monkeypatch):
    client = login_as("h2-ent-01")

    def locked(*args, **kwargs):
        raise OperationalError("UPDATE tech_needs …", {}, sqlite3.OperationalError(
            "database is locked"))

    monkeypatch.setattr(services, "_apply_need", locked)
    form = {"title": "氢气循环泵耐久性", "description": "寿命不足", "chain": "", "segment": "",
            "modes": ["licence"]}
    response = submit(client, "/needs/new", form)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "稍后" in response.get_data(as_text=True) or "Try again" in response.get_data(True)
