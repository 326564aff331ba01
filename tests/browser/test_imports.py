"""An institution imports its outputs in a real browser, on a seeded database of its own:
uploads an xlsx, reads the dry run's report (an error row, an ignored column), confirms, and
sees what was written, at desktop width and at 390 px without sideways scrolling."""
from pathlib import Path

import pytest

from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import NO_SIDEWAYS_SCROLL_JS
from tests.imports.helpers import OUTPUT_HEADERS, output_row, xlsx

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with own_seeded_app(tmp_path_factory, "imports_ui") as app, serving(app) as base:
        yield base


TITLES = {1280: ("燃料电池双极板石墨模压成型", "车载储氢瓶碳纤维缠绕工艺"),
          390: ("钙钛矿薄膜狭缝涂布均匀性控制", "异质结电池低温银浆印刷")}


@pytest.mark.parametrize("width", [1280, 390])
def test_upload_dry_run_report_and_confirm(browser, server, tmp_path, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, server, "qcut")
    page.goto(f"{server}/outputs/")
    page.click('[data-testid="import-link"]')
    page.wait_for_selector("#kind")  # the import page, not the list still being replaced
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), page.url
    path = tmp_path / f"outputs-{width}.xlsx"
    path.write_bytes(xlsx([
        [*OUTPUT_HEADERS, "备注"],
        [*output_row(ref=f"UI-{width}-1", title=TITLES[width][0]), ""],
        [*output_row(ref=f"UI-{width}-2", title=TITLES[width][1], trl="十一"), "x"],
    ]))
    page.select_option("#kind", "outputs")
    page.set_input_files("#file", str(path))
    page.click('[data-testid="upload"]')
    page.wait_for_selector('[data-testid="dry-run"]')
    assert page.inner_text('[data-testid="count-create"]') == "1"
    assert page.inner_text('[data-testid="count-error"]') == "1"
    assert "备注" in page.inner_text('[data-testid="ignored-columns"]')
    assert "十一" in page.inner_text('[data-testid="row-3"]')
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"import-dry-run-{width}.png"), full_page=True)
    page.click('[data-testid="confirm"]')
    page.wait_for_selector('[data-testid="import-result"]')
    assert page.inner_text('[data-testid="applied-created"]') == "1"
    page.screenshot(path=str(ARTIFACTS / f"import-done-{width}.png"), full_page=True)
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), page.url
    page.goto(f"{server}/outputs/?mine=1")
    assert TITLES[width][0] in page.inner_text("main")
    context.close()
