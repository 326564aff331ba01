"""The password policy: length, then zxcvbn's guessability with the person's own details;
applied at sign-up, password change (tests/auth/test_account.py) and flask create-admin."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.auth.passwords import describe, password_problem
from tests.auth.test_views import SIGNUP
from tests.conftest import submit

ME = ("li.gong@newco.example.com", "李工", "陕西新测氢能科技有限公司")


@pytest.mark.parametrize("password, reason", [
    ("short", "too_short"),
    ("x" * 129, "too_long"),
    ("password123", "common"),
    ("1234567890", "common"),
    ("woaini1314520", "common"),        # a Chinese favourite zxcvbn's lists miss
    ("qwertyuiop", "common"),
    ("asdfghjkl;'", "keyboard"),
    ("aaaaaaaaaaaa", "repeat"),
    ("abcabcabcabc", "repeat"),
    ("Li.Gong2026", "personal"),         # the e-mail's local part
    ("gong-li-newco", "personal"),
    ("Qinchuangyuan1", "personal"),      # the platform's own name
])
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    assert password_problem(password, user_inputs=ME) == reason


@pytest.mark.parametrize("password", ["correct-horse-1", "granite-lantern-orchard-7",
                                      "Xian-Hydrogen-Lab-77", "秦岭 雪 松 2026 江"])
def test_strong_passwords_pass(password):
    assert password_problem(password, user_inputs=ME) is None


def test_the_reason_is_explained_in_the_users_language(app):
    with app.test_request_context(), force_locale("en"):
        assert describe("common") == (
            "This password is too easy to guess: it is one of the most common passwords, or "
            "close to one. Add a few uncommon words; length helps more than symbols.")
    with app.test_request_context():
        assert describe("personal") == ("该密码太容易被猜到：其中包含您的姓名、邮箱地址或平台名称。"
                                        "请加入几个不常见的词；长度比符号更有用。")


@pytest.mark.parametrize("password, message", [
    ("password1234", "它是最常见的密码之一"),
    ("li.gong@newco", "其中包含您的姓名、邮箱地址或平台名称"),
    ("1111111111", "该密码太容易被猜到"),
])
def test_signup_refuses_a_guessable_password_next_to_the_field(client, db_session, password,
                                                                message):
    page = submit(client, "/auth/signup", SIGNUP | {"password": password, "confirm": password})
    html = page.get_data(as_text=True)
    assert message in html and 'data-field="password"' in html
    assert db_session.scalar(select(User).where(User.email == SIGNUP["email"])) is None


def test_create_admin_applies_the_policy(app, db_session):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "ops3@example.com", "--name", "运营",
        "--password", "password1234"])
    assert result.exit_code != 0 and "too easy to guess" in result.output
    assert db_session.scalar(select(User).where(User.email == "ops3@example.com")) is None
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "ops3@example.com", "--name", "运营",
        "--password", "ops3@example.com"])
    assert result.exit_code != 0 and "your name, your e-mail address" in result.output
