"""An enterprise user posts a technology need in a real browser, fixing one invalid field."""
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from matchmaker.extensions import db
from matchmaker.jobs import enqueue, run_queued
from matchmaker.profiles.models import TechNeed
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def need_title(app):
    """A unique title; the need created under it is deleted after the test."""
    title = f"氢气循环泵耐久性提升 {uuid.uuid4().hex[:6]}"
    yield title
    with app.app_context():
        db.session.execute(delete(TechNeed).where(TechNeed.title == title))
        enqueue(db.session, "matches.refresh")  # its stored matches go with it
        db.session.commit()
        run_queued(db.session)
        db.session.remove()


def test_enterprise_posts_a_need_fixes_an_error_and_finds_it_in_the_list(live_server, page, app,
                                                                         need_title):
    sign_in(page, live_server, "h2-ent-01")

    page.goto(f"{live_server}/needs/new")
    page.fill("#title", need_title)
    page.fill("#description", "燃料电池系统氢气循环泵在 -30 ℃ 冷启动后转速波动，寿命不足 8000 小时，"
                              "需要改进轴承与密封设计。")
    page.fill("#keywords", "氢气循环泵，冷启动")
    page.select_option("#chain", "hydrogen")
    page.check("input[name=modes][value=licence]")
    page.fill("#budget_min", "100")
    page.fill("#budget_max", "20")  # the invalid field: lower than the minimum
    page.fill("#deadline", (date.today() + timedelta(days=180)).isoformat())
    page.click("main button[type=submit]")

    error = page.locator('[data-field="budget_max"]')
    assert error.inner_text().strip() == "最低预算高于最高预算。"
    assert page.locator("#budget_max.is-invalid").count() == 1
    assert page.input_value("#title") == need_title  # nothing typed is lost
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "need-form-error.png"), full_page=True)

    page.fill("#budget_max", "200")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/needs/*")
    assert "已保存为草稿" in page.inner_text("main")
    page.click("main button:has-text('发布')")
    assert "状态已变更为“已发布”" in page.inner_text("main")

    page.goto(f"{live_server}/needs/?q={need_title.split()[-1]}")
    results = page.locator('[data-testid="results"] a')
    assert results.count() == 1
    assert need_title in results.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "need-list.png"), full_page=True)

    with app.app_context():
        need = db.session.scalar(select(TechNeed).where(TechNeed.title == need_title))
        assert need.status == "published" and need.budget_max == 200
        assert need.enterprise.ref == "h2-ent-01"
