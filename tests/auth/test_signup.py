"""Sign-up: explicit privacy consent, the English region menu and the sign-up rate limit."""
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.auth.privacy import PRIVACY_NOTICE_VERSION
from matchmaker.extensions import limiter
from tests.auth.test_views import SIGNUP
from tests.conftest import submit


def test_the_consent_box_starts_unticked_and_links_the_notice(client):
    page = client.get("/auth/signup").get_data(as_text=True)
    box = page.split('name="accept_privacy"')[0].rsplit("<input", 1)[1] + \
        page.split('name="accept_privacy"')[1].split(">", 1)[0]
    assert "checked" not in box
    assert 'href="/privacy"' in page and "我已阅读隐私政策" in page


def test_signup_without_consent_is_refused(client, db_session):
    form = {k: v for k, v in SIGNUP.items() if k != "accept_privacy"}
    page = submit(client, "/auth/signup", form).get_data(as_text=True)
    assert "请勾选以同意隐私政策" in page
    assert db_session.scalar(select(User).where(User.email == SIGNUP["email"])) is None


def test_signup_records_when_and_to_which_notice_the_person_consented(client, db_session):
    assert submit(client, "/auth/signup", SIGNUP).status_code == 302
    user = db_session.scalar(select(User).where(User.email == SIGNUP["email"]))
    assert user.privacy_consent_at is not None
    assert user.privacy_notice_version == PRIVACY_NOTICE_VERSION


def test_the_privacy_notice_is_public_in_both_languages(client):
    page = client.get("/privacy").get_data(as_text=True)
    for text in ("隐私政策", "个人信息保护法", "我们收集哪些信息", "保存多久", "谁能看到",
                 "您的权利及行使方式", "下载我的数据", "注销我的账号", PRIVACY_NOTICE_VERSION):
        assert text in page
    submit(client, "/auth/locale/en", {"next": "/privacy"}, form_url="/privacy")
    page = client.get("/privacy").get_data(as_text=True)
    for text in ("Privacy notice", "Personal Information Protection Law", "What we collect",
                 "How long", "Who sees it", "Your rights and how to use them"):
        assert text in page


def test_the_region_menu_shows_english_names_in_english(client):
    assert "西咸新区" in client.get("/auth/signup").get_data(as_text=True)
    submit(client, "/auth/locale/en", {"next": "/auth/signup"}, form_url="/auth/signup")
    page = client.get("/auth/signup").get_data(as_text=True)
    assert '<option value="西咸新区">Xixian New Area</option>' in page


# different enough not to look alike (see orgs/names.py)
NAMES = ("长风", "秋水", "青松", "白鹭", "远山", "晨光", "星河", "海棠", "云杉", "雪莲", "竹溪")


def _account(n: int) -> dict:
    return SIGNUP | {"email": f"rate{n}@newco.example.com",
                     "organisation_name": f"陕西{NAMES[n % len(NAMES)]}新材料有限公司"}


def test_account_creation_is_rate_limited_per_address_and_the_429_page_is_translated(
        app, client, db_session):
    limiter.reset()
    for n in range(2):  # failed attempts do not use up the sign-up allowance
        bad = submit(client, "/auth/signup", _account(9 + n) | {"accept_privacy": ""})
        assert bad.status_code == 200
    statuses = [submit(client, "/auth/signup", _account(n)).status_code for n in range(6)]
    assert statuses == [302] * 5 + [429]
    refused = submit(client, "/auth/signup", _account(7))
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "尝试次数过多" in html and "分钟后再试" in html
    assert db_session.scalar(select(User).where(User.email == "rate5@newco.example.com")) is None
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert submit(other_address, "/auth/signup", _account(8)).status_code == 302
    limiter.reset()
