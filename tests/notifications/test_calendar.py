"""The brokers' private calendar feeds: made and reset from /brokers/me, opened without a
session by their secret URL, served as text/calendar and parsed back with icalendar."""
import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from matchmaker.domain import Role
from matchmaker.notifications import calendar
from matchmaker.notifications.models import CalendarFeed
from matchmaker.pipeline import services as pipeline
from tests.conftest import csrf_token, submit

_URL = re.compile(r'value="http://localhost(/calendar/[^"]+\.ics)" data-testid="calendar-url"')


def feed_path(client) -> str | None:
    found = _URL.search(client.get("/brokers/me").get_data(as_text=True))
    return found.group(1) if found else None


def make_link(client) -> str:
    response = submit(client, "/calendar/reset", {}, form_url="/brokers/me")
    assert response.status_code == 302
    return feed_path(client)


@pytest.fixture
def broker(make_broker):
    return make_broker()


def test_a_broker_makes_a_link_and_the_feed_lists_next_steps_and_tasks(
        app, client, db_session, broker, sign_in, open_deal, make_user):
    due = date.today() + timedelta(days=3)
    deal = open_deal(broker, due=due, step="Visit the electrolyser pilot line")
    task = pipeline.add_task(db_session, deal, "Send the NDA draft", due + timedelta(days=1),
                             actor=broker, assignee=broker)
    done = pipeline.add_task(db_session, deal, "Already done", due, actor=broker,
                             assignee=broker)
    pipeline.complete_task(db_session, done, actor=broker)
    others = open_deal(make_user(Role.BROKER), due=due, step="Someone else's step")
    broker_client = sign_in(broker)
    assert feed_path(broker_client) is None
    path = make_link(broker_client)
    response = client.get(path)  # no session: the secret in the URL is the credential
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    parsed = Calendar.from_ical(response.data)
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    step = events[f"deal-{deal.id}-next-step@matchmaker.test"]
    assert str(step["SUMMARY"]) == "下一步：Visit the electrolyser pilot line"
    assert step.decoded("DTSTART") == due and step.decoded("DTEND") == due + timedelta(days=1)
    assert str(step["URL"]) == f"http://matchmaker.test/deals/{deal.id}"
    assert str(events[f"task-{task.id}@matchmaker.test"]["SUMMARY"]) == "任务：Send the NDA draft"
    assert f"task-{done.id}@matchmaker.test" not in events
    assert f"deal-{others.id}-next-step@matchmaker.test" not in events
    assert str(parsed["X-WR-CALNAME"]) == "对接平台：我的项目"


def test_the_feed_is_written_in_the_brokers_language(client, db_session, broker, sign_in,
                                                     open_deal):
    deal = open_deal(broker, due=date.today(), step="Call")
    broker.locale = "en"
    db_session.flush()
    path = make_link(sign_in(broker))
    parsed = Calendar.from_ical(client.get(path).data)
    [event] = [e for e in parsed.walk("VEVENT") if str(e["UID"]).startswith(f"deal-{deal.id}-")]
    assert str(event["SUMMARY"]) == "Next step: Call"


def test_resetting_the_link_invalidates_the_old_url(client, db_session, broker, sign_in):
    broker_client = sign_in(broker)
    old = make_link(broker_client)
    new = make_link(broker_client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_only_a_hash_of_the_secret_is_stored(db_session, broker, sign_in, app):
    path = make_link(sign_in(broker))
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    feed = db_session.query(CalendarFeed).filter_by(user_id=broker.id).one()
    assert token not in (feed.token_hash, feed.nonce) and len(feed.token_hash) == 64
    assert calendar.user_for_token(db_session, token).id == broker.id


def test_a_wrong_or_garbage_token_is_a_404(client):
    for token in ("x", "a" * 43, "%00", "b" * 500):
        assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_disabled_brokers_feed_stops_working(client, db_session, broker, sign_in):
    from matchmaker.auth import services as auth

    path = make_link(sign_in(broker))
    auth.set_account_status(db_session, broker, "disabled")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.ADMIN])
def test_only_brokers_make_calendar_links(db_session, make_user, sign_in, role):
    other = sign_in(make_user(role))
    response = other.post("/calendar/reset", data={"csrf_token": csrf_token(other, "/account")})
    assert response.status_code == 403
    assert db_session.query(CalendarFeed).count() == 0


def test_the_profile_page_shows_no_calendar_block_to_others(client, db_session, broker):
    page = client.get(f"/brokers/{broker.broker.id}").get_data(as_text=True)
    assert 'data-testid="calendar-feed"' not in page
