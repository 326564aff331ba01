"""Contact requests from the public showcase: stored, routed to the broker on duty, shown on
their today page and handled there; the honeypot and the rate limit."""
import logging
import re

from sqlalchemy import func, select

from matchmaker.domain import Role
from matchmaker.extensions import limiter
from matchmaker.notifications.models import Notification
from matchmaker.showcase import duty
from matchmaker.showcase.contact import choose_on_duty
from matchmaker.showcase.models import ContactRequest
from matchmaker.showcase.views import slugify
from tests.conftest import submit

FORM = {"name": "王晓东", "organisation": "西安某装备制造有限公司", "email": "wxd@example.com",
        "phone": "", "message": "我们希望了解这项隔膜技术的许可条件和中试情况。", "accept_privacy": "y"}


def page_of(item) -> str:
    plural = "outputs" if item.side == "output" else "needs"
    return f"/showcase/{plural}/{item.id}/{slugify(item.title)}"


def send(client, item, **changes):
    return submit(client, f"/showcase/contact/{item.side}/{item.id}", {**FORM, **changes},
                  form_url=page_of(item))


def count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ContactRequest))


def test_a_request_is_stored_and_routed_to_the_chain_broker_on_duty(
        client, db_session, make_chain, make_broker, make_output):
    chain = make_chain()
    busy = make_broker(chains=[chain])
    free = make_broker(chains=[chain])
    make_broker(chains=["photonics"])  # another chain: not on duty here
    output = make_output(chain_key=chain.key)
    response = send(client, output)
    first = db_session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
    assert response.status_code == 302 and "sent=1" in response.headers["Location"]
    assert (first.item_id, first.side, first.name, first.email) == (
        output.id, "output", "王晓东", "wxd@example.com")
    assert first.broker_id == busy.id  # equal loads (none open): the lower id
    assert first.ip_hash and "127.0.0.1" not in first.ip_hash
    send(client, output, name="李四")
    second = db_session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
    assert second.broker_id == free.id  # busy now has one open request


def test_the_broker_on_duty_is_told_in_the_app(client, db_session, make_chain, make_broker,
                                               make_output):
    chain = make_chain()
    broker = make_broker(chains=[chain])
    send(client, make_output(chain_key=chain.key, title="专用于通知测试的固态储氢合金材料"))
    note = db_session.scalar(select(Notification).where(Notification.recipient_id == broker.id))
    assert note.kind == "contact_request" and note.link_endpoint == "pipeline.today"
    assert note.params == {"item": "专用于通知测试的固态储氢合金材料"}


def test_without_a_specialist_an_operator_takes_it(db_session, make_chain):
    chosen = choose_on_duty(db_session, make_chain().id)
    assert chosen is not None and chosen.role == Role.ADMIN


def test_the_request_shows_on_the_brokers_today_page_and_is_handled_there(
        client, db_session, sign_in, make_chain, make_broker, make_output):
    chain = make_chain()
    broker = make_broker(chains=[chain])
    other = make_broker(chains=[chain])
    send(client, make_output(chain_key=chain.key))
    request = db_session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
    assert request.broker_id == broker.id
    broker_client = sign_in(broker)
    today = broker_client.get("/deals/today").get_data(as_text=True)
    assert f'data-contact-request="{request.id}"' in today and "wxd@example.com" in today
    other_client = sign_in(other)
    assert f'data-contact-request="{request.id}"' not in \
        other_client.get("/deals/today").get_data(as_text=True)
    url = f"/showcase/contact-requests/{request.id}/handled"
    assert submit(other_client, url, {}, form_url="/deals/today").status_code == 404
    assert submit(broker_client, url, {}, form_url="/deals/today").status_code == 302
    db_session.refresh(request)
    assert request.status == "handled" and request.handled_by_id == broker.id
    assert f'data-contact-request="{request.id}"' not in \
        broker_client.get("/deals/today").get_data(as_text=True)


def test_an_anonymous_visitor_cannot_mark_a_request_handled(client, db_session, make_output):
    send(client, make_output())
    request = db_session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
    response = submit(client, f"/showcase/contact-requests/{request.id}/handled", {},
                      form_url="/showcase/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert request.status == "open"


def test_a_filled_honeypot_is_accepted_silently_not_stored_and_logged(
        client, db_session, make_output, caplog):
    output = make_output()
    before = count(db_session)
    with caplog.at_level(logging.WARNING, logger="matchmaker.showcase.views"):
        response = send(client, output, website="http://spam.example.com")
    assert response.status_code == 302 and "sent=1" in response.headers["Location"]
    assert count(db_session) == before
    assert any("honeypot" in record.getMessage() for record in caplog.records)


def test_the_contact_form_is_rate_limited_per_client_address(app, client, db_session,
                                                              make_output, monkeypatch):
    monkeypatch.setitem(app.config, "CONTACT_RATE_LIMIT", "3 per minute")
    output = make_output()
    limiter.reset()
    statuses = [send(client, output, name=f"访客{n}").status_code for n in range(5)]
    reading = client.get(page_of(output)).status_code  # reading is never limited
    limiter.reset()
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]
    assert reading == 200


def errors_of(response) -> set[str]:
    """Return the fields the page marks as wrong."""
    return set(re.findall(r'data-field="([a-z_]+)"', response.get_data(as_text=True)))


def test_the_form_says_which_fields_are_wrong_and_stores_nothing(client, db_session,
                                                                 make_output):
    output = make_output()
    before = count(db_session)
    response = send(client, output, name="", accept_privacy="", message="短")
    assert response.status_code == 400
    assert errors_of(response) == {"name", "accept_privacy", "message"}
    assert count(db_session) == before


def test_an_e_mail_or_a_phone_is_required(client, db_session, make_output):
    response = send(client, make_output(), email="", phone="")
    assert response.status_code == 400 and errors_of(response) == {"email"}


def test_a_wrong_e_mail_or_phone_is_named(client, db_session, make_output):
    response = send(client, make_output(), email="not-an-address", phone="12345")
    assert response.status_code == 400 and errors_of(response) == {"email", "phone"}


def test_a_phone_is_stored_one_way(client, db_session, make_output):
    send(client, make_output(), email="", phone="13800291234")
    latest = db_session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
    assert (latest.phone, latest.email) == ("138 0029 1234", "")


def test_duty_rule_prefers_specialists_then_operators():
    brokers = [duty.Candidate(7, frozenset({1}), 2), duty.Candidate(5, frozenset({1}), 2),
               duty.Candidate(3, frozenset({2}), 0)]
    operators = [duty.Candidate(9, open_requests=1), duty.Candidate(4, open_requests=1)]
    assert duty.on_duty(brokers, operators, 1) == 5  # tie on load: the lower id
    assert duty.on_duty(brokers, operators, 3) == 4  # no specialist: an operator
    assert duty.on_duty(brokers, operators, None) == 4
    assert duty.on_duty([], [], 1) is None


def test_handled_requests_are_erased_after_the_retention_period(db_session):
    """Handled long enough ago: erased; handled recently, or still open: kept."""
    from datetime import UTC, datetime, timedelta

    from matchmaker.showcase.contact import erase_handled_requests

    now = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)

    def stored(status: str, handled_days_ago: int | None) -> int:
        row = ContactRequest(
            side="output", item_id=1, item_title="retention fixture", name="访客",
            email="visitor@example.com",
            message=f"{status} {handled_days_ago}", consent_at=now - timedelta(days=400),
            notice_version="test", created_at=now - timedelta(days=400), status=status,
            handled_at=None if handled_days_ago is None else now - timedelta(
                days=handled_days_ago))
        db_session.add(row)
        db_session.flush()
        return row.id

    old, recent, still_open = stored("handled", 366), stored("handled", 364), stored("open", None)
    assert erase_handled_requests(db_session, days=365, now=now) >= 1
    db_session.expire_all()
    assert db_session.get(ContactRequest, old) is None
    assert db_session.get(ContactRequest, recent) is not None
    assert db_session.get(ContactRequest, still_open) is not None


def test_the_erasing_job_is_registered_daily():
    from matchmaker.jobs.queue import TASKS

    spec = TASKS["showcase.erase_contact_requests"]
    assert spec.cron == "20 0 * * *"
