"""The notification centre: unread count in the top bar, the list in the reader's language,
open / mark read / mark all read (POST with CSRF), preferences; nobody reads another
person's notifications."""
import re

import pytest
from sqlalchemy import event, select

from matchmaker.domain import Role
from matchmaker.extensions import db
from matchmaker.notifications import services
from matchmaker.notifications.models import Notification, NotificationPreference
from matchmaker.notifications.rules import Kind
from tests.conftest import csrf_token, submit

_UNREAD = re.compile(r'data-testid="unread-count">(\d+)<')


def tell(session, user, n: int, kind=Kind.ASSIGNED, link=None) -> list[int]:
    """Record n notifications for user; return their ids."""
    ids = []
    for i in range(n):
        ids.append(services.notify(session, user, kind, key=f"test:{user.id}:{kind}:{i}",
                                   params={"deal": f"Membrane deal {i}"},
                                   link=link or ("brokers.index", {})))
    return ids


def unread_badge(client) -> int:
    found = _UNREAD.search(client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


@pytest.fixture
def broker(make_broker):
    return make_broker()


def test_the_top_bar_shows_the_unread_count(db_session, broker, sign_in):
    client = sign_in(broker)
    assert unread_badge(client) == 0
    tell(db_session, broker, 3)
    assert unread_badge(client) == 3


def test_a_page_counts_unread_notifications_with_one_query(app, db_session, broker, sign_in):
    """The centre's page asks for the count twice (its button and the top bar): one query."""
    client = sign_in(broker)
    tell(db_session, broker, 2)
    seen = []

    def watch(conn, cursor, statement, *args):
        if "FROM notifications" in statement and "read_at IS NULL" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        page = client.get("/notifications").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert 'data-testid="unread-count">2<' in page
    assert len(seen) == 1, seen


def test_the_list_is_rendered_in_the_readers_language(db_session, broker, sign_in):
    tell(db_session, broker, 1)
    client = sign_in(broker)
    zh = client.get("/notifications").get_data(as_text=True)
    assert "您现在是项目“Membrane deal 0”的负责经纪人。" in zh
    submit(client, "/auth/locale/en", {"next": "/notifications"}, form_url="/notifications")
    en = client.get("/notifications").get_data(as_text=True)
    assert "You are now the broker in charge of the deal “Membrane deal 0”." in en


def test_opening_a_notification_marks_it_read_and_goes_to_the_item(db_session, broker,
                                                                  sign_in):
    [first, second] = tell(db_session, broker, 2)
    client = sign_in(broker)
    response = submit(client, f"/notifications/{first}/open", {}, form_url="/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/brokers"
    assert db_session.get(Notification, first).read_at is not None
    assert db_session.get(Notification, second).read_at is None
    assert unread_badge(client) == 1


def test_mark_read_and_mark_all_read(db_session, broker, sign_in):
    ids = tell(db_session, broker, 3)
    client = sign_in(broker)
    response = submit(client, f"/notifications/{ids[0]}/read", {}, form_url="/notifications")
    assert response.status_code == 302
    assert unread_badge(client) == 2
    submit(client, "/notifications/read-all", {}, form_url="/notifications")
    assert unread_badge(client) == 0
    assert all(db_session.get(Notification, i).read_at is not None for i in ids)


def test_marking_read_needs_the_csrf_token(db_session, broker, sign_in):
    [only] = tell(db_session, broker, 1)
    client = sign_in(broker)
    assert client.post(f"/notifications/{only}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert db_session.get(Notification, only).read_at is None


@pytest.mark.parametrize("role", [Role.BROKER, Role.ADMIN, Role.ENTERPRISE])
def test_nobody_reads_or_marks_another_persons_notification(db_session, broker, make_user,
                                                            sign_in, role):
    [theirs] = tell(db_session, broker, 1)
    other = make_user(role)
    client = sign_in(other)
    token = csrf_token(client, "/notifications")
    for action in ("read", "open"):
        response = client.post(f"/notifications/{theirs}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    assert "Membrane deal 0" not in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert db_session.get(Notification, theirs).read_at is None


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_preferences_store_email_and_mute_per_kind(db_session, broker, sign_in):
    client = sign_in(broker)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="mute-deal_stale"' in page and 'name="email-deal_assigned"' in page
    response = submit(client, "/notifications/preferences",
                      {"email-deal_assigned": "on", "mute-deal_stale": "on"})
    assert response.status_code == 302
    choices = services.choices_of(db_session, broker)
    # No WeCom group is connected, so the page has no WeCom column and those choices keep
    # their defaults (on for the kinds e-mailed by default, off for the stale flag).
    assert choices[Kind.ASSIGNED] == services.Choice(email=True, muted=False, wecom=True)
    assert choices[Kind.STALE] == services.Choice(email=False, muted=True, wecom=False)
    assert choices[Kind.STEP_TODAY] == services.Choice(email=False, muted=False, wecom=True)


def test_an_operator_cannot_mute_escalations_from_the_page(db_session, make_user, sign_in):
    operator = make_user(Role.ADMIN)
    client = sign_in(operator)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="mute-escalation"' not in page and 'name="email-escalation"' in page
    submit(client, "/notifications/preferences", {"mute-escalation": "on",
                                                  "mute-escalation_second": "on"})
    rows = db_session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == operator.id,
        NotificationPreference.kind.in_([Kind.ESCALATION, Kind.ESCALATION_SECOND]))).all()
    assert rows and not any(row.muted for row in rows)


def test_the_personal_data_export_has_the_notifications(db_session, broker, sign_in):
    tell(db_session, broker, 1)
    data = sign_in(broker).get("/account/export").get_json()
    [received] = data["notifications"]["received"]
    assert received["kind"] == Kind.ASSIGNED and received["params"] == {"deal": "Membrane deal 0"}


def test_deleting_the_account_erases_its_notifications_and_choices(db_session, broker,
                                                                   sign_in):
    from tests.factories import PASSWORD

    tell(db_session, broker, 2)
    services.save_choices(db_session, broker, {Kind.STALE: services.Choice(False, True)})
    client = sign_in(broker)
    submit(client, "/account/delete", {"password": PASSWORD, "confirm": "y"}, form_url="/account")
    assert db_session.scalar(select(Notification.id).where(
        Notification.recipient_id == broker.id)) is None
    assert db_session.scalar(select(NotificationPreference.kind).where(
        NotificationPreference.user_id == broker.id)) is None
