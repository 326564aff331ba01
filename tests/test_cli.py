"""The flask commands: create-admin and seed."""
from sqlalchemy import func, select

from matchmaker.auth.models import User
from matchmaker.profiles.models import ResearchOutput


def test_create_admin_makes_an_active_operator(app, db_session):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "ops@example.com", "--name", "运营", "--password",
        "long-enough-pass"])
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "ops@example.com"))
    assert user.role == "admin" and user.status == "active"
    assert user.password_hash != "long-enough-pass"


def test_create_admin_refuses_a_short_password(app, db_session):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "ops2@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    assert db_session.scalar(select(User).where(User.email == "ops2@example.com")) is None


def test_create_admin_will_not_take_over_another_role(app, db_session):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "qcut@demo.example.com", "--password", "long-enough-pass"])
    assert result.exit_code != 0
    user = db_session.scalar(select(User).where(User.email == "qcut@demo.example.com"))
    assert user.role == "institution"


def test_seed_command_is_idempotent(app, db_session):
    before = db_session.scalar(select(func.count()).select_from(ResearchOutput))
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "outputs       created    0" in result.output
    assert db_session.scalar(select(func.count()).select_from(ResearchOutput)) == before
