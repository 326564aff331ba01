"""The top bar fits in one row at desktop widths in both languages, even for an operator (the
longest menu) with a long account name."""
import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.extensions import db, sqlite_writes
from matchmaker.seed import demo_email
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

NAVBAR_JS = """() => ({
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  height: document.querySelector('nav.navbar').getBoundingClientRect().height})"""


@pytest.fixture
def admin_locale(app):
    """The operator's stored language is put back after the test (switching stores it)."""
    yield
    with app.app_context(), sqlite_writes():
        user = db.session.scalar(select(User).where(User.email == demo_email("admin")))
        user.locale = None
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("width", [992, 1100, 1200, 1300, 1366, 1440])
def test_the_operator_navbar_is_one_row_without_sideways_scroll(live_server, page, admin_locale,
                                                                language, width):
    sign_in(page, live_server, "admin")
    if not page.locator("html").get_attribute("lang").startswith(language):
        page.click('[data-testid="switch-language"]')
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang").startswith(language)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/")
    found = page.evaluate(NAVBAR_JS)
    assert found["overflow"] <= 0 and found["height"] < 70, found
