"""A broker's contact details: checked per field (in Chinese and English), stored one way, and
shown only to operators, the broker and the people who work with them — never on the public
page, never to an unrelated account."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.auth import contact
from matchmaker.auth import services as auth
from matchmaker.auth.contact import BrokerContact, ContactError
from matchmaker.auth.models import Broker
from matchmaker.domain import Role
from matchmaker.errors import ValidationFailedError
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as deals
from tests.conftest import submit

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
CONTACT = BrokerContact(phone="029-88365102-8012", contact_email="Li.Wei@Example.com",
                        wechat_id="liwei_h2", office_hours="工作日 9:00–17:30")


# --- the checks -------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("13800291234", "138 0029 1234"),
    ("+86 138-0029-1234", "138 0029 1234"),
    ("１３８００２９１２３４", "138 0029 1234"),  # full-width digits from a Chinese IME
    ("029-88365102", "029 8836 5102"),
    ("(029)88365102", "029 8836 5102"),
    ("0917-3361208", "0917 336 1208"),
    ("029-8836 5102 转 8012", "029 8836 5102 ext. 8012"),
    ("029-88365102-8012", "029 8836 5102 ext. 8012"),
    ("", ""),
])
def test_phone_numbers_are_stored_one_way(typed, stored):
    assert contact.normalize_phone(typed) == stored


@pytest.mark.parametrize(("typed", "code"), [
    ("12345", "phone_invalid"), ("1380029123", "phone_invalid"), ("029-1234", "phone_invalid"),
    ("call me", "phone_invalid"), ("+852 2123 4567", "phone_abroad"),
    ("+1 650 253 0000", "phone_abroad"), ("400-820-8820", "phone_service"),
    ("1" * 41, "too_long"),
])
def test_phone_numbers_that_are_not_a_mainland_mobile_or_landline_are_refused(typed, code):
    with pytest.raises(ContactError) as caught:
        contact.normalize_phone(typed)
    assert caught.value.code == code


def test_the_tel_link_and_the_extension_of_a_stored_number():
    assert contact.phone_uri("029 8836 5102 ext. 8012") == "tel:+86-29-8836-5102;ext=8012"
    assert contact.phone_uri("138 0029 1234") == "tel:+86-138-0029-1234"
    assert contact.phone_parts("029 8836 5102 ext. 8012") == ("029 8836 5102", "8012")
    assert contact.phone_uri("") is None


@pytest.mark.parametrize(("field", "typed"), [
    ("wechat_id", "1abcdef"), ("wechat_id", "abc"), ("wechat_id", "a" * 21),
    ("wechat_id", "张敏abcdef"), ("contact_email", "li@"), ("contact_email", "a b@example.com"),
    ("office_hours", "早" * 201),
])
def test_wechat_ids_e_mails_and_office_hours_are_checked(field, typed):
    with pytest.raises(ContactError):
        contact.NORMALIZERS[field](typed)


def test_the_service_refuses_a_bad_contact_by_field_and_changes_nothing(db_session,
                                                                       make_broker):
    user = make_broker()
    broker = user.broker
    with pytest.raises(ValidationFailedError) as caught:
        auth.update_broker_profile(
            db_session, broker, actor=user, chains=[], certificate_no="X-1", organisation="",
            bio="", competencies={}, contact=BrokerContact(phone="12345", wechat_id="1x"))
    assert set(caught.value.reasons) == {"phone", "wechat_id"}
    assert broker.phone == "" and broker.certificate_no == ""
    auth.update_broker_profile(db_session, broker, actor=user, chains=[], certificate_no="",
                               organisation="", bio="", competencies={}, contact=CONTACT)
    assert (broker.phone, broker.contact_email, broker.wechat_id, broker.office_hours) == (
        "029 8836 5102 ext. 8012", "Li.Wei@example.com", "liwei_h2", "工作日 9:00–17:30")


# --- the form ---------------------------------------------------------------------------------

PROFILE = {"technology": "3", "industry": "3", "capital": "3", "market": "3",
           "investment": "3", "cultivation": "3", "certificate_no": "", "organisation": "",
           "bio": ""}
BAD = {"phone": "029-1234", "contact_email": "li@", "wechat_id": "8liwei",
       "office_hours": "工作日" * 70}
MESSAGES = {
    "zh": {"phone": "请输入中国大陆手机号（11 位，如 138 0029 1234）或带区号的固定电话",
           "contact_email": "请输入有效的邮箱地址。",
           "wechat_id": "微信号由 6–20 位字母、数字、下划线或减号组成，并以字母开头。",
           "office_hours": "过长：最多 200 个字符。"},
    "en": {"phone": "Enter a mainland China mobile number (11 digits, e.g. 138 0029 1234)",
           "contact_email": "Enter a valid e-mail address.",
           "wechat_id": "A WeChat ID has 6 to 20 letters, digits, underscores or hyphens",
           "office_hours": "Too long: at most 200 characters."},
}


def _field_errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="invalid-feedback d-block" data-field="(\w+)">([^<]+)</div>',
                           page))


@pytest.mark.parametrize("code", ["zh", "en"])
def test_each_contact_field_says_what_is_wrong_in_the_readers_language(
        db_session, make_broker, sign_in, code):
    user = make_broker()
    client = sign_in(user)
    if code == "en":
        submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    response = submit(client, "/brokers/me", {**PROFILE, **BAD})
    assert response.status_code == 200
    errors = _field_errors(response.get_data(as_text=True))
    assert set(errors) == set(BAD)
    for field, message in MESSAGES[code].items():
        assert errors[field].startswith(message), (field, errors[field])
    db_session.refresh(user.broker)
    assert user.broker.phone == "" and user.broker.wechat_id == ""


def test_a_broker_saves_their_contact_and_sees_it_on_their_page(db_session, make_broker,
                                                                 sign_in):
    user = make_broker()
    client = sign_in(user)
    form = client.get("/brokers/me").get_data(as_text=True)
    assert 'data-testid="contact-fields"' in form and 'inputmode="tel"' in form
    response = submit(client, "/brokers/me", {**PROFILE, "phone": "029-88365102-8012",
                                              "contact_email": "li.wei@example.com",
                                              "wechat_id": "liwei_h2",
                                              "office_hours": "工作日 9:00–17:30"})
    assert response.status_code == 302
    db_session.refresh(user.broker)
    assert user.broker.phone == "029 8836 5102 ext. 8012"
    page = client.get(f"/brokers/{user.broker.id}").get_data(as_text=True)
    assert "029 8836 5102 转 8012" in page and 'href="tel:+86-29-8836-5102;ext=8012"' in page
    assert 'href="mailto:li.wei@example.com"' in page and "liwei_h2" in page
    again = client.get("/brokers/me").get_data(as_text=True)
    assert 'value="029 8836 5102 ext. 8012"' in again  # the stored form reads back


# --- who sees it ---------------------------------------------------------------------------------

@pytest.fixture
def world(db_session, make_broker, make_user, make_output, make_need):
    """A broker with a contact and one deal (an institution's output, an enterprise's need,
    a co-broker), an introduction request to them, and people unrelated to them."""
    broker = make_broker()
    auth.update_broker_profile(db_session, broker.broker, actor=broker, chains=[],
                               certificate_no="", organisation="", bio="", competencies={},
                               contact=CONTACT)
    institution, enterprise = make_user(Role.INSTITUTION), make_user(Role.ENTERPRISE)
    due = clock.today() + timedelta(days=5)
    deal = deals.create_deal(db_session, actor=broker, output=make_output(owner=institution),
                             need=make_need(owner=enterprise), next_step="约见", next_step_due=due)
    co_broker = make_broker()
    deals.add_co_broker(db_session, deal, co_broker, actor=broker)
    # An output the broker already works on: an introduction asked on it goes to them.
    asked_output = make_output()
    deals.create_deal(db_session, actor=broker, output=asked_output, next_step="评估",
                      next_step_due=due)
    asker = make_user(Role.ENTERPRISE)
    request = deals.ask_introduction(db_session, need=make_need(owner=asker),
                                     output=asked_output, actor=asker)
    assert request.broker_id == broker.id
    db_session.commit()
    return {"broker": broker, "deal": deal, "co-broker": co_broker,
            "people": {
                "anonymous": None, "operator": make_user(Role.ADMIN), "the broker": broker,
                "enterprise with a deal": enterprise, "institution with a deal": institution,
                "co-broker on a deal": co_broker, "asked for an introduction": asker,
                "unrelated enterprise": make_user(Role.ENTERPRISE),
                "unrelated institution": make_user(Role.INSTITUTION),
                "other broker": make_broker()}}


SEES = {"anonymous": False, "operator": True, "the broker": True,
        "enterprise with a deal": True, "institution with a deal": True,
        "co-broker on a deal": True, "asked for an introduction": True,
        "unrelated enterprise": False, "unrelated institution": False, "other broker": False}


@pytest.mark.parametrize("who", list(SEES))
def test_who_sees_a_brokers_contact(world, client, sign_in, who):
    viewer = world["people"][who]
    profile = world["broker"].broker
    assert permissions.can(viewer, permissions.Action.CONTACT, profile) is SEES[who]
    page = (client if viewer is None else sign_in(viewer)).get(f"/brokers/{profile.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ("029 8836 5102" in html) is SEES[who]
    assert ("Li.Wei@example.com" in html) is SEES[who]
    assert ("liwei_h2" in html) is SEES[who]
    assert ('data-testid="contact-hidden"' in html) is not SEES[who]
    if viewer is None:
        assert not EMAIL.search(html)


def test_a_lost_deal_still_counts_and_a_disabled_account_sees_nothing(db_session, world):
    enterprise = world["people"]["enterprise with a deal"]
    deals.move_deal(db_session, world["deal"], "lost", actor=world["broker"], reason="预算取消",
                    lost_reason="no_budget")
    profile = world["broker"].broker
    assert permissions.can(enterprise, "contact", profile)
    auth.set_account_status(db_session, enterprise, "disabled")
    assert not permissions.can(enterprise, "contact", profile)


def test_the_deal_page_shows_the_owners_and_co_brokers_contacts_to_its_parties(
        db_session, world, sign_in):
    deal, co_broker = world["deal"], world["co-broker"]
    auth.update_broker_profile(db_session, co_broker.broker, actor=co_broker, chains=[],
                               certificate_no="", organisation="", bio="", competencies={},
                               contact=BrokerContact(phone="13991320847"))
    db_session.commit()
    for who in ("enterprise with a deal", "institution with a deal", "operator",
                "co-broker on a deal", "the broker"):
        html = sign_in(world["people"][who]).get(f"/deals/{deal.id}").get_data(as_text=True)
        owner = html[html.index('data-testid="owner"'):html.index('data-testid="co-broker"')]
        assert 'href="tel:+86-29-8836-5102;ext=8012"' in owner and "liwei_h2" in owner, who
        co = html[html.index('data-testid="co-broker"'):]
        assert "139 9132 0847" in co, who
    outsider = sign_in(world["people"]["unrelated enterprise"])
    assert outsider.get(f"/deals/{deal.id}").status_code == 404


def test_the_seed_brokers_have_a_contact_to_show(db_session):
    brokers = db_session.scalars(select(Broker)).all()
    seeded = [b for b in brokers if b.user.email.endswith("@demo.example.com")]
    assert seeded and all(b.phone and b.contact_email.endswith("example.com") for b in seeded)
    assert all(contact.normalize_phone(b.phone) == b.phone for b in seeded)
