"""The broker's workspace in a real browser, on a seeded database of its own (deal history is
append-only, so these tests do not write into the session's shared database):

- a broker starts a deal from a match on a need page, moves it stage by stage to contract
  signed (filling what each stage needs, after one refusal) and sees its history on the
  timeline;
- drag and drop on the board moves a card, and a move the rules refuse puts the card back
  with the reason;
- at 390 px the workspace pages do not scroll sideways and no two controls overlap.
"""
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
from matchmaker.recommendations.models import MatchGeneration, MatchSet, StoredMatch
from matchmaker.seed import demo_email
from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import _overlaps

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROKER = "broker-zhangmin"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A seeded app with stored matches on a database (or PostgreSQL schema) of its own."""
    with own_seeded_app(tmp_path_factory, "pipeline_ui", matches=True) as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


def _broker(session) -> User:
    return session.scalar(select(User).where(User.email == demo_email(BROKER)))


def _fresh_match(app) -> tuple[int, int]:
    """A need's recommended output on which the broker has no deal yet."""
    with app.app_context():
        taken = {(d.need_id, d.output_id) for d in db.session.scalars(select(Deal))}
        rows = db.session.execute(
            select(StoredMatch.need_id, StoredMatch.output_id).join(MatchSet)
            .join(MatchGeneration).where(MatchGeneration.status == "current",
                                         MatchSet.side == "need")
            .order_by(StoredMatch.rank, StoredMatch.id)).all()
        db.session.remove()
    return next((n, o) for n, o in rows if (n, o) not in taken)


def _click_move(page, stage: str) -> None:
    page.click(f'[data-testid="move-{stage}"] button[type=submit]')
    page.wait_for_load_state()


def _open(page, selector: str) -> None:
    page.evaluate("(s) => document.querySelector(s).closest('details').open = true", selector)


def test_a_broker_starts_a_deal_from_a_match_and_signs_the_contract(server, own_app, page):
    need_id, output_id = _fresh_match(own_app)
    sign_in(page, server, BROKER)
    page.goto(f"{server}/needs/{need_id}")
    page.click(f'#match-{output_id} [data-testid="start-deal"]')
    page.wait_for_url(re.compile(r".*/deals/new\?.*"))
    assert page.locator('[data-testid="match-snapshot"]').count() == 1
    page.fill("#next_step", "约课题组和企业技术负责人视频会议")
    page.fill("#expected_value", "260")
    page.click('form[data-testid="new-deal-form"] button[type=submit]')
    page.wait_for_url(re.compile(r".*/deals/\d+$"))
    deal_url = page.url
    assert "项目已创建" in page.inner_text("main")
    assert page.get_attribute('[data-testid="deal-stage"]', "data-stage") == "discovered"
    assert page.locator('[data-testid="deal-match"]').count() == 1

    _click_move(page, "qualified")
    # Leaving "qualified" needs the qualification: refused first, with the reasons.
    _click_move(page, "introduced")
    assert "知识产权" in page.inner_text("main")
    assert page.get_attribute('[data-testid="deal-stage"]', "data-stage") == "qualified"
    _open(page, 'form[data-testid="fields-form"]')
    page.check('form[data-testid="fields-form"] input[name=ip_checked]')
    page.check('form[data-testid="fields-form"] input[name=team_willing]')
    page.select_option('form[data-testid="fields-form"] select[name=reform_status]',
                       "separately_managed")
    page.click('form[data-testid="fields-form"] button[type=submit]')
    page.wait_for_load_state()
    _click_move(page, "introduced")
    _click_move(page, "negotiating")
    assert page.get_attribute('[data-testid="deal-stage"]', "data-stage") == "negotiating"

    _open(page, 'form[data-testid="fields-form"]')
    form = 'form[data-testid="fields-form"]'
    page.select_option(f"{form} select[name=transfer_mode]", "licence")
    page.fill(f"{form} input[name=price]", "240")
    page.select_option(f"{form} select[name=payment_kind]", "royalty")
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    form = 'form[data-testid="contract-form"]'
    _open(page, form)
    page.select_option(f"{form} select[name=contract_type]", "licence")
    page.fill(f"{form} input[name=total_amount]", "240")
    page.fill(f"{form} input[name=technical_amount]", "220")
    page.fill(f"{form} input[name=signed_on]", clock.today().isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    _click_move(page, "contract_signed")
    assert page.get_attribute('[data-testid="deal-stage"]', "data-stage") == "contract_signed"

    timeline = page.locator('[data-testid="history"][data-field="stage"]')
    assert timeline.count() == 5  # created, qualified, introduced, negotiating, signed
    assert "签约" in timeline.first.inner_text() or "合同" in timeline.first.inner_text()
    assert page.locator('[data-testid="history"][data-kind="contract"]').count() >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deal-contract-signed.png"), full_page=True)
    with own_app.app_context():
        deal = db.session.get(Deal, int(deal_url.rsplit("/", 1)[1]))
        assert deal.stage.key == "contract_signed" and deal.match_score is not None
        assert deal.output.status == "transferred" and deal.need.status == "solved"
        db.session.remove()


@pytest.fixture
def board_deals(own_app):
    """Two fresh deals of the broker: one at "introduced", one negotiating without terms."""
    with own_app.app_context():
        broker = _broker(db.session)
        outputs = db.session.scalars(select(ResearchOutput).where(
            ResearchOutput.status == "published").order_by(ResearchOutput.id.desc()).limit(2))
        needs = db.session.scalars(select(TechNeed).where(
            TechNeed.status == "published").order_by(TechNeed.id.desc()).limit(2))
        made = []
        for output, need, stage in zip(outputs, needs, ("introduced", "introduced"),
                                       strict=True):
            deal = services.create_deal(
                db.session, actor=broker, output=output, need=need, stage_key=stage,
                title=f"拖拽测试 {uuid.uuid4().hex[:4]}", next_step="确认会面时间",
                next_step_due=clock.today() + timedelta(days=3), expected_value=Decimal(77))
            made.append(deal)
        services.move_deal(db.session, made[1], "negotiating", actor=broker)
        db.session.commit()
        ids = [d.id for d in made]
        db.session.remove()
    return ids


def _drag(page, card: str, column: str) -> None:
    source = page.locator(f"{card} .card-body > div.small").first
    target = page.locator(f'ol[data-stage="{column}"]')
    # The board scrolls sideways: bring the target column to the middle, away from the edges
    # where Sortable scrolls the board while dragging.
    target.evaluate("(el) => el.closest('section').scrollIntoView({inline: 'center', "
                    "block: 'nearest'})")
    box = source.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + 20, steps=5)  # past the drag tolerance
    tbox = target.bounding_box()
    x = tbox["x"] + tbox["width"] / 2
    page.mouse.move(x, tbox["y"] + 10, steps=15)
    page.mouse.move(x, tbox["y"] + 20, steps=4)
    page.mouse.up()


def test_dragging_a_card_moves_the_deal_or_puts_it_back_with_the_reason(server, own_app, page,
                                                                        board_deals):
    moving, blocked = board_deals
    sign_in(page, server, BROKER)
    page.set_viewport_size({"width": 1366, "height": 3000})  # whole columns on screen
    page.goto(f"{server}/deals/board")
    count = page.locator('[data-testid="column"][data-stage="negotiating"] '
                         '[data-testid="column-count"]')
    before = int(count.inner_text())
    with page.expect_response(lambda r: r.url.endswith(f"/deals/{moving}/move")):
        _drag(page, f"#deal-{moving}", "negotiating")
    page.wait_for_function(f"() => document.querySelector('#deal-{moving}')"
                           ".closest('ol').dataset.stage === 'negotiating'")
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=column][data-stage=negotiating] "
        "[data-testid=column-count]').textContent == n", arg=str(before + 1))
    with own_app.app_context():
        assert db.session.get(Deal, moving).stage.key == "negotiating"
        db.session.remove()

    with page.expect_response(lambda r: r.url.endswith(f"/deals/{blocked}/move")):
        _drag(page, f"#deal-{blocked}", "contract_signed")
    message = page.locator('[data-testid="board-message"]')
    message.wait_for(state="visible")
    assert "谈判" in message.inner_text()
    page.wait_for_function(f"() => document.querySelector('#deal-{blocked}')"
                           ".closest('ol').dataset.stage === 'negotiating'")
    with own_app.app_context():
        assert db.session.get(Deal, blocked).stage.key == "negotiating"
        db.session.remove()
    page.screenshot(path=str(ARTIFACTS / "board-refused-move.png"))


CONTROLS_JS = """() => {
  for (const d of document.querySelectorAll('main details')) d.open = true;
  const found = [];
  for (const el of document.querySelectorAll(
      'main input:not([type=hidden]), main select, main button, main textarea, main summary')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    found.push({id: (el.name || el.textContent.trim()).slice(0, 40), tag: el.tagName,
                box: {x: box.x + scrollX, y: box.y + scrollY, w: box.width, h: box.height}});
  }
  return found;
}"""


@pytest.mark.parametrize("code", ["zh", "en"])
def test_the_workspace_pages_fit_a_phone(server, own_app, page, code):
    with own_app.app_context():
        broker = _broker(db.session)
        deal = db.session.scalar(select(Deal).where(Deal.owner_id == broker.id, Deal.is_open)
                                 .order_by(Deal.id))
        output = db.session.scalar(select(ResearchOutput.id).where(
            ResearchOutput.status == "published").order_by(ResearchOutput.id))
        db.session.remove()
    sign_in(page, server, BROKER)
    if code == "en":
        page.click('[data-testid="switch-language"]')
        page.wait_for_load_state()
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        for url in ("/", "/deals/today", "/deals/board", "/deals/", f"/deals/{deal.id}",
                    f"/deals/new?output_id={output}", "/brokers/me"):
            page.goto(f"{server}{url}")
            assert page.evaluate("() => document.documentElement.scrollWidth"
                                 " <= document.documentElement.clientWidth"), url
            controls = page.evaluate(CONTROLS_JS)
            assert controls or url in ("/", "/deals/today"), url  # forms on every other page
            for i, a in enumerate(controls):
                for b in controls[i + 1:]:
                    assert not _overlaps(a["box"], b["box"]), f"{url}: {a['id']} / {b['id']}"
            name = url.strip("/").replace("/", "-").replace("?", "-") or "home"
            page.screenshot(path=str(ARTIFACTS / f"pipeline-390-{code}-{name}.png"),
                            full_page=True)
    finally:
        if code == "en":
            page.set_viewport_size({"width": 1366, "height": 900})
            page.goto(f"{server}/")
            page.click('[data-testid="switch-language"]')
