"""Bearer-token authentication for /api/v1: the only way in.

The session cookie and the remember-me cookie are never read on the API: authenticate() runs
before every other request hook (Flask-Login's, the CSRF check, the rate limiter) and sets the
request's user itself, the token's owner or an anonymous user, so a request that carries only
a browser's cookies is anonymous, and require_token() answers it 401. That is also why the
API's blueprints may be exempt from CSRF: a cross-site page cannot make a browser send a
bearer token.
"""
from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from matchmaker.api import tokens
from matchmaker.api.problems import ApiProblem
from matchmaker.extensions import db

API_PATH = "/api/v1/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer() -> tuple[bool, str | None]:
    """Return (an Authorization header was sent, the bearer token in it or None)."""
    header = request.headers.get("Authorization")
    if header is None:
        return False, None
    scheme, _sep, value = header.strip().partition(" ")
    return True, (value.strip() if scheme.lower() == "bearer" else None)


def authenticate():
    """Resolve the bearer token of an API request into the request's user (first hook)."""
    if not request.path.startswith("/api/"):
        return
    sent, raw = _bearer()
    token = tokens.authenticate(db.session, raw) if raw else None
    g.api_token, g.api_token_sent = token, sent
    # Flask-Login reads the user from g._login_user before it looks at any cookie.
    g._login_user = token.user if token else current_app.login_manager.anonymous_user()
    if token is not None and db.session.dirty:  # last_used_at
        try:
            db.session.commit()
        except OperationalError:  # SQLite busy with a writer: the next request records it
            db.session.rollback()
    return


def require_token():
    """Refuse a request without a usable token (401), and writes with a read-only one (403)."""
    token = g.get("api_token")
    if token is None:
        sent = g.get("api_token_sent")
        challenge = 'Bearer realm="matchmaker"' + (', error="invalid_token"' if sent else "")
        raise ApiProblem(
            401, "token_invalid" if sent else "token_missing",
            _("The API token is invalid, expired or revoked.") if sent else
            _("Send a personal API token: Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": challenge})
    if request.method not in SAFE_METHODS and not token.may_write:
        raise ApiProblem(403, "token_read_only",
                         _("This token may only read; make a token with the write scope."))


def rate_key() -> str:
    """Count requests per token; requests without a usable one per client address."""
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-ip:{request.remote_addr}"


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]
