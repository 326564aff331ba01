"""A broker writes a story in a real browser, on a seeded database of its own: fills in the
editor, uploads an image with its alt text, publishes, and the public story page (signed out)
shows the image, at desktop width and at 390 px without sideways scrolling."""
import pytest
from PIL import Image

from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import NO_SIDEWAYS_SCROLL_JS

pytestmark = pytest.mark.browser
BROKER = "broker-zhangmin"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with own_seeded_app(tmp_path_factory, "stories_ui") as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


def _photo(tmp_path, name: str) -> str:
    path = tmp_path / name
    image = Image.new("RGB", (1400, 900), (18, 53, 91))
    for x in range(0, 1400, 100):
        image.paste((228, 87, 46), (x, 400, x + 60, 500))
    image.save(path, "JPEG")
    return str(path)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_broker_writes_publishes_and_the_public_sees_the_image(browser, server, tmp_path,
                                                                  width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server, BROKER)
    page.goto(f"{server}/stories/new")
    title = f"Solar pilot {width} 光伏中试线落地"
    page.select_option("#kind", "story")
    page.fill("#title", title)
    page.fill("#summary", "钙钛矿叠层电池团队与企业共建中试线。")
    page.fill("#body", "第一段：团队与企业相识于对接会。\n\n第二段：中试线投产。")
    page.click('[data-testid="save-story"]')
    page.wait_for_selector('[data-testid="image-form"]')
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), page.url
    page.set_input_files('[data-testid="image-form"] input[type=file]',
                         _photo(tmp_path, f"pilot-{width}.jpg"))
    page.fill("#alt", "中试线示意图")
    page.click('[data-testid="add-image"]')
    page.wait_for_selector('[data-testid="editor-image"]')
    page.click('[data-testid="publish"]')
    page.wait_for_selector('[data-testid="story"]')
    story_url = page.url
    context.close()

    public = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    visitor = public.new_page()
    visitor.goto(story_url)
    image = visitor.locator('[data-testid="story-image"]')
    image.wait_for()
    assert image.get_attribute("alt") == "中试线示意图"
    assert visitor.evaluate("el => el.complete && el.naturalWidth", image.element_handle()) \
        == 1400
    assert visitor.locator("h1").inner_text() == title
    assert visitor.evaluate(NO_SIDEWAYS_SCROLL_JS), visitor.url
    visitor.goto(f"{server}/stories/")
    assert visitor.locator('[data-testid="story-card"]', has_text=title).count() == 1
    public.close()
