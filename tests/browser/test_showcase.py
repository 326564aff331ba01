"""The public showcase in a real browser, at phone (390 px) and desktop (1280 px) widths: a
visitor opens the showcase home, browses a chain, opens an output's public page and sends a
contact request; the broker on duty signs in and finds it on their today page. A visitor also
opens a landed-project story from the home page's latest stories."""
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.showcase.models import ContactRequest
from tests.browser.conftest import own_seeded_app, serving
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with own_seeded_app(tmp_path_factory, "showcase_ui") as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")


def _latest_request(app) -> tuple[int, str]:
    with app.app_context():
        request = db.session.scalar(select(ContactRequest).order_by(ContactRequest.id.desc()))
        email = db.session.get(User, request.broker_id).email
        db.session.remove()
    return request.id, email


@pytest.mark.parametrize("width", [390, 1280])
def test_visitor_browses_a_chain_and_asks_the_broker_on_duty(browser, own_app, server, width):
    from matchmaker.extensions import limiter

    limiter.reset()
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{server}/showcase/")
        assert page.locator('[data-testid="headline"]').is_visible()
        assert _no_sideways_scroll(page)
        page.click('[data-testid="chain-link"][data-chain="hydrogen"]')
        page.wait_for_url(f"{server}/showcase/chains/hydrogen")
        assert _no_sideways_scroll(page)
        first = page.locator('[data-testid="chain-outputs"] [data-testid="public-item"]').first
        title = first.locator("h2").inner_text()
        first.click()
        page.wait_for_selector('[data-testid="public-title"]')
        assert page.locator('[data-testid="public-title"]').inner_text() == title
        assert _no_sideways_scroll(page)
        assert not page.locator("#website").is_visible()  # the honeypot
        page.fill("#name", f"赵工（{width}）")
        page.fill("#organisation", "陕西某氢能装备有限公司")
        page.fill("#email", f"visitor-{width}@example.com")
        page.fill("#message", "希望了解这项成果的许可方式和中试数据，方便时请联系。")
        page.click('[data-testid="contact-submit"]')  # without ticking the consent box
        # The click submits and a new page arrives: wait for it rather than look at once.
        page.wait_for_selector('[data-field="accept_privacy"]')
        page.check("#accept_privacy")
        page.click('[data-testid="contact-submit"]')
        page.wait_for_selector('[data-testid="contact-sent"]')
        page.screenshot(path=str(ARTIFACTS / f"showcase-{width}-sent.png"), full_page=True)
        request_id, broker_email = _latest_request(own_app)
        page.goto(f"{server}/auth/login")
        page.fill("#email", broker_email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.goto(f"{server}/deals/today")
        card = page.locator(f'[data-contact-request="{request_id}"]')
        assert card.is_visible() and f"visitor-{width}@example.com" in card.inner_text()
        assert _no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"showcase-{width}-today.png"), full_page=True)
        card.locator('[data-testid="mark-handled"]').click()
        page.wait_for_url(f"{server}/deals/today")
        assert page.locator(f'[data-contact-request="{request_id}"]').count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_visitor_opens_a_landed_story_from_the_showcase_home(browser, server, width):
    """The home page's latest stories (media's block) lead to a story with its image."""
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{server}/showcase/")
        card = page.locator('[data-testid="latest-stories"] [data-testid="story-card"]').first
        title = card.locator("h3, h2, .card-title").first.inner_text()
        card.locator("a").first.click()
        page.wait_for_selector('[data-testid="story"]')
        assert title in page.locator("h1").inner_text()
        image = page.locator('[data-testid="story-image"]').first
        image.scroll_into_view_if_needed()
        # The image arrives after the page's load event may already have fired: wait until the
        # browser has finished with it (loaded or broken), then require that it decoded.
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth > 0")
        assert _no_sideways_scroll(page)
    finally:
        context.close()
