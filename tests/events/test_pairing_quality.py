"""Event pairings show the match quality of their pair, as the match cards do (never the raw
score), and say so when the pair is in no current match list."""
import re

from sqlalchemy import delete

from matchmaker.events import scheduling
from matchmaker.matching import calibration
from matchmaker.recommendations.models import StoredMatch
from matchmaker.recommendations.services import match_quality
from tests.pipeline.test_match_quality import store_scores
from tests.recommendations.conftest import settle_jobs


def _propose(db_session, fair):
    return scheduling.propose_pairings(db_session, fair.world.event, actor=fair.world.organiser)


def test_a_pairing_has_the_quality_of_its_pair_in_the_need_list(db_session, fair):
    """The fair's lists: needs[0] (0.9, 0.8), needs[1] (0.7, 0.6), outputs in order."""
    pairings = _propose(db_session, fair)
    qualities = scheduling.pairing_qualities(db_session, pairings)
    expected = {(fair.needs[0].id, fair.outputs[0].id): match_quality(0.9, 0.9, 1),
                (fair.needs[0].id, fair.outputs[1].id): match_quality(0.8, 0.9, 2),
                (fair.needs[1].id, fair.outputs[0].id): match_quality(0.7, 0.7, 1),
                (fair.needs[1].id, fair.outputs[1].id): match_quality(0.6, 0.7, 2)}
    assert {(p.need_id, p.output_id): qualities[p.id] for p in pairings} == expected
    # The raw scores read 0.7 > 0.6 on the second need, whatever list they come from; the
    # quality of needs[0]'s second (raw 0.8) is not its raw score.
    assert expected[(fair.needs[0].id, fair.outputs[1].id)] != 0.8


def test_a_pairing_whose_pair_left_the_lists_has_no_quality(db_session, fair):
    pairings = _propose(db_session, fair)
    gone = pairings[0]
    db_session.execute(delete(StoredMatch).where(StoredMatch.need_id == gone.need_id,
                                                 StoredMatch.output_id == gone.output_id))
    qualities = scheduling.pairing_qualities(db_session, pairings)
    assert gone.id not in qualities
    assert {p.id for p in pairings} - {gone.id} == set(qualities)


def test_the_organisers_page_shows_the_quality_or_says_it_is_unknown(app, db_session, fair,
                                                                    sign_in):
    # The factories' match refresh runs now, not in a request; then the fair's lists again.
    settle_jobs(app, db_session)
    n0, n1 = fair.needs
    o0, o1 = fair.outputs
    for need, scored in ((n0, [(o0, 0.35), (o1, 0.3)]), (n1, [(o0, 0.3), (o1, 0.28)])):
        store_scores(db_session, need, scored)
    for output in fair.outputs:
        store_scores(db_session, output, [])
    pairings = _propose(db_session, fair)
    gone = next(p for p in pairings if p.need_id == fair.needs[1].id)
    db_session.execute(delete(StoredMatch).where(StoredMatch.need_id == gone.need_id,
                                                 StoredMatch.output_id == gone.output_id))
    qualities = scheduling.pairing_qualities(db_session, pairings)
    db_session.commit()
    client = sign_in(fair.world.organiser)
    with client.session_transaction() as session:
        session["locale"] = "en"
    html = client.get(f"/events/{fair.world.event.id}").get_data(as_text=True)
    cells = re.findall(r'data-testid="pairing-quality">(.*?)</td>', html, re.DOTALL)
    assert len(cells) == len(pairings)
    shown = [int(c[:-1]) for c in cells if c.endswith("%")]
    assert shown == sorted(shown, reverse=True) and cells[-1].strip().startswith("<span")
    assert sorted(shown) == sorted(calibration.percent(q) for q in qualities.values())
    assert calibration.percent(match_quality(0.3, 0.35, 2)) in shown
    assert 30 not in shown and 35 not in shown  # not the raw scores
    assert sum("not in the current matches" in c for c in cells) == 1
