"""The notification centre in a real browser, at desktop width and on a 390 px phone: the
unread count in the top bar, opening the centre, marking one read, opening one (it goes to
the item), marking all read. The notifications are made for a demo broker and removed after."""
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from matchmaker.auth.models import User
from matchmaker.extensions import db, sqlite_writes
from matchmaker.notifications import services
from matchmaker.notifications.models import Notification
from matchmaker.notifications.rules import Kind
from matchmaker.seed import demo_email
from tests.browser.conftest import sign_in
from tests.browser.test_listing_layout import _overlaps

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROKER = "broker-zhangmin"
BOX_JS = """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
  return {x: r.x, y: r.y, w: r.width, h: r.height}; }"""


@pytest.fixture
def three_notifications(app):
    """Three unread notifications for the demo broker (deleted after the test)."""
    with app.app_context(), sqlite_writes():
        broker = db.session.scalar(select(User).where(User.email == demo_email(BROKER)))
        db.session.execute(delete(Notification).where(Notification.recipient_id == broker.id))
        for i in range(3):
            services.notify(db.session, broker, Kind.ASSIGNED, key=f"browser-test:{i}",
                            params={"deal": f"Browser deal {i}"},
                            link=("pipeline.today", {}))
        db.session.commit()
        broker_id = broker.id
        db.session.remove()
    yield
    with app.app_context(), sqlite_writes():
        db.session.execute(delete(Notification).where(Notification.recipient_id == broker_id))
        db.session.commit()
        db.session.remove()


def badge(page, testid: str) -> str | None:
    found = page.locator(f'[data-testid="{testid}"] [data-testid="unread-count"]')
    return found.inner_text() if found.count() else None


def test_the_centre_at_desktop_width(live_server, page, three_notifications):
    sign_in(page, live_server, BROKER)
    assert page.locator('[data-testid="notification-bell"]').is_visible()
    assert not page.locator('[data-testid="notification-bell-phone"]').is_visible()
    assert badge(page, "notification-bell") == "3"
    page.click('[data-testid="notification-bell"]')
    page.wait_for_url(f"{live_server}/notifications")
    items = page.locator('[data-testid="notification"]')
    assert items.count() == 3
    assert page.locator('[data-testid="notification"][data-read="false"]').count() == 3
    items.nth(0).locator('[data-testid="mark-read"]').click()
    page.wait_for_load_state()
    assert badge(page, "notification-bell") == "2"
    assert page.locator('[data-testid="notification"][data-read="true"]').count() == 1
    page.locator('[data-testid="notification"][data-read="false"]').first.locator(
        '[data-testid="open-notification"]').click()
    page.wait_for_url(f"{live_server}/deals/today")
    assert badge(page, "notification-bell") == "1"


def test_the_centre_on_a_phone(live_server, page, three_notifications):
    sign_in(page, live_server, BROKER)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/")
    bell = page.locator('[data-testid="notification-bell-phone"]')
    assert bell.is_visible()  # in sight without opening the menu
    assert badge(page, "notification-bell-phone") == "3"
    boxes = [page.evaluate(BOX_JS, selector) for selector in (
        ".navbar-brand", '[data-testid="notification-bell-phone"]', ".navbar-toggler")]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlaps(a, b), boxes
    bell.click()
    page.wait_for_url(f"{live_server}/notifications")
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notifications-390.png"), full_page=True)
    page.click('[data-testid="mark-all-read"]')
    page.wait_for_load_state()
    assert badge(page, "notification-bell-phone") is None
    assert page.locator('[data-testid="notification"][data-read="false"]').count() == 0
    page.goto(f"{live_server}/notifications/preferences")
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")
