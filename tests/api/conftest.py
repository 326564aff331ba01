"""API test helpers: a token for a factory account of each role, and a JSON client."""
import pytest

from matchmaker.api import tokens
from matchmaker.domain import Role

ROLES = ("anonymous", Role.ENTERPRISE, Role.INSTITUTION, Role.BROKER, Role.ADMIN)


@pytest.fixture
def make_token(db_session):
    """Return make_token(user, scope="write", days=30) -> the raw bearer token."""
    def make(user, scope: str = "write", days: int = 30) -> str:
        made = tokens.create_token(db_session, user, name="test", scope=scope, days=days,
                                   max_days=365)
        db_session.flush()
        return made.secret
    return make


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, client, token: str | None, lang: str | None = None):
        self.client, self.token, self.lang = client, token, lang

    def open(self, method: str, path: str, *, json=None, headers=None, **kwargs):
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if self.lang:
            sent.setdefault("Accept-Language", self.lang)
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=sent,
                                **kwargs)

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, **kw):
        return self.open("POST", path, **kw)

    def patch(self, path, **kw):
        return self.open("PATCH", path, **kw)


@pytest.fixture
def api_as(client, make_user, make_token):
    """Return api_as(role or user, scope="write", lang=None) -> (Api, user or None)."""
    def make(who, scope: str = "write", lang: str | None = None):
        if who == "anonymous":
            return Api(client, None, lang), None
        user = make_user(who) if isinstance(who, str) else who
        return Api(client, make_token(user, scope), lang), user
    return make
