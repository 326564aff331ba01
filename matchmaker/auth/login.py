"""Flask-Login wiring: cookies resolve through server-side sessions (auth/sessions.py)."""
from flask import Flask, current_app, request
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from matchmaker.auth import privacy, sessions
from matchmaker.auth.models import User
from matchmaker.extensions import db, login


def session_lifetimes() -> dict:
    """The idle and remembered lifetimes of sessions (sessions.is_expired's keywords)."""
    config = current_app.config
    return {"idle": config["SESSION_IDLE_TIMEOUT"],
            "remembered": config["REMEMBER_COOKIE_DURATION"]}


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the session cookie and the remember-me cookie both carry a
    session token; a revoked, expired or unknown one signs nobody in."""
    return sessions.resolve(db.session, token, **session_lifetimes())


def sign_in(user: User, *, remember: bool) -> None:
    """Open a server-side session for user (the caller commits, then calls login_user)."""
    sessions.start_session(db.session, user, remember=remember,
                           user_agent=request.headers.get("User-Agent", ""),
                           keep_for=current_app.config["REMEMBER_COOKIE_DURATION"])


# Endpoints that are no page view: the session is neither loaded nor touched for them (a
# liveness probe sent with a browser's cookies would otherwise read the user and its session).
_NOT_VIEWS = frozenset({"static", "main.healthz"})


def _touch_session() -> None:
    """Record that the signed-in session is in use (throttled; see sessions.touch)."""
    if request.endpoint in _NOT_VIEWS or not current_user.is_authenticated:
        return
    record = current_user.current_session
    if record is not None and sessions.touch(
            record, every=current_app.config["SESSION_TOUCH_INTERVAL"]):
        try:
            db.session.commit()
        except OperationalError:  # SQLite busy with a writer: the next page view records it
            db.session.rollback()


def _consent_banner() -> dict:
    """Tell base.html whether to ask the signed-in person to accept the current notice."""
    due = current_user.is_authenticated and privacy.consent_due(current_user)
    return {"privacy_consent_due": due}


def init_app(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = None  # the login page explains itself; avoids an untranslated flash
    login.user_loader(load_user)
    app.before_request(_touch_session)
    app.context_processor(_consent_banner)
