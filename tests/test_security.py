"""Security defaults: headers, hashed passwords, pages need sign-in, errors stay friendly."""
from sqlalchemy import select

from matchmaker.auth.models import User


def test_every_response_carries_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_passwords_are_stored_hashed(db_session):
    user = db_session.scalar(select(User).where(User.email == "admin@demo.example.com"))
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))
    assert "demo-pass" not in user.password_hash


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/outputs/999999999")
    assert response.status_code == 302  # not signed in: sent to the sign-in page first
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_logout_requires_post_with_csrf(login_as):
    client = login_as("qcut")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/outputs/").status_code == 200
