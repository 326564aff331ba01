"""The API gives a deal's match quality beside its raw match score."""
import pytest

from matchmaker.domain import Role, Side
from matchmaker.pipeline import clock, pages
from matchmaker.pipeline import services as pipeline
from matchmaker.recommendations import services as recs
from tests.pipeline.test_match_quality import store_scores
from tests.recommendations.conftest import settle_jobs


def test_a_deal_gives_its_match_quality_beside_the_raw_score(app, db_session, api_as,
                                                             make_need, make_output):
    api, broker = api_as(Role.BROKER)
    need, outputs = make_need(), [make_output() for _ in range(2)]
    settle_jobs(app, db_session)
    store_scores(db_session, need, [(outputs[0], 0.5), (outputs[1], 0.3)])
    match, quality = pages.find_current_match(db_session, need.id, outputs[1].id,
                                              side=Side.NEED)
    deal = pipeline.create_deal(db_session, actor=broker, need=need, output=outputs[1],
                                match=match, next_step="约双方会面",
                                next_step_due=clock.today())
    plain = pipeline.create_deal(db_session, actor=broker, output=outputs[0],
                                 next_step="拜访课题组", next_step_due=clock.today())
    db_session.commit()
    body = api.get(f"/deals/{deal.id}").get_json()
    assert body["match_quality"] == quality == recs.match_quality(0.3, 0.5, 2)
    assert body["match_score"] == pytest.approx(0.3)
    body = api.get(f"/deals/{plain.id}").get_json()
    assert body["match_quality"] is None and body["match_score"] is None
