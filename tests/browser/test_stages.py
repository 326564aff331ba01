"""The operators' stages page in a real browser, at desktop width and at 390 px, on a seeded
database of its own (the stage changes it records are append-only): an operator adds a
sub-step after "introduced", renames it, sees it on the board as a column after
"introduced", and moves a deal into it with the card's Move form (no JavaScript needed); the
pages do not scroll sideways and no two controls overlap."""
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import Deal
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.seed import demo_email
from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import _overlaps
from tests.browser.test_pipeline import CONTROLS_JS

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A seeded app on a database (or PostgreSQL schema) of its own."""
    with own_seeded_app(tmp_path_factory, "stages_ui") as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


@pytest.fixture
def introduced_deal(own_app) -> int:
    """A fresh deal of a demo broker at "introduced" (the stage the sub-step follows)."""
    with own_app.app_context():
        broker = db.session.scalar(select(User).where(
            User.email == demo_email("broker-zhangmin")))
        output = db.session.scalar(select(ResearchOutput).where(
            ResearchOutput.status.in_(("published", "under_negotiation")))
            .order_by(ResearchOutput.id.desc()))
        need = db.session.scalar(select(TechNeed).where(
            TechNeed.status.in_(("published", "matched"))).order_by(TechNeed.id.desc()))
        deal = services.create_deal(
            db.session, actor=broker, output=output, need=need, stage_key="introduced",
            title=f"阶段测试 {uuid.uuid4().hex[:4]}", next_step="约双方面谈",
            next_step_due=clock.today() - timedelta(days=30), expected_value=Decimal(88))
        db.session.commit()
        deal_id = deal.id
        db.session.remove()
    return deal_id


def _fits(page, label: str) -> None:
    """The page does not scroll sideways and no two visible controls overlap."""
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth"), label
    controls = page.evaluate(CONTROLS_JS)
    for i, a in enumerate(controls):
        for b in controls[i + 1:]:
            assert not _overlaps(a["box"], b["box"]), f"{label}: {a['id']} / {b['id']}"


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


@pytest.mark.parametrize(("size", "language"), [("desktop", "zh"), ("phone", "en")])
def test_an_operator_adds_a_sub_step_renames_it_and_sees_it_on_the_board(
        server, own_app, page, introduced_deal, size, language):
    key = f"check_{size}"
    sign_in(page, server, "admin")
    if language == "en":  # screenshots: headless chromium has no CJK font
        page.click('[data-testid="switch-language"]')
        page.wait_for_load_state()
    try:
        page.set_viewport_size(VIEWPORTS[size])
        page.goto(f"{server}/deals/stages")
        _fits(page, "stages")
        page.click('[data-testid="stage-row"][data-stage="introduced"] '
                   '[data-testid="add-after"]')
        page.wait_for_url(re.compile(r".*/deals/stages/new\?after=introduced$"))
        assert page.locator("#after").input_value() == "introduced"
        _fits(page, "new stage")
        page.fill("#key", key)
        page.fill("#name_zh", "尽职调查")
        page.fill("#name_en", "Due diligence")
        page.fill("#default_probability", "35")
        page.fill("#stale_after_days", "10")
        _submit(page, 'form[data-testid="new-stage-form"]')
        row = page.locator(f'[data-testid="stage-row"][data-stage="{key}"]')
        assert row.count() == 1 and "35%" in row.inner_text()

        row.locator('[data-testid="edit-stage"]').click()
        page.wait_for_url(re.compile(rf".*/deals/stages/{key}/edit$"))
        _fits(page, "edit stage")
        page.fill("#name_zh", "技术尽调")
        page.fill("#name_en", "Technical due diligence")
        _submit(page, 'form[data-testid="stage-form"]')
        assert "Technical due diligence" in row.inner_text()
        changes = page.locator(f'[data-testid="stage-change"][data-stage="{key}"]'
                               '[data-action="changed"][data-field="name_en"]')
        assert changes.count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"stages-{size}-{language}.png"), full_page=True)
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"stages-{size}-{language}-row.png"))

        page.goto(f"{server}/deals/board")
        _fits(page, "board")
        page.reload()  # _fits opened every <details>
        columns = page.eval_on_selector_all('[data-testid="column"]',
                                            "(els) => els.map(e => e.dataset.stage)")
        assert columns.index(key) == columns.index("introduced") + 1
        heading = page.locator(f"#col-{key}").inner_text()
        assert ("技术尽调" if language == "zh" else "Technical due diligence") in heading

        card = f"#deal-{introduced_deal}"
        page.locator(f"{card} details.card-move summary").click()
        page.select_option(f'{card} [data-testid="move-form"] select[name=stage]', key)
        _submit(page, f'{card} [data-testid="move-form"]')
        page.wait_for_function(f"() => document.querySelector('{card}')"
                               f".closest('ol').dataset.stage === '{key}'")
        page.screenshot(path=str(ARTIFACTS / f"stages-board-{size}-{language}.png"))
        with own_app.app_context():
            assert db.session.get(Deal, introduced_deal).stage.key == key
            db.session.remove()
    finally:
        if language == "en":
            page.set_viewport_size(VIEWPORTS["desktop"])
            page.goto(f"{server}/")
            page.click('[data-testid="switch-language"]')
