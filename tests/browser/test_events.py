"""A matchmaking event in a real browser, on a seeded database of its own (deals are written):
the organiser (a broker) creates the event, adds slots, invites an enterprise and an
institution whose listings the matcher pairs, confirms them, proposes and confirms the
pairings, generates and publishes the schedule, records a positive outcome on the meeting's
page and finds the new deal on the board; at desktop width and at 390 px, where the event,
meeting and agenda pages do not scroll sideways. On the seed's published event, an enterprise
asks an institution for a meeting, the institution accepts, and the organiser sees it."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import MatchSet, StoredMatch
from matchmaker.recommendations.store import current_generation
from tests.browser.conftest import own_seeded_app, serving, sign_in
from tests.browser.test_listing_layout import NO_SIDEWAYS_SCROLL_JS

pytestmark = pytest.mark.browser
BROKER = "broker-zhangmin"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A seeded app with stored matches on a database (or PostgreSQL schema) of its own."""
    with own_seeded_app(tmp_path_factory, "events_ui", matches=True) as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


@pytest.fixture(scope="module")
def pair(own_app):
    """The best stored match between a published need and a published output:
    (enterprise id, institution id)."""
    with own_app.app_context():
        generation = current_generation(db.session)
        row = db.session.execute(
            select(TechNeed.enterprise_id, ResearchOutput.institution_id)
            .select_from(StoredMatch)
            .join(MatchSet, MatchSet.id == StoredMatch.set_id)
            .join(TechNeed, TechNeed.id == StoredMatch.need_id)
            .join(ResearchOutput, ResearchOutput.id == StoredMatch.output_id)
            .where(MatchSet.generation_id == generation.id, TechNeed.status == "published",
                   ResearchOutput.status == "published")
            .order_by(StoredMatch.score.desc()).limit(1)).one()
        db.session.remove()
    return row


def _no_sideways_scroll(page) -> None:
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS), page.url


@pytest.mark.parametrize("width", [1280, 390])
def test_organiser_builds_event_schedules_records_outcome_and_finds_the_deal(
        page, server, pair, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, BROKER)
    day = (date.today() + timedelta(days=14)).isoformat()
    page.goto(f"{server}/events/new")
    page.fill("#title", f"Browser fair {width}")
    page.fill("#starts_on", day)
    page.fill("#ends_on", day)
    page.fill("#tables", "3")
    page.click('[data-testid="event-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="event-status"]')
    event_url = page.url.split("#")[0]
    for start, end in (("09:00", "09:20"), ("09:20", "09:40")):
        page.fill('[data-testid="slot-form"] #starts_at', start)
        page.fill('[data-testid="slot-form"] #ends_at', end)
        page.click('[data-testid="slot-form"] button[type=submit]')
        page.wait_for_load_state()
    assert page.locator('[data-testid="slots"] li').count() == 2
    enterprise_id, institution_id = pair
    for value in (f"e:{enterprise_id}", f"i:{institution_id}"):
        page.select_option('[data-testid="invite-form"] #organisation', value)
        page.click('[data-testid="invite-form"] button[type=submit]')
        page.wait_for_load_state()
    while page.locator('[data-testid="confirm-participant"]').count():
        page.locator('[data-testid="confirm-participant"]').first.click()
        page.wait_for_load_state()
    page.click('[data-testid="propose-pairings"]')
    page.wait_for_load_state()
    assert page.locator('[data-testid="pairing-row"]').count() >= 1
    page.locator('[data-testid="toggle-pairing"]').first.click()
    page.wait_for_load_state()
    page.click('[data-testid="generate-schedule"]')
    page.wait_for_selector('[data-testid="schedule-grid"]')
    assert page.locator('[data-testid="meeting-cell"]').count() == 1
    page.click('[data-testid="publish-schedule"]')
    page.wait_for_load_state()
    _no_sideways_scroll(page)
    page.locator('[data-testid="meeting-cell"] a').first.click()
    page.wait_for_selector('[data-testid="outcome-form"]')
    _no_sideways_scroll(page)
    page.select_option("#outcome", "follow_up")
    page.fill("#notes", "双方约定两周内到企业现场考察")
    page.click('[data-testid="save-outcome"]')
    page.wait_for_selector('[data-testid="meeting-deal"]')
    assert page.locator('[data-testid="meeting-outcome"]').count() == 1
    deal_href = page.locator('[data-testid="meeting-deal"] a').get_attribute("href")
    deal_id = deal_href.rstrip("/").split("/")[-1]
    page.goto(f"{server}/deals/board")
    assert page.locator(f'[data-testid="deal-card"][data-deal="{deal_id}"]').count() == 1
    page.goto(event_url)
    assert page.locator('[data-testid="results-deals"]').inner_text() == "1"


def _refs(own_app, *refs) -> dict[str, int]:
    with own_app.app_context():
        ids = {}
        for ref in refs:
            model = TechNeed if "-n-" in ref else ResearchOutput
            ids[ref] = db.session.scalar(select(model.id).where(model.ref == ref))
        event_id = db.session.scalar(select(Event.id).where(Event.ref == "ev-pv-silicon-2026"))
        db.session.remove()
    return {**ids, "event": event_id}


# At each width another enterprise asks another institution (the seed's published event).
ASKS = {1280: ("pv-ent-02", "pv-n-004", "pv-o-004", "qcut"),
        390: ("pv-ent-03", "pv-n-009", "pv-o-001", "sums")}


@pytest.mark.parametrize("width", [1280, 390])
def test_a_participant_asks_for_a_meeting_and_the_other_side_accepts(page, own_app, server,
                                                                     width):
    enterprise, need, output, institution = ASKS[width]
    reason = f"想当面了解中试条件和授权方式（{width}）"
    ids = _refs(own_app, need, output)
    event_url = f"{server}/events/{ids['event']}"
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, enterprise)
    page.goto(event_url)
    form = page.locator('[data-testid="request-form"]')
    form.locator("#their_listing").select_option(str(ids[output]))
    form.locator("#own_listing").select_option(str(ids[need]))
    form.locator("#reason").fill(reason)
    _no_sideways_scroll(page)
    page.click('[data-testid="request-submit"]')
    page.wait_for_selector('[data-testid="outgoing-requests"]')
    asked = page.locator('[data-testid="outgoing-requests"] [data-testid="request-row"]')
    assert asked.first.get_attribute("data-status") == "pending"

    page.context.clear_cookies()
    sign_in(page, server, institution)
    page.goto(event_url)
    incoming = page.locator('[data-testid="incoming-requests"] [data-testid="request-row"]',
                            has_text=reason)
    assert incoming.count() == 1
    _no_sideways_scroll(page)
    incoming.locator('[data-testid="accept-request"]').click()
    page.wait_for_load_state()
    answered = page.locator('[data-testid="incoming-requests"] [data-testid="request-row"]',
                            has_text=reason)
    assert answered.get_attribute("data-status") == "accepted"

    page.context.clear_cookies()
    sign_in(page, server, BROKER)  # the organiser sees it among the pairings to schedule
    page.goto(event_url)
    row = page.locator('[data-testid="all-requests"] [data-testid="request-row"]',
                       has_text=reason)
    assert row.get_attribute("data-status") == "accepted"
