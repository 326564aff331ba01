"""A deal started from a match keeps the match quality its card showed, beside the raw score
(history), and its pages and the API show that quality; a deal from before the quality was
kept shows its raw score, named as such."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.domain import Role, Side
from matchmaker.matching import Match, Ranking, calibration
from matchmaker.pipeline import clock, pages
from matchmaker.pipeline.models import Deal
from matchmaker.recommendations import services as recs
from matchmaker.recommendations import store
from tests.conftest import submit
from tests.recommendations.conftest import settle_jobs


def store_scores(session, listing, scored) -> None:
    """Store listing's current list as a refresh does: (candidate, raw score) in rank order."""
    ranking = Ranking(listing.id, tuple(Match(c.id, score, {"text": score},
                                              {"shared_terms": ["涂层"]})
                                        for c, score in scored))
    store.write_sets(session, store.current_generation(session).id, listing.side,
                     [(ranking, listing.version)], limit=10, floor=0.05)


@pytest.fixture
def pair(app, db_session, make_need, make_output):
    """A need and the output second in its list (raw 0.3 under a best of 0.5); the same pair
    is second in the output's own list too, under a best of 0.6: another quality there."""
    need, other_need = make_need(), make_need()
    outputs = [make_output() for _ in range(3)]
    settle_jobs(app, db_session)
    store_scores(db_session, need, [(outputs[0], 0.5), (outputs[1], 0.3), (outputs[2], 0.2)])
    store_scores(db_session, outputs[1], [(other_need, 0.6), (need, 0.3)])
    return need, outputs[1]


def card_quality(db_session, need, output) -> float:
    """The quality the need's page shows on the output's card."""
    found = recs.list_matches(db_session, Side.NEED, need, limit=10)
    return next(rec.quality for rec in found.items if rec.output_id == output.id)


def _english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


def start_deal(client, db_session, need, output, source: str):
    db_session.commit()
    form = f"/deals/new?need_id={need.id}&output_id={output.id}&match={source}"
    response = submit(client, form, {
        "need_id": need.id, "output_id": output.id, "from_match": source,
        "next_step": "约双方会面", "next_step_due": (clock.today() + timedelta(days=3)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db_session.scalar(select(Deal).where(Deal.need_id == need.id,
                                                Deal.output_id == output.id))


def test_the_pair_reads_differently_in_its_two_lists(db_session, pair):
    """The premise of the tests below: the two lists give the pair different qualities."""
    need, output = pair
    in_need_list = card_quality(db_session, need, output)
    assert in_need_list == recs.match_quality(0.3, 0.5, 2)
    assert recs.match_quality(0.3, 0.6, 2) > in_need_list


def test_a_deal_from_a_need_pages_card_keeps_the_quality_that_card_showed(
        db_session, sign_in, make_user, pair):
    need, output = pair
    shown = card_quality(db_session, need, output)
    client = _english(sign_in(make_user(Role.BROKER)))
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/deals/new?need_id={need.id}&amp;output_id={output.id}&amp;match=need" in page
    form = client.get(f"/deals/new?need_id={need.id}&output_id={output.id}&match=need")
    snapshot = re.search(r'data-testid="match-snapshot"[^>]*>(\d+)%',
                         form.get_data(as_text=True))
    assert snapshot and int(snapshot.group(1)) == calibration.percent(shown)
    deal = start_deal(client, db_session, need, output, "need")
    assert deal.match_quality == shown
    assert deal.match_score == pytest.approx(0.3)  # the raw score is kept too (history)
    detail = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert (f"Started from a match of {calibration.percent(shown)}% match quality"
            in detail)


def test_a_deal_from_an_output_pages_card_keeps_that_lists_quality(db_session, sign_in,
                                                                   make_user, pair):
    need, output = pair
    found = recs.list_matches(db_session, Side.OUTPUT, output, limit=10)
    shown = next(rec.quality for rec in found.items if rec.need_id == need.id)
    deal = start_deal(sign_in(make_user(Role.BROKER)), db_session, need, output, "output")
    assert deal.match_quality == shown == recs.match_quality(0.3, 0.6, 2)


def test_without_a_side_the_pair_reads_at_its_higher_quality(db_session, pair):
    need, output = pair
    match, quality = pages.find_current_match(db_session, need.id, output.id)
    assert quality == recs.match_quality(0.3, 0.6, 2)
    assert quality == recs.pair_qualities(db_session, [(need.id, output.id)])[
        (need.id, output.id)]
    assert (match.need_id, match.output_id) == (need.id, output.id)
    assert pages.find_current_match(db_session, need.id, output.id, side=Side.NEED)[1] == \
        card_quality(db_session, need, output)


def test_a_pair_in_no_current_list_has_no_match_to_start_from(db_session, make_need,
                                                              make_output):
    assert pages.find_current_match(db_session, make_need().id, make_output().id) == \
        (None, None)


def test_a_deal_from_before_the_quality_was_kept_shows_its_raw_score_named_as_such(
        db_session, sign_in, make_user, make_deal):
    broker = make_user(Role.BROKER)
    deal = make_deal(owner=broker)
    deal.match_score, deal.match_explanation = 0.41, {}  # as such a deal was stored
    db_session.commit()
    assert deal.match_quality is None
    detail = _english(sign_in(broker)).get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Started from a match with a raw matcher score of 41%" in detail
    assert "match quality;" in detail and "% match quality" not in detail


def test_a_deal_not_started_from_a_match_says_nothing_of_one(db_session, sign_in, make_user,
                                                             make_deal):
    broker = make_user(Role.BROKER)
    deal = make_deal(owner=broker)
    db_session.commit()
    detail = sign_in(broker).get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'data-testid="deal-match"' not in detail
