"""The WeCom group-robot channel, against a local HTTP server standing in for WeCom's webhook:
what is posted (text in the recipient's language, with the link), once per group and
occasion; the per-kind choice and muting; WeCom's refusals recorded; the settings page."""
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from matchmaker.domain import Role
from matchmaker.errors import ValidationFailedError
from matchmaker.jobs import BackgroundJob, run_queued
from matchmaker.notifications import services, wecom
from matchmaker.notifications.models import WecomPost, WecomRobot
from matchmaker.notifications.rules import Kind
from tests.conftest import submit

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class FakeWecom:
    """What the local server received, and what it answers next."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answer = {"errcode": 0, "errmsg": "ok"}

    def texts(self, key: str = KEY) -> list[str]:
        return [p["body"]["text"]["content"] for p in self.posts if p["key"] == key]


@pytest.fixture
def wecom_server(app, monkeypatch):
    """Start a local HTTP server answering like WeCom's webhook; point the app at it."""
    fake = FakeWecom()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            fake.posts.append({"key": self.path.split("key=", 1)[1],
                               "path": self.path.split("?")[0],
                               "body": json.loads(self.rfile.read(length))})
            payload = json.dumps(fake.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WECOM_WEBHOOK_URL",
                        f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=")
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _assign(app, db_session, make_user, make_broker, open_deal, *, locale="zh", key=KEY):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    broker.locale = locale
    wecom.set_robot(db_session, broker, key, actor=broker)
    with app.app_context():
        deal = open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
        db_session.commit()
        run_queued(db_session)
    return broker, deal


@pytest.mark.parametrize(("pasted", "key"), [
    (KEY, KEY),
    (f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}", KEY),
    # Another host's address only gives its key: posts go to the configured WeCom address.
    ("http://169.254.169.254/latest?key=abcdef123456", "abcdef123456"),
])
def test_a_pasted_address_or_key_gives_the_key(pasted, key):
    assert wecom.parse_key(pasted) == key


@pytest.mark.parametrize("pasted", ["", "short", "https://qyapi.weixin.qq.com/send", "a b c d e f g h",
                                    "x" * 65, "<script>alert(1)</script>"])
def test_anything_else_is_refused_on_its_field(pasted):
    with pytest.raises(ValidationFailedError) as refused:
        wecom.parse_key(pasted)
    assert list(refused.value.reasons) == ["wecom_key"]


def test_a_notification_is_posted_in_the_readers_language_with_its_link(
        app, db_session, wecom_server, make_user, make_broker, open_deal):
    broker, deal = _assign(app, db_session, make_user, make_broker, open_deal, locale="zh")
    [post] = wecom_server.posts
    assert post["path"] == "/cgi-bin/webhook/send" and post["key"] == KEY
    assert post["body"]["msgtype"] == "text"
    text = post["body"]["text"]["content"]
    assert text.startswith("【秦创原")
    assert f"您现在是项目“{deal.title}”的负责经纪人。" in text
    assert text.endswith(f"http://matchmaker.test/deals/{deal.id}")
    assert db_session.get(WecomRobot, broker.id).last_posted_at is not None


def test_a_group_shared_by_a_team_sees_each_occasion_once(app, db_session, wecom_server,
                                                          make_broker):
    first, second = make_broker(), make_broker()
    for user in (first, second):
        wecom.set_robot(db_session, user, KEY, actor=user)
    with app.app_context():
        for user in (first, second):
            assert services.notify(db_session, user, Kind.STALE, key=f"deal_stale:7:u{user.id}",
                                   params={"deal": "甲", "since_on": "2026-11-01"},
                                   choices={(user.id, Kind.STALE): services.Choice(
                                       False, False, True)})
        db_session.commit()
        run_queued(db_session)
    assert len(wecom_server.texts()) == 1  # two notifications, one post to the group


def test_kinds_not_ticked_or_muted_are_not_posted(app, db_session, wecom_server, make_user,
                                                  make_broker, open_deal):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    wecom.set_robot(db_session, broker, KEY, actor=broker)
    services.save_choices(db_session, broker, {
        Kind.ASSIGNED: services.Choice(email=True, muted=False, wecom=False)})
    with app.app_context():
        open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
        services.save_choices(db_session, broker, {
            Kind.ASSIGNED: services.Choice(email=True, muted=True, wecom=True)})
        open_deal(broker, actor=operator, due=date.today() + timedelta(days=3))
        db_session.commit()
        run_queued(db_session)
    assert wecom_server.posts == []


def test_a_refusal_by_wecom_is_recorded_and_the_occasion_left_free(
        app, db_session, wecom_server, make_user, make_broker, open_deal):
    wecom_server.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    broker, _deal = _assign(app, db_session, make_user, make_broker, open_deal)
    assert len(wecom_server.posts) == 1
    db_session.expire_all()
    assert db_session.get(WecomRobot, broker.id).last_error == "93000: invalid webhook url"
    assert db_session.scalar(select(func.count()).select_from(WecomPost)) == 0


def test_an_unreachable_wecom_is_recorded_too(app, db_session, monkeypatch, make_user,
                                              make_broker, open_deal):
    monkeypatch.setitem(app.config, "WECOM_WEBHOOK_URL", "http://127.0.0.1:9/send?key=")
    monkeypatch.setitem(app.config, "WECOM_TIMEOUT", 2)
    broker, _deal = _assign(app, db_session, make_user, make_broker, open_deal)
    db_session.expire_all()
    assert db_session.get(WecomRobot, broker.id).last_error


def test_without_a_webhook_address_the_channel_is_off(app, db_session, make_user, make_broker,
                                                     open_deal):
    assert app.config["WECOM_WEBHOOK_URL"] == ""
    _assign(app, db_session, make_user, make_broker, open_deal)
    assert not db_session.scalar(select(func.count(BackgroundJob.id)).where(
        BackgroundJob.name == services.WECOM_TASK))


# --- the settings page -----------------------------------------------------------------------

def test_connect_test_choose_and_disconnect_on_the_settings_page(app, db_session, wecom_server,
                                                                 make_broker, sign_in):
    broker = make_broker()
    broker.locale = "zh"
    db_session.commit()
    client = sign_in(broker)
    url = "/notifications/preferences"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="wecom-form"' in page and 'name="wecom-' not in page

    response = submit(client, "/notifications/wecom", {"wecom_key": "不是地址"}, form_url=url,
                      follow_redirects=True)
    assert "请粘贴群机器人的 Webhook 地址" in response.get_data(as_text=True)
    assert db_session.get(WecomRobot, broker.id) is None

    submit(client, "/notifications/wecom", {
        "wecom_key": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"},
        form_url=url)
    assert db_session.get(WecomRobot, broker.id).key == KEY
    [test_message] = wecom_server.texts()  # the test message, by the request's own job
    assert broker.display_name in test_message

    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="wecom-connected"' in page
    assert f'name="wecom-{Kind.ASSIGNED}"' in page
    submit(client, url, {f"email-{Kind.ASSIGNED}": "on"}, form_url=url)  # WeCom unticked
    assert services.choices_of(db_session, broker)[Kind.ASSIGNED].wecom is False

    submit(client, "/notifications/wecom/remove", {}, form_url=url)
    db_session.expire_all()
    assert db_session.get(WecomRobot, broker.id) is None
