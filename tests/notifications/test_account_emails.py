"""Account e-mails received by a local SMTP server: the verification link at sign-up, the
operator's approval or refusal, and the forgotten-password reset (valid, expired, reused,
unknown address, rate limit; every session signed out)."""
import re

import pytest
from sqlalchemy import select

from matchmaker.auth import tokens
from matchmaker.auth.models import User
from matchmaker.domain import Role
from matchmaker.extensions import limiter
from tests.auth.test_views import SIGNUP
from tests.conftest import submit
from tests.factories import PASSWORD

_LINK = re.compile(r"http://matchmaker\.test(/\S+)")
NEW_PASSWORD = "Brand-new pass 9921 kx!"


def link_in(mail: dict) -> str:
    """Return the path of the one link into the app in an e-mail."""
    [path] = _LINK.findall(mail["body"])
    return path


def user_by_email(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


# --- verification ------------------------------------------------------------------------------

def test_signup_emails_a_link_that_verifies_the_address(client, db_session, smtp):
    assert submit(client, "/auth/signup", SIGNUP).status_code == 302
    [mail] = smtp.to(SIGNUP["email"])
    assert "请确认您的邮箱地址" in mail["subject"]
    assert mail["message"]["Content-Language"] == "zh-CN"
    path = link_in(mail)
    assert path.startswith("/auth/verify/")
    user = user_by_email(db_session, SIGNUP["email"])
    assert user.email_verified_at is None
    for _ in range(2):  # opening it again is harmless
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    db_session.refresh(user)
    assert user.email_verified_at is not None


def test_signing_up_in_english_gets_the_email_in_english(client, db_session, smtp):
    submit(client, "/auth/locale/en", {"next": "/auth/signup"}, form_url="/auth/signup")
    assert submit(client, "/auth/signup", SIGNUP).status_code == 302
    [mail] = smtp.to(SIGNUP["email"])
    assert mail["subject"].endswith("Please confirm your e-mail address")
    assert mail["message"]["Content-Language"] == "en"
    assert user_by_email(db_session, SIGNUP["email"]).locale == "en"


def test_a_forged_or_expired_verification_link_is_refused(client, db_session, make_user,
                                                          app, monkeypatch):
    user = make_user(Role.BROKER, status="pending")
    forged = tokens.make_verify_token("not-our-secret", user)
    response = client.get(f"/auth/verify/{forged}")
    assert response.status_code == 400 and "此链接无效" in response.get_data(as_text=True)
    now = tokens.current_time()
    monkeypatch.setattr(tokens, "current_time", lambda: now - 8 * 86400)
    old = tokens.make_verify_token(app.config["SECRET_KEY"], user)
    monkeypatch.setattr(tokens, "current_time", lambda: now)
    response = client.get(f"/auth/verify/{old}")
    assert response.status_code == 400 and "此链接已过期" in response.get_data(as_text=True)
    assert user.email_verified_at is None


def test_a_verification_link_for_an_old_address_is_refused(client, db_session, make_user, app):
    user = make_user(Role.BROKER, status="pending")
    token = tokens.make_verify_token(app.config["SECRET_KEY"], user)
    user.email = "changed@factory.example.com"
    db_session.flush()
    assert client.get(f"/auth/verify/{token}").status_code == 400


def test_the_account_page_offers_the_link_again(db_session, make_broker, sign_in, smtp):
    broker = make_broker()
    client = sign_in(broker)
    page = client.get("/account").get_data(as_text=True)
    assert 'data-testid="email-unverified"' in page
    submit(client, "/account/verify-email", {}, form_url="/account")
    [mail] = smtp.to(broker.email)
    client.get(link_in(mail))
    assert 'data-testid="email-verified"' in client.get("/account").get_data(as_text=True)


# --- the operator's decision ---------------------------------------------------------------------

@pytest.mark.parametrize(("status", "subject", "has_link"), [
    ("active", "您的账号已通过审核", True), ("rejected", "您的账号申请未获通过", False)])
def test_the_operators_decision_is_emailed(db_session, make_user, sign_in, smtp, status,
                                           subject, has_link):
    newcomer = make_user(Role.BROKER, status="pending")
    operator = sign_in(make_user(Role.ADMIN))
    response = submit(operator, f"/admin/users/{newcomer.id}/status", {"status": status},
                      form_url="/admin/users")
    assert response.status_code == 302
    [mail] = smtp.to(newcomer.email)
    assert subject in mail["subject"]
    assert (_LINK.findall(mail["body"]) == ["/auth/login"]) is has_link


def test_disabling_an_active_account_sends_no_decision(db_session, make_user, sign_in, smtp):
    member = make_user(Role.BROKER)
    operator = sign_in(make_user(Role.ADMIN))
    submit(operator, f"/admin/users/{member.id}/status", {"status": "disabled"},
           form_url="/admin/users")
    assert smtp.to(member.email) == []


# --- forgotten password --------------------------------------------------------------------------

def ask_reset(client, email: str):
    return submit(client, "/auth/forgot", {"email": email})


def test_a_reset_link_sets_a_new_password_and_signs_out_every_session(
        client, db_session, make_broker, sign_in, smtp):
    broker = make_broker()
    elsewhere = sign_in(broker)
    assert elsewhere.get("/account").status_code == 200
    assert ask_reset(client, broker.email).status_code == 302
    [mail] = smtp.to(broker.email)
    assert "重置密码" in mail["subject"]
    path = link_in(mail)
    assert path.startswith("/auth/reset/") and 'name="new_password"' in client.get(
        path).get_data(as_text=True)
    response = submit(client, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert elsewhere.get("/account").status_code == 302  # signed out
    limiter.reset()
    assert submit(client, "/auth/login", {"email": broker.email,
                                          "password": NEW_PASSWORD}).status_code == 302
    assert user_by_email(db_session, broker.email).email_verified_at is not None


def test_a_used_reset_link_does_not_work_again(client, db_session, make_broker, smtp):
    broker = make_broker()
    ask_reset(client, broker.email)
    path = link_in(smtp.to(broker.email)[0])
    submit(client, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(path)
    assert again.status_code == 400 and "此链接已使用过" in again.get_data(as_text=True)
    response = client.post(path, data={"new_password": "Other pass 5521 zz!",
                                       "confirm": "Other pass 5521 zz!"})
    assert response.status_code == 400


def test_a_reset_link_expires_after_an_hour(client, db_session, make_broker, smtp,
                                            monkeypatch):
    broker = make_broker()
    now = tokens.current_time()
    monkeypatch.setattr(tokens, "current_time", lambda: now - 3601)  # mailed an hour ago
    ask_reset(client, broker.email)
    monkeypatch.setattr(tokens, "current_time", lambda: now)
    path = link_in(smtp.to(broker.email)[0])
    response = client.get(path)
    assert response.status_code == 400 and "此链接已过期" in response.get_data(as_text=True)
    assert 'href="/auth/forgot"' in response.get_data(as_text=True)


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db_session,
                                                              make_broker, smtp):
    broker = make_broker()
    known = ask_reset(client, broker.email)
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = ask_reset(client, "nobody-here@factory.example.com")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code, unknown.headers["Location"])
    notice = "如果有账号使用此邮箱地址，我们已向其发送设置新密码的链接。"
    assert notice in known_page and notice in unknown_page
    assert smtp.to("nobody-here@factory.example.com") == []
    assert len(smtp.messages) == 1


def test_a_weak_new_password_is_refused_on_its_field(client, db_session, make_broker, smtp):
    broker = make_broker()
    ask_reset(client, broker.email)
    path = link_in(smtp.to(broker.email)[0])
    page = submit(client, path, {"new_password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert page.status_code == 200 and "is-invalid" in page.get_data(as_text=True)
    assert client.get(path).status_code == 200  # the link still works


def test_reset_requests_are_rate_limited_per_address(client, db_session, make_broker, smtp):
    broker = make_broker()
    statuses = [ask_reset(client, broker.email).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(smtp.to(broker.email)) == 3


def test_reset_requests_are_rate_limited_per_visitor(client, db_session, smtp):
    statuses = [ask_reset(client, f"someone-{n}@factory.example.com").status_code
                for n in range(6)]
    assert statuses == [302] * 5 + [429]


def test_the_sign_in_page_links_to_the_forgotten_password_form(client):
    assert 'href="/auth/forgot"' in client.get("/auth/login").get_data(as_text=True)


def test_a_pending_account_gets_a_reset_link_but_still_cannot_sign_in(
        client, db_session, make_user, smtp):
    user = make_user(Role.BROKER, status="pending")
    ask_reset(client, user.email)
    assert len(smtp.to(user.email)) == 1
    assert submit(client, "/auth/login", {"email": user.email,
                                          "password": PASSWORD}).status_code == 200
