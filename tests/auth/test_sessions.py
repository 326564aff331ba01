"""Server-side sessions: sign-out, a password change, disabling or deleting an account end
them, and a replayed copy of an old session or remember-me cookie signs nobody in."""
import hashlib
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from config import ProdConfig
from matchmaker import create_app
from matchmaker.auth.login import load_user
from matchmaker.auth.models import User, UserSession
from matchmaker.auth.sessions import summarize_user_agent, touch
from matchmaker.extensions import limiter
from matchmaker.seed import demo_email
from matchmaker.types import utcnow
from tests.conftest import DEMO_PASSWORD, submit

NEW_PASSWORD = "granite-lantern-orchard-7"


def sign_in(client, key: str, *, remember: bool = False, base_url: str | None = None):
    data = {"email": demo_email(key), "password": DEMO_PASSWORD}
    if remember:
        data["remember"] = "y"
    # over HTTPS Flask-WTF also checks that the Referer is this site, as a browser sends it
    extra = {"base_url": base_url, "headers": {"Referer": f"{base_url}/auth/login"}} \
        if base_url else {}
    page = client.get("/auth/login", **extra).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"csrf_token": token, **data}, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app, **cookies):
    """A new browser that only has copies of the given cookies."""
    fresh = app.test_client()
    for name, value in cookies.items():
        fresh.set_cookie(name, value)
    return fresh


def is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def user_of(db_session, key: str) -> User:
    return db_session.scalar(select(User).where(User.email == demo_email(key)))


def test_replayed_cookies_work_until_sign_out_and_never_after(app, client):
    sign_in(client, "qcut", remember=True)
    session_cookie, remember_cookie = cookie(client, "session"), cookie(client, "remember_token")
    # copies work while the session lives: each cookie on its own signs in
    assert is_signed_in(replay(app, session=session_cookie))
    assert is_signed_in(replay(app, remember_token=remember_cookie))

    submit(client, "/auth/logout", {}, form_url="/")
    assert not is_signed_in(client)
    assert not is_signed_in(replay(app, session=session_cookie))
    assert not is_signed_in(replay(app, remember_token=remember_cookie))
    assert not is_signed_in(replay(app, session=session_cookie, remember_token=remember_cookie))


def test_the_cookie_holds_a_random_token_and_the_database_only_its_hash(app, client, db_session):
    sign_in(client, "qcut", remember=True)
    token = cookie(client, "remember_token").split("|")[0]
    user = user_of(db_session, "qcut")
    assert token != str(user.id) and len(token) >= 40
    rows = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert rows[0].remember and rows[0].revoked_at is None


def test_changing_the_password_signs_out_the_other_sessions_only(app, client, db_session):
    other = app.test_client()
    sign_in(other, "qcut", remember=True)
    old_cookies = {"session": cookie(other, "session"),
                   "remember_token": cookie(other, "remember_token")}
    sign_in(client, "qcut")
    response = submit(client, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, form_url="/account")
    assert response.status_code == 302
    assert is_signed_in(client)  # the browser that changed it stays signed in
    assert not is_signed_in(other)
    assert not is_signed_in(replay(app, **old_cookies))
    assert not is_signed_in(replay(app, remember_token=old_cookies["remember_token"]))


def test_an_operator_disabling_an_account_ends_its_sessions(app, client, login_as, db_session):
    sign_in(client, "xjju", remember=True)
    remember_cookie = cookie(client, "remember_token")
    admin = login_as("admin")
    user = user_of(db_session, "xjju")
    submit(admin, f"/admin/users/{user.id}/status", {"status": "disabled"},
           form_url="/admin/users")
    assert not is_signed_in(client)
    assert not is_signed_in(replay(app, remember_token=remember_cookie))
    assert all(s.revoked_at is not None for s in db_session.scalars(
        select(UserSession).where(UserSession.user_id == user.id)))


def test_a_session_ends_after_the_idle_timeout_unless_kept_signed_in(app, client, db_session):
    sign_in(client, "qcut")
    kept = app.test_client()
    sign_in(kept, "qcut", remember=True)
    user = user_of(db_session, "qcut")
    for record in db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        record.last_seen_at = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)
    db_session.flush()
    assert not is_signed_in(client)
    assert is_signed_in(kept)


def test_a_remembered_session_ends_after_its_lifetime(app, client, db_session):
    sign_in(client, "qcut", remember=True)
    record = db_session.scalar(select(UserSession).where(
        UserSession.user_id == user_of(db_session, "qcut").id))
    record.created_at = utcnow() - app.config["REMEMBER_COOKIE_DURATION"] - timedelta(hours=1)
    db_session.flush()
    assert not is_signed_in(client)


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_last_seen_is_written_at_most_every_few_minutes(app, client, db_session):
    sign_in(client, "qcut")
    record = db_session.scalar(select(UserSession).where(
        UserSession.user_id == user_of(db_session, "qcut").id))
    earlier = utcnow() - timedelta(hours=1)
    record.last_seen_at = earlier
    db_session.flush()
    client.get("/")
    db_session.refresh(record)
    assert _utc(record.last_seen_at) > earlier + timedelta(minutes=59)
    assert not touch(record, every=app.config["SESSION_TOUCH_INTERVAL"])  # just written


def test_signed_in_pages_are_not_cached_and_public_ones_may_be(client):
    anonymous = client.get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    sign_in(client, "qcut")
    for url in ("/", "/account", "/outputs/", "/account/export", "/no-such-page"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["Pragma"] == "no-cache", url


def test_forged_or_unknown_session_tokens_sign_nobody_in(app, db_session):
    user = db_session.scalar(select(User).where(User.email == demo_email("qcut")))
    with app.app_context():
        assert load_user(str(user.id)) is None  # the old cookie content: a bare user id
        assert load_user("x" * 500) is None
        assert load_user("") is None


@pytest.mark.parametrize("agent, label", [
    (("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"), "Chrome 120 · Windows"),
    (("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 MicroMessenger/8.0.43"), "WeChat 8 · iOS"),
    (("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Safari/605.1.15"), "Safari 17 · macOS"),
    ("curl/8.4.0", ""),
])
def test_the_session_list_keeps_a_short_browser_label_only(agent, label):
    assert summarize_user_agent(agent) == label


# --- production configuration: HTTPS only --------------------------------------------------

@pytest.fixture
def prod_app(database_url, db_session):
    config = type("ProdTestConfig", (ProdConfig,), {
        "SECRET_KEY": "prod-test-only", "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://", "MATCH_INDEX_PATH": None,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "JOBS_MODE": "sync"})  # no job-runner thread of its own on the shared test database
    app = create_app(config)
    limiter.reset()
    return app


def test_production_sends_hsts_and_only_secure_host_only_cookies(prod_app):
    client = prod_app.test_client()
    https = "https://matchmaker.example.com"
    page = client.get("/auth/login", base_url=https)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    response = sign_in(client, "qcut", remember=True, base_url=https)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    remember_cookie = next(c for c in cookies if c.startswith("__Host-remember_token="))
    for header in (session_cookie, remember_cookie):
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
        assert "Path=/" in header and "Domain" not in header
    signed_in = client.get("/account", base_url=https)
    assert signed_in.status_code == 200
    assert signed_in.headers["Cache-Control"] == "no-store"


def test_the_development_config_does_not_force_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
