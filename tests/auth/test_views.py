"""Sign-in, sign-up, approval and the rate limit on sign-in."""
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.domain import AccountStatus
from matchmaker.extensions import limiter
from matchmaker.orgs.models import Enterprise
from matchmaker.seed import demo_email
from tests.conftest import login, submit

SIGNUP = {
    "display_name": "李工", "email": "li.gong@newco.example.com", "password": "correct-horse-1",
    "confirm": "correct-horse-1", "role": "enterprise", "organisation_name": "陕西新测氢能科技有限公司",
    "organisation_type": "tech_sme", "region": "西安市", "accept_privacy": "y",
}


def test_demo_enterprise_signs_in_and_sees_its_role(client):
    login(client, "h2-ent-01")
    page = client.get("/").get_data(as_text=True)
    assert "企业" in page and "退出" in page


def test_wrong_password_is_refused_with_a_message(client):
    response = submit(client, "/auth/login", {"email": demo_email("qcut"), "password": "nope"})
    assert response.status_code == 200
    assert "邮箱或密码错误" in response.get_data(as_text=True)


def test_signup_creates_a_pending_account_and_a_new_enterprise(client, db_session):
    response = submit(client, "/auth/signup", SIGNUP)
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.email == SIGNUP["email"]))
    assert user.status == AccountStatus.PENDING
    assert user.enterprise.name == SIGNUP["organisation_name"]
    assert user.password_hash != SIGNUP["password"] and "correct-horse" not in user.password_hash


def test_pending_account_cannot_sign_in_until_an_operator_approves_it(client, db_session):
    submit(client, "/auth/signup", SIGNUP)
    response = submit(client, "/auth/login",
                      {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert "待审核" in response.get_data(as_text=True)
    login(client, "admin")
    user = db_session.scalar(select(User).where(User.email == SIGNUP["email"]))
    response = submit(client, f"/admin/users/{user.id}/status", {"status": "active"},
                      form_url="/admin/users")
    assert response.status_code == 302
    submit(client, "/auth/logout", {}, form_url="/")
    response = submit(client, "/auth/login",
                      {"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert response.status_code == 302


def test_signup_reports_each_bad_field_next_to_it(client, db_session):
    bad = SIGNUP | {"email": "not-an-email", "password": "short", "confirm": "other",
                    "organisation_name": "", "organisation_type": "university"}
    count_before = db_session.query(Enterprise).count()
    page = submit(client, "/auth/signup", bad).get_data(as_text=True)
    for message in ("请输入有效的邮箱地址", "请使用 10 到 128 个字符", "两次输入的密码不一致",
                    "请输入所在单位名称", "请选择与身份相符的类型"):
        assert message in page
    assert db_session.query(Enterprise).count() == count_before


def test_signup_with_a_taken_email_is_refused(client):
    page = submit(client, "/auth/signup", SIGNUP | {"email": demo_email("qcut")})
    assert "该邮箱已注册" in page.get_data(as_text=True)


def test_signin_is_rate_limited(app, client):
    limiter.reset()
    statuses = [submit(client, "/auth/login", {"email": "x@example.com", "password": "bad"},
                       form_url="/auth/login").status_code for _ in range(12)]
    limiter.reset()
    assert statuses[0] == 200
    assert 429 in statuses


def test_next_parameter_cannot_redirect_off_site(client):
    response = submit(client, "/auth/login?next=//evil.example.com/x",
                      {"email": demo_email("qcut"), "password": "demo-pass-2026"},
                      form_url="/auth/login")
    assert response.headers["Location"] == "/"


def test_language_switch_changes_the_interface_to_english_and_back(client):
    assert "登录" in client.get("/").get_data(as_text=True)
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    assert "Sign in" in client.get("/").get_data(as_text=True)
    submit(client, "/auth/locale/zh", {"next": "/"}, form_url="/")
    assert "登录" in client.get("/").get_data(as_text=True)
