"""The output and need lists in a real browser at phone and desktop widths, in both languages:
filter controls do not overlap, every select shows its text in full, the segment select follows
the chain, and English pages show Chinese only inside user content."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.extensions import db, sqlite_writes
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.seed import demo_email
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = [390, 768, 1366]
ACCOUNT = "broker-liuyang"

# Every visible control of a form, with its box and, for selects, how wide the longest option
# text is next to the room the select has for it.
FORM_CONTROLS_JS = """(selector) => {
  const form = document.querySelector(selector);
  const canvas = document.createElement('canvas').getContext('2d');
  const controls = [];
  for (const el of form.querySelectorAll('input:not([type=hidden]), select, button, a')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    const item = {id: el.id || el.textContent.trim(), tag: el.tagName.toLowerCase(),
                  box: {x: box.x, y: box.y, w: box.width, h: box.height}};
    if (item.tag === 'select') {
      const style = getComputedStyle(el);
      canvas.font = style.font;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      let widest = 0, text = '';
      for (const option of el.options) {
        const width = canvas.measureText(option.text).width;
        if (width > widest) { widest = width; text = option.text; }
      }
      Object.assign(item, {room, widest, text});
    }
    controls.push(item);
  }
  return controls;
}"""

# Every text node (and visible attribute) with Chinese that is not inside an element marked zh.
UNMARKED_CHINESE_JS = r"""() => {
  const cjk = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
  const marked = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    const holder = el && el.closest('[lang]');
    return holder && holder.getAttribute('lang').startsWith('zh');
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template')) continue;
    if (cjk.test(node.textContent) && !marked(node)) found.push(node.textContent.trim());
  }
  for (const el of document.body.querySelectorAll('[placeholder], [title], [aria-label], input[type=text], input[type=search]')) {
    for (const value of [el.placeholder, el.title, el.getAttribute('aria-label'), el.value]) {
      if (value && cjk.test(value) && !marked(el)) found.push(value);
    }
  }
  return found;
}"""


# Nothing (a long chain badge, a rule chip) makes the page scroll sideways.
NO_SIDEWAYS_SCROLL_JS = ("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")


def _overlaps(a: dict, b: dict) -> bool:
    tolerance = 0.5  # sub-pixel rounding of adjacent boxes
    return (a["x"] + a["w"] - tolerance > b["x"] and b["x"] + b["w"] - tolerance > a["x"]
            and a["y"] + a["h"] - tolerance > b["y"] and b["y"] + b["h"] - tolerance > a["y"])


@pytest.fixture
def language(app):
    """Switch the test account's language in the browser; restore its stored setting after."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == demo_email(ACCOUNT)))
        original = user.locale
        db.session.remove()

    def switch(page, base_url: str, code: str) -> None:
        page.goto(f"{base_url}/")
        current = "zh" if page.locator("html").get_attribute("lang").startswith("zh") else "en"
        if current != code:
            page.set_viewport_size({"width": 1366, "height": 900})  # the button is in the navbar
            page.click('[data-testid="switch-language"]')
            page.wait_for_load_state()

    yield switch
    with app.app_context(), sqlite_writes():  # the live server may still be writing
        user = db.session.scalar(select(User).where(User.email == demo_email(ACCOUNT)))
        user.locale = original
        db.session.commit()
        db.session.remove()


def _check_filter_bar(page, label: str) -> None:
    controls = page.evaluate(FORM_CONTROLS_JS, "form[role=search]")
    assert len(controls) >= 9, controls
    for i, a in enumerate(controls):
        for b in controls[i + 1:]:
            assert not _overlaps(a["box"], b["box"]), f"{label}: {a['id']} overlaps {b['id']}"
    _check_select_texts(controls, label)


def _check_select_texts(controls: list[dict], label: str) -> None:
    for control in controls:
        if control["tag"] == "select":
            assert control["widest"] <= control["room"] + 0.5, (
                f"{label}: “{control['text']}” does not fit in #{control['id']} "
                f"({control['widest']:.0f} > {control['room']:.0f} px)")


@pytest.mark.parametrize("code", ["zh", "en"])
@pytest.mark.parametrize("kind", ["outputs", "needs"])
def test_filter_controls_do_not_overlap_and_select_texts_fit(live_server, page, language, kind,
                                                             code):
    sign_in(page, live_server, ACCOUNT)
    language(page, live_server, code)
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        # The longest chain name selected, then no chain (all segments, grouped, offered).
        for query in ("chain=semiconductor&trl_from=3&status=published", ""):
            page.goto(f"{live_server}/{kind}/?{query}")
            _check_filter_bar(page, f"{kind} {code} {width}px ?{query}")
            assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), f"{kind} is wider than {width}px"
        page.screenshot(path=str(ARTIFACTS / f"{kind}-filters-{code}-{width}.png"))


@pytest.mark.parametrize("kind", ["outputs", "needs"])
def test_edit_form_selects_show_every_option_whole(live_server, page, kind):
    sign_in(page, live_server, "shri" if kind == "outputs" else "h2-ent-01")
    page.click('[data-testid="switch-language"]')
    assert page.locator("html").get_attribute("lang") == "en"
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}/{kind}/new")
            page.select_option("#chain", "icv")  # the longest segment names
            controls = page.evaluate(FORM_CONTROLS_JS, 'form[data-testid="profile-form"]')
            assert sum(c["tag"] == "select" for c in controls) >= 3
            _check_select_texts(controls, f"{kind} form {width}px")
            page.screenshot(path=str(ARTIFACTS / f"{kind}-form-en-{width}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{live_server}/")
        page.click('[data-testid="switch-language"]')  # back to Chinese for the other tests


def _segment_options(page) -> list[str]:
    return page.eval_on_selector_all("#segment option", "os => os.map(o => o.value)")


def _segment_ids(app, chain_key: str) -> list[str]:
    from matchmaker.chains.models import Chain

    with app.app_context():
        chain = db.session.scalar(select(Chain).where(Chain.key == chain_key))
        ids = [str(s.id) for s in chain.segments]
        db.session.remove()
    return ids


@pytest.mark.parametrize("width", [390, 1366])
def test_choosing_a_chain_narrows_the_segment_select(live_server, page, app, width):
    hydrogen, photonics = _segment_ids(app, "hydrogen"), _segment_ids(app, "photonics")
    sign_in(page, live_server, ACCOUNT)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/needs/")
    assert len(_segment_options(page)) == 34  # no chain: every chain's segments, grouped
    page.select_option("#chain", "hydrogen")
    assert _segment_options(page) == ["", *hydrogen]
    assert page.locator("#segment optgroup").count() == 0
    page.select_option("#segment", hydrogen[3])
    page.select_option("#chain", "photonics")
    assert _segment_options(page) == ["", *photonics]
    assert page.input_value("#segment") == ""  # a hydrogen segment cannot stay chosen
    page.select_option("#chain", "")
    assert len(_segment_options(page)) == 34
    page.select_option("#segment", photonics[1])  # a segment first: its chain follows
    assert page.input_value("#chain") == "photonics"
    assert _segment_options(page) == ["", *photonics]
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*segment=" + photonics[1]))
    assert page.input_value("#segment") == photonics[1]
    page.screenshot(path=str(ARTIFACTS / f"needs-segment-narrowed-{width}.png"))


def test_the_edit_form_segment_select_follows_the_chain(live_server, page, app):
    hydrogen = _segment_ids(app, "hydrogen")
    sign_in(page, live_server, "h2-ent-01")
    page.goto(f"{live_server}/needs/new")
    page.select_option("#chain", "hydrogen")
    assert _segment_options(page) == ["", *hydrogen]
    texts = page.eval_on_selector_all("#segment option", "os => os.map(o => o.textContent)")
    assert texts.count("应用") == 1


def _english_urls(app) -> list[str]:
    with app.app_context():
        need = db.session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
        output = db.session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "h2-o-001"))
        urls = ["/outputs/", "/needs/?chain=hydrogen", f"/needs/{need.id}",
                f"/outputs/{output.id}"]
        db.session.remove()
    return urls


@pytest.mark.parametrize("width", [390, 1366])
def test_english_pages_show_no_chinese_outside_user_content(live_server, page, app, language,
                                                             width):
    sign_in(page, live_server, ACCOUNT)
    language(page, live_server, "en")
    page.set_viewport_size({"width": width, "height": 900})
    for number, url in enumerate(_english_urls(app)):
        page.goto(f"{live_server}{url}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.evaluate(UNMARKED_CHINESE_JS) == [], url
        assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), f"{url} is wider than {width}px"
        if "/needs/" in url and url[-1].isdigit():
            assert page.locator('[data-testid="match"]').count() > 0
        page.screenshot(path=str(ARTIFACTS / f"english-{width}-{number}.png"), full_page=True)


def test_english_edit_form_shows_no_chinese_outside_user_content(live_server, page, app):
    with app.app_context():
        need = db.session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
        owner, need_id = need.enterprise.ref, need.id
        db.session.remove()
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/")
    page.click('[data-testid="switch-language"]')
    try:
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}/needs/{need_id}/edit")
            assert page.evaluate(UNMARKED_CHINESE_JS) == []
            page.fill("#budget_min", "NaN")
            page.click("main button[type=submit]")
            assert "must be a number" in page.inner_text('[data-field="budget_min"]')
            assert page.evaluate(UNMARKED_CHINESE_JS) == []
            page.screenshot(path=str(ARTIFACTS / f"english-need-edit-{width}.png"),
                            full_page=True)
    finally:
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{live_server}/")
        page.click('[data-testid="switch-language"]')  # back to Chinese for the other tests
