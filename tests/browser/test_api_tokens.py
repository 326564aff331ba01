"""A broker makes a personal API token in a real browser, at phone and desktop widths, uses it
against the running API, and revokes it; on a seeded database of its own (tokens commit)."""
import json
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import own_seeded_app, serving, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with own_seeded_app(tmp_path_factory, "tokens_ui") as app, serving(app) as base:
        yield base


def _api(base: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/api/v1/outputs/?per_page=2", headers={
        "Authorization": f"Bearer {token}", "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("width", [390, 1280])
def test_a_token_is_made_shown_once_used_and_revoked(server, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, "broker-zhangmin")
    page.goto(f"{server}/account")
    page.click("[data-testid=api-tokens-link]")
    page.fill("#name", f"同步脚本 {width}")
    page.check("input[name=scope][value=read]")
    page.click("main button[type=submit]")
    secret = page.locator("[data-testid=new-token-value]").inner_text().strip()
    assert secret.startswith("mm_")
    # The page after the form's POST, loaded with its stylesheets (the check failed once on a
    # busy machine; measured before the stylesheet applies, the token is not wrapped yet).
    page.wait_for_load_state()
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")

    status, body = _api(server, secret)
    assert status == 200 and len(body["items"]) == 2  # the broker's own permissions

    page.goto(f"{server}/account/api-tokens/")  # shown once: never again, only its prefix
    assert page.locator("[data-testid=new-token-value]").count() == 0
    assert secret not in page.content() and secret[:11] in page.content()
    row = page.locator("[data-testid=token-list] tr", has_text=f"同步脚本 {width}")
    row.locator("button[type=submit]").click()
    page.locator("[data-testid=token-list] tr", has_text=f"同步脚本 {width}").locator(
        ".badge").wait_for()
    status, body = _api(server, secret)
    assert status == 401 and body["code"] == "token_invalid"
