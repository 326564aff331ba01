"""The REST API's documentation page renders the generated OpenAPI document in a real
browser under the site's Content Security Policy (no inline script, nothing from a CDN)."""
import pytest

pytestmark = pytest.mark.browser


def test_the_api_documentation_page_renders_under_the_csp(live_server, page):
    refused, outside = [], []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(live_server) and not request.url.startswith("data:")
            else None)
    page.goto(f"{live_server}/static/api-docs.html")
    page.locator(".swagger-ui .info .title").filter(has_text="Matchmaker API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/outputs/{item_id}").first.wait_for()
    assert page.locator(".opblock").count() >= 17
    assert refused == [] and outside == []
