"""The operators' overview in a real browser, without JavaScript of its own: an operator opens
the most loaded broker, ticks two of their open deals, chooses another broker and reassigns
them in one submit, on a desktop and at 390 px (where the page must not scroll sideways and no
two controls overlap). On a seeded database of its own: reassignments write history rows,
which are append-only."""
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.domain import HistoryKind
from matchmaker.extensions import db
from matchmaker.pipeline.models import Deal, DealHistory
from matchmaker.seed import demo_email
from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import _overlaps
from tests.browser.test_pipeline import CONTROLS_JS

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A seeded app on a database (or PostgreSQL schema) of its own."""
    with own_seeded_app(tmp_path_factory, "overview_ui") as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


def _in_english(page, server: str) -> None:
    """Screenshots need Latin text (headless Chromium has no CJK font)."""
    page.goto(f"{server}/")
    if page.locator("html").get_attribute("lang") != "en":
        page.click('[data-testid="switch-language"]')
        page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 390])
def test_an_operator_reassigns_ticked_deals_from_the_overview(server, own_app, page, width):
    sign_in(page, server, "admin")
    _in_english(page, server)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server}/deals/overview")
    busiest = page.locator('[data-testid="broker-deals"]').first
    source = int(busiest.get_attribute("data-user"))
    busiest.locator("summary").click()
    picks = busiest.locator('[data-testid="pick"]')
    chosen = [int(picks.nth(i).get_attribute("data-deal")) for i in range(2)]
    for deal_id in chosen:
        page.check(f"#pick-{deal_id}")
    targets = page.eval_on_selector_all(
        "#reassign-broker option", "(os) => os.map((o) => [o.value, o.textContent])")
    target, label = next((value, label) for value, label in targets
                         if value and int(value) != source)
    assert "open deal" in label  # each target shows its open load (and its chains)
    page.select_option("#reassign-broker", target)
    page.fill("#reassign-note", "rebalance")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"overview-reassign-{width}.png"), full_page=True)
    if width == 390:  # everything fits a phone before submitting, all brokers opened
        assert page.evaluate("() => document.documentElement.scrollWidth"
                             " <= document.documentElement.clientWidth")
        controls = page.evaluate(CONTROLS_JS)
        assert any(c["tag"] == "BUTTON" for c in controls)
        for i, a in enumerate(controls):
            for b in controls[i + 1:]:
                assert not _overlaps(a["box"], b["box"]), f"{a['id']} / {b['id']}"
    page.click('[data-testid="reassign-controls"] button[type=submit]')
    page.wait_for_load_state()

    assert page.url.endswith("/deals/overview#rebalance")
    assert "2 deals reassigned to" in page.inner_text("main")
    with own_app.app_context():
        admin = db.session.scalar(select(User).where(User.email == demo_email("admin")))
        for deal_id in chosen:
            assert db.session.get(Deal, deal_id).owner_id == int(target)
            rows = db.session.scalars(select(DealHistory).where(
                DealHistory.deal_id == deal_id, DealHistory.kind == HistoryKind.ASSIGN,
                DealHistory.new_value == target)).all()
            assert [(r.old_value, r.actor_id, r.note) for r in rows] == [
                (str(source), admin.id, "rebalance")]
        db.session.remove()
    moved = page.locator(f'[data-testid="broker-deals"][data-user="{target}"] '
                         '[data-testid="pick"]')
    assert {int(moved.nth(i).get_attribute("data-deal"))
            for i in range(moved.count())} >= set(chosen)
