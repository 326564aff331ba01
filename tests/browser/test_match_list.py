"""A broker opens a technology need in a real browser and sees the recommended outputs."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.profiles.models import TechNeed
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_broker_sees_ranked_matches_with_score_and_component_bars(live_server, page, app):
    with app.app_context():
        need_id = db.session.scalar(select(TechNeed.id).where(TechNeed.ref == "h2-n-001"))
    sign_in(page, live_server, "broker-zhangmin")

    page.goto(f"{live_server}/needs/{need_id}")
    matches = page.locator('[data-testid="match"]')
    assert matches.count() == 10
    first = matches.first
    assert re.fullmatch(r"\d{1,3}%", first.locator('[data-testid="score"]').inner_text().strip())
    bar = first.locator(".match-bar .progress-bar")
    assert bar.bounding_box()["width"] > 10  # the width class applied under the strict CSP
    assert first.locator('[data-testid="components"] .progress-bar').count() == 6
    assert first.locator('mark[data-testid="shared-term"]').count() >= 1
    assert first.locator('[data-testid="rules"] .badge').count() >= 1
    first.locator("summary").click()
    assert first.locator('[data-testid="feedback-form"] select[name=reason]').is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "need-matches.png"), full_page=True)
    first.screenshot(path=str(ARTIFACTS / "need-match-item.png"))


def test_broker_sees_only_the_good_matches_then_the_weaker_ones_on_request(live_server, page,
                                                                            app, monkeypatch):
    from matchmaker.domain import Side
    from matchmaker.recommendations import services

    with app.app_context():
        need = db.session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
        qualities = [r.quality for r in services.list_matches(db.session, Side.NEED, need).items]
        need_id = need.id
        db.session.remove()
    monkeypatch.setitem(app.config, "MATCH_FLOOR", (qualities[1] + qualities[2]) / 2)
    sign_in(page, live_server, "broker-zhangmin")

    page.goto(f"{live_server}/needs/{need_id}")
    assert page.locator('[data-testid="match"]').count() == 2
    note = page.locator('[data-testid="good-count"]')
    assert note.is_visible() and "2" in note.inner_text()
    assert page.locator('[data-testid="deal-mark"]').first.is_visible()  # the seed's deals
    page.locator('[data-testid="show-weaker"]').click()
    page.wait_for_url(re.compile(r"weaker=1"))
    assert page.locator('[data-testid="match"]').count() == 10
    assert page.locator('[data-testid="match"][data-weak="1"]').count() == 8
    assert page.locator('[data-testid="weaker-divider"]').is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "need-matches-floor.png"), full_page=True)
    page.locator('[data-testid="hide-weaker"]').click()
    page.wait_for_url(re.compile(r"/needs/\d+(#.*)?$"))
    assert page.locator('[data-testid="match"]').count() == 2
