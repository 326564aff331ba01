"""The account page: password change, sessions, personal-data export, deletion (PIPL),
and the privacy consent."""
import json

from sqlalchemy import select

from matchmaker.auth.models import Broker, User, UserSession
from matchmaker.auth.privacy import PRIVACY_NOTICE_VERSION
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import MatchFeedback
from matchmaker.seed import demo_email
from tests.auth.test_sessions import cookie, is_signed_in, replay, sign_in
from tests.conftest import DEMO_PASSWORD, login, submit

NEW_PASSWORD = "granite-lantern-orchard-7"


def user_of(db_session, key: str) -> User:
    return db_session.scalar(select(User).where(User.email == demo_email(key)))


def give_feedback(db_session, key: str) -> MatchFeedback:
    """A declined verdict of the account key on a published hydrogen pair."""
    need = db_session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
    output = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.chain_id == need.chain_id, ResearchOutput.status == "published")
        .order_by(ResearchOutput.id))
    row = MatchFeedback(need_id=need.id, output_id=output.id, user_id=user_of(db_session, key).id,
                        verdict="declined", reason="price", comment="报价偏高")
    db_session.add(row)
    db_session.flush()
    return row


def test_the_account_page_needs_sign_in_and_is_linked_from_the_user_menu(client):
    assert client.get("/account").status_code == 302
    login(client, "qcut")
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="account-link"' in home and 'href="/account"' in home
    page = client.get("/account").get_data(as_text=True)
    for text in ("我的账号", "qcut@demo.example.com", "秦川理工大学", "修改密码", "登录设备",
                 "下载我的数据", "注销我的账号"):
        assert text in page


def test_password_change_needs_the_current_password(client, db_session):
    login(client, "qcut")
    before = user_of(db_session, "qcut").password_hash
    page = submit(client, "/account/password", {
        "current_password": "not-my-password", "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, form_url="/account").get_data(as_text=True)
    assert "当前密码不正确" in page
    db_session.expire_all()
    assert user_of(db_session, "qcut").password_hash == before


def test_password_change_applies_the_policy_and_the_new_password_works(client, db_session):
    login(client, "qcut")
    page = submit(client, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": "qwertyuiop",
        "confirm": "qwertyuiop"}, form_url="/account").get_data(as_text=True)
    assert "该密码太容易被猜到" in page
    response = submit(client, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, form_url="/account", follow_redirects=True)
    assert "密码已修改" in response.get_data(as_text=True)
    submit(client, "/auth/logout", {}, form_url="/")
    wrong = submit(client, "/auth/login", {"email": demo_email("qcut"),
                                           "password": DEMO_PASSWORD})
    assert wrong.status_code == 200
    login(client, "qcut", NEW_PASSWORD)
    assert user_of(db_session, "qcut").password_changed_at is not None


def test_the_session_list_shows_each_browser_and_signs_out_the_others(app, client, db_session):
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0 Mobile Safari/537.36")
    sign_in(phone, "qcut", remember=True)
    client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/121.0")
    sign_in(client, "qcut")
    page = client.get("/account").get_data(as_text=True)
    assert page.count('data-testid="session"') == 2
    assert "Chrome 119 · Android" in page and "Firefox 121 · Windows" in page
    assert "当前浏览器" in page and "保持登录" in page
    response = submit(client, "/account/sessions/revoke-others", {}, form_url="/account",
                      follow_redirects=True)
    assert "其他 1 个会话已退出登录" in response.get_data(as_text=True)
    assert not is_signed_in(phone) and is_signed_in(client)
    assert client.get("/account").get_data(as_text=True).count('data-testid="session"') == 1


def test_one_session_can_be_signed_out_but_not_someone_elses(app, client, login_as, db_session):
    other = login_as("qcut")
    sign_in(client, "qcut")
    stranger = user_of(db_session, "xjju")
    theirs = db_session.scalar(select(UserSession).where(UserSession.user_id == stranger.id))
    mine = db_session.scalars(select(UserSession).where(
        UserSession.user_id == user_of(db_session, "qcut").id).order_by(UserSession.id)).all()
    assert submit(client, f"/account/sessions/{mine[0].id}/revoke", {},
                  form_url="/account").status_code == 302
    assert not is_signed_in(other) and is_signed_in(client)
    if theirs is not None:
        assert submit(client, f"/account/sessions/{theirs.id}/revoke", {},
                      form_url="/account").status_code == 404
    assert submit(client, "/account/sessions/999999/revoke", {},
                  form_url="/account").status_code == 404


def test_the_export_holds_my_data_and_nobody_elses(client, db_session):
    give_feedback(db_session, "broker-zhangmin")
    give_feedback(db_session, "broker-liuyang")
    login(client, "broker-zhangmin")
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == demo_email("broker-zhangmin")
    assert data["broker_profile"]["certificate_no"] == "SNJJ-2023-0117"
    assert data["broker_profile"]["contact"] == {
        "phone": "138 0291 4471", "contact_email": "zhangmin@example.com",
        "wechat_id": "zhangmin_h2", "office_hours": "工作日 9:00–17:30；周二、周四下午在榆林驻点"}
    assert [f["comment"] for f in data["match_feedback"]] == ["报价偏高"]
    assert len(data["sessions"]) == 1 and data["sessions"][0]["current"]
    assert "consents" in data and "join_requests" in data
    assert demo_email("broker-liuyang") not in response.get_data(as_text=True)


def test_the_export_lists_the_organisation_and_the_consent(client, db_session):
    signup = {"display_name": "吴工", "email": "wu@kexin.example.com",
              "password": "granite-lantern-orchard-7", "confirm": "granite-lantern-orchard-7",
              "role": "enterprise", "organisation_name": "西安可信储氢装备有限公司",
              "organisation_type": "tech_sme", "region": "西安市", "accept_privacy": "y"}
    assert submit(client, "/auth/signup", signup).status_code == 302
    user = db_session.scalar(select(User).where(User.email == "wu@kexin.example.com"))
    user.status = "active"
    db_session.flush()
    login_response = submit(client, "/auth/login", {"email": "wu@kexin.example.com",
                                                     "password": signup["password"]})
    assert login_response.status_code == 302
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert data["organisation"]["name"] == "西安可信储氢装备有限公司"
    assert data["consents"][0]["privacy_notice_version"] == PRIVACY_NOTICE_VERSION


def test_deleting_the_account_erases_the_person_and_keeps_the_history(app, client, login_as,
                                                                       db_session):
    feedback = give_feedback(db_session, "broker-zhangmin")
    sign_in(client, "broker-zhangmin", remember=True)
    old = {"session": cookie(client, "session"),
           "remember_token": cookie(client, "remember_token")}
    user = user_of(db_session, "broker-zhangmin")
    user_id, broker_id = user.id, user.broker.id
    assert user.broker.phone and user.broker.wechat_id  # the seed gives a contact to erase
    response = submit(client, "/account/delete", {"password": DEMO_PASSWORD, "confirm": "y"},
                      form_url="/account", follow_redirects=True)
    assert "您的账号已注销" in response.get_data(as_text=True)

    db_session.expire_all()
    user = db_session.get(User, user_id)
    assert user.email == f"deleted-{user_id}@deleted.invalid"
    assert user.status == "disabled" and user.deleted_at is not None and user.locale is None
    assert "张敏" not in (user._display_name, user.email)
    assert not user.password_hash.startswith(("pbkdf2:", "scrypt:"))
    broker = db_session.get(Broker, broker_id)
    assert broker.bio == "" and broker.certificate_no == "" and broker.chains == []
    assert (broker.phone, broker.contact_email, broker.wechat_id, broker.office_hours) == \
        ("", "", "", "")
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all() == []
    assert db_session.get(MatchFeedback, feedback.id).user_id == user_id  # history kept

    assert not is_signed_in(client) and not is_signed_in(replay(app, **old))
    again = submit(client, "/auth/login", {"email": demo_email("broker-zhangmin"),
                                           "password": DEMO_PASSWORD})
    assert "邮箱或密码错误" in again.get_data(as_text=True)

    colleague = login_as("broker-liuyang")
    page = colleague.get(f"/recommendations/needs/{feedback.need_id}/outputs/"
                         f"{feedback.output_id}/feedback")
    html = page.get_data(as_text=True)
    assert "已注销用户" in html and "张敏" not in html and "报价偏高" in html
    admin = login_as("admin")
    brokers = admin.get("/brokers").get_data(as_text=True)
    assert "张敏" not in brokers and admin.get(f"/brokers/{broker_id}").status_code == 404
    assert "已被本人注销" in admin.get("/admin/users?status=disabled").get_data(as_text=True)


def test_deletion_needs_the_password_and_the_confirmation(client, db_session):
    login(client, "qcut")
    page = submit(client, "/account/delete", {"password": "wrong-password", "confirm": "y"},
                  form_url="/account").get_data(as_text=True)
    assert "密码不正确" in page
    page = submit(client, "/account/delete", {"password": DEMO_PASSWORD},
                  form_url="/account").get_data(as_text=True)
    assert "请勾选以确认您要注销账号" in page
    db_session.expire_all()
    assert user_of(db_session, "qcut").deleted_at is None and is_signed_in(client)


def test_the_last_operator_cannot_delete_their_account(client, db_session):
    login(client, "admin")
    page = submit(client, "/account/delete", {"password": DEMO_PASSWORD, "confirm": "y"},
                  form_url="/account").get_data(as_text=True)
    assert "您是唯一在用的运营账号" in page
    db_session.expire_all()
    assert user_of(db_session, "admin").deleted_at is None


def test_an_operator_cannot_reactivate_a_deleted_account(login_as, client, db_session):
    login(client, "xjju")
    submit(client, "/account/delete", {"password": DEMO_PASSWORD, "confirm": "y"},
           form_url="/account")
    user = db_session.scalar(select(User).where(User.email.like("deleted-%@deleted.invalid")))
    admin = login_as("admin")
    response = submit(admin, f"/admin/users/{user.id}/status", {"status": "active"},
                      form_url="/admin/users", follow_redirects=True)
    assert "该账号已被本人注销" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.status == "disabled"


def test_accounts_without_consent_to_the_current_notice_are_asked_for_it(client, db_session):
    login(client, "qcut")  # seeded accounts predate the notice
    page = client.get("/outputs/").get_data(as_text=True)
    assert 'data-testid="consent-banner"' in page
    response = submit(client, "/account/consent", {}, form_url="/outputs/",
                      follow_redirects=True)
    assert 'data-testid="consent-banner"' not in response.get_data(as_text=True)
    user = user_of(db_session, "qcut")
    assert user.privacy_notice_version == PRIVACY_NOTICE_VERSION
    assert user.privacy_consent_at is not None
