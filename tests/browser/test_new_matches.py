"""An enterprise signs in, sees "1 new match" on its home page, opens it (the match is marked
new on the need's page), goes back, and the badge is gone; at desktop and phone width."""
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select

from matchmaker.auth.models import User
from matchmaker.domain import Side
from matchmaker.extensions import db, sqlite_writes
from matchmaker.profiles.models import TechNeed
from matchmaker.recommendations import seen, services
from matchmaker.recommendations.models import SeenMatch
from matchmaker.seed import demo_email
from tests.browser.conftest import sign_in
from tests.browser.test_listing_layout import NO_SIDEWAYS_SCROLL_JS

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACCOUNT = "h2-ent-02"  # a demo enterprise with published needs


@pytest.fixture
def one_new_match(app):
    """Leave the account exactly one new match: every match of its needs seen but the top one
    of one need; English pages (headless Chromium has no CJK font for the screenshots).
    Yield (need id, candidate id); restore the account's seen matches and language after."""
    with app.app_context(), sqlite_writes():
        user = db.session.scalar(select(User).where(User.email == demo_email(ACCOUNT)))
        before = [dict(row._mapping) for row in db.session.execute(
            select(SeenMatch.__table__).where(SeenMatch.user_id == user.id))]
        locale, target = user.locale, None
        for need in db.session.scalars(select(TechNeed).where(
                TechNeed.enterprise_id == user.enterprise_id).order_by(TechNeed.id)):
            shown = [r.item.id for r in services.list_matches(db.session, Side.NEED, need).items]
            if target is None and shown:
                target, shown = (need.id, shown[0]), shown[1:]
            seen.mark_matches_seen(db.session, user, need, shown)
        assert target is not None, f"{ACCOUNT} has no need with matches"
        user.locale = "en"
        db.session.commit()
        user_id = user.id
        db.session.remove()
    yield target
    with app.app_context(), sqlite_writes():
        db.session.execute(delete(SeenMatch).where(SeenMatch.user_id == user_id))
        if before:
            db.session.execute(insert(SeenMatch), before)
        db.session.get(User, user_id).locale = locale
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_new_match_badge_leads_to_the_match_and_is_gone_after(live_server, page,
                                                                   one_new_match, width):
    need_id, candidate_id = one_new_match
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, ACCOUNT)

    assert page.locator('[data-testid="home-new-total"]').inner_text().strip() == "1 new match"
    badges = page.locator('[data-testid="home-new-badge"]')
    assert badges.count() == 1 and badges.inner_text().strip() == "1 new match"
    first = page.locator('[data-testid="home-listing"]').first
    assert first.get_attribute("data-listing") == str(need_id)  # new matches come first
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-new-match-{width}.png"), full_page=True)

    badges.click()
    page.wait_for_url(f"{live_server}/needs/{need_id}#matches-title")
    marked = page.locator('[data-testid="match"][data-new="1"]')
    assert marked.count() == 1 and marked.get_attribute("data-candidate") == str(candidate_id)
    assert marked.locator('[data-testid="match-new-badge"]').is_visible()
    assert page.locator('[data-testid="match-new-badge"]').count() == 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    marked.screenshot(path=str(ARTIFACTS / f"need-new-match-{width}.png"))

    page.go_back()
    page.wait_for_url(f"{live_server}/")
    assert page.locator('[data-testid="home-listings"]').is_visible()
    assert page.locator('[data-testid="home-new-badge"]').count() == 0
    assert page.locator('[data-testid="home-new-total"]').count() == 0
