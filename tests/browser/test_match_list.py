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
