"""A board in a real browser at phone and desktop widths: open it, switch the period and the
chain, and see other positions; the page never scrolls sideways."""
import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _names(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="position-name"]').all_inner_texts()]


@pytest.mark.parametrize("width", [390, 1280])
def test_switching_period_and_chain_changes_the_board(live_server, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/rankings/")
    page.click('a[href="/rankings/broker-value"]')
    page.click('[data-testid="tab-all"]')
    page.wait_for_url("**period=all**")
    every = _names(page)
    assert len(every) >= 5
    assert page.locator('[data-testid="formula"]').is_visible()
    assert page.evaluate(OVERFLOW_JS) <= 0

    page.click('[data-testid="tab-month"]')
    page.wait_for_load_state()
    month = _names(page)
    assert month and month != every

    page.click('[data-testid="tab-all"]')
    page.wait_for_load_state()
    page.select_option("#chain", "hydrogen")
    page.click('[data-testid="show-board"]')
    page.wait_for_url("**chain=hydrogen**")
    hydrogen = _names(page)
    assert hydrogen and hydrogen != every and set(hydrogen) < set(every)
    assert page.evaluate(OVERFLOW_JS) <= 0


@pytest.mark.parametrize("width", [390, 1280])
def test_the_signed_in_board_opens_a_positions_records(live_server, page, width):
    sign_in(page, live_server, "broker-zhangmin")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/rankings/broker-value?period=all")
    assert page.locator('[data-testid="figure-value"]').first.is_visible()
    records = page.locator('[data-testid="position-records"]').first
    records.locator("summary").click()
    assert records.locator('[data-testid="record-link"], [data-testid="records-hidden"]').first\
        .is_visible()
    assert page.evaluate(OVERFLOW_JS) <= 0
