"""The charts' figures and the gaps on a fixture: a chain of the test's own with three
segments, its listings and deals, and stored matches written as the worker would, so that
every number is the fixture's (the seed's rows are on other chains)."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from matchmaker.chains.models import ChainSegment
from matchmaker.dashboard import charts, gaps
from matchmaker.dashboard.actuals import Period
from matchmaker.domain import Role, StageKey
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline
from matchmaker.recommendations.models import MatchSet, StoredMatch
from matchmaker.recommendations.services import match_quality
from tests.factories import sign_contract

YEAR = 2032


def top(best: float) -> float:
    """The match quality of a list's first candidate of raw score best."""
    return match_quality(best, best, 1)


# Between the qualities of the best candidates of n3 (raw 0.34) and n1 (raw 0.81).
QUALITY = (top(0.34) + top(0.81)) / 2


@pytest.fixture
def chain(db_session, make_chain):
    chain = make_chain()
    for position, key in enumerate(("upstream", "midstream", "downstream"), start=1):
        db_session.add(ChainSegment(chain=chain, key=key, name_zh=f"环节{key}",
                                    name_en=key, position=position))
    db_session.flush()
    return chain


def seg(chain, key):
    return next(s for s in chain.segments if s.key == key)


def store(db_session, need, scored: list[tuple[object, float]], *, notice=None):
    """Write the need's match set in the current generation, as the worker would."""
    generation_id = gaps.current_generation_id(db_session)
    match_set = MatchSet(generation_id=generation_id, side="need", profile_id=need.id,
                         profile_version=need.version, notice=notice, threshold=0.0)
    db_session.add(match_set)
    db_session.flush()
    for rank, (output, score) in enumerate(scored, start=1):
        db_session.add(StoredMatch(set_id=match_set.id, rank=rank, need_id=need.id,
                                   output_id=output.id, score=score))
    db_session.flush()


@pytest.fixture
def market(db_session, chain, make_output, make_need):
    """Upstream: 3 outputs (one withdrawn), 2 open needs, one of them unmet (best raw 0.2).
    Midstream: 0 outputs, 2 needs, both unmet (one has no match at all); a closed need.
    Downstream: 1 output, 0 needs. No segment: 1 output. A need whose text was too thin
    (notice) counts as demand but not as a gap."""
    up, mid, down = (seg(chain, k).id for k in ("upstream", "midstream", "downstream"))
    on = {"chain_key": chain.key}
    o1, o2 = make_output(segment_id=up, **on), make_output(segment_id=up, **on)
    make_output(segment_id=up, status="withdrawn", **on)
    o3 = make_output(segment_id=down, **on)
    o4 = make_output(**on)
    n1, n2 = make_need(segment_id=up, **on), make_need(segment_id=up, **on)
    n3, n4 = make_need(segment_id=mid, **on), make_need(segment_id=mid, **on)
    make_need(segment_id=mid, status="closed", **on)
    n5 = make_need(segment_id=down, **on)
    n5.segment_id = None  # a need on the chain with no segment
    store(db_session, n1, [(o1, 0.81), (o2, 0.40)])
    store(db_session, n2, [(o1, 0.20)])
    store(db_session, n3, [(o3, 0.34)])
    store(db_session, n4, [])
    store(db_session, n5, [], notice="not_enough_information")
    return {"outputs": (o1, o2, o3, o4), "needs": (n1, n2, n3, n4, n5)}


def test_heatmap_counts_supply_demand_and_unmet_needs(db_session, chain, market):
    cells = [c for c in charts.heatmap(db_session, quality=QUALITY) if c.chain.id == chain.id]
    got = [(c.segment.key if c.segment else None, c.outputs, c.needs, c.unmatched)
           for c in cells]
    assert got == [("upstream", 2, 2, 1), ("midstream", 0, 2, 2), ("downstream", 1, 0, 0),
                   (None, 1, 1, 0)]


def test_gaps_list_unmet_needs_lowest_first_and_unwanted_outputs(db_session, chain, market):
    _n1, n2, n3, n4, _n5 = market["needs"]
    o4 = market["outputs"][3]
    found = gaps.find_gaps(db_session, chain_id=chain.id, quality=QUALITY)
    # The quality of each need's best candidate; n4 has none.
    assert [(n.id, best) for n, best in found.needs] == [(n4.id, None), (n2.id, top(0.2)),
                                                        (n3.id, top(0.34))]
    assert found.needs_total == 3 and found.needs_by_chain[chain.id] == 3
    # o1, o2 and o3 are in some need's list (whatever their score); o4 is in none.
    assert [o.id for o in found.outputs] == [o4.id]
    assert found.outputs_total == 1


def test_the_gap_quality_decides_and_a_need_without_candidate_is_always_a_gap(db_session, chain,
                                                                             market):
    assert gaps.find_gaps(db_session, chain_id=chain.id, quality=1.0).needs_total == 4
    assert gaps.find_gaps(db_session, chain_id=chain.id,
                          quality=(top(0.2) + top(0.34)) / 2).needs_total == 2
    for quality in (top(0.2) / 2, 0.0):
        found = gaps.find_gaps(db_session, chain_id=chain.id, quality=quality)
        assert [n.id for n, _best in found.needs] == [market["needs"][3].id]


def test_a_best_candidate_exactly_at_the_gap_quality_is_a_good_match(db_session, chain, market):
    n2 = market["needs"][1]
    found = gaps.find_gaps(db_session, chain_id=chain.id, quality=top(0.2))
    assert n2.id not in [n.id for n, _best in found.needs]


def test_the_gap_quality_is_the_match_floor_unless_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_FLOOR", 0.42)
    monkeypatch.setitem(app.config, "DASHBOARD_GAP_QUALITY", None)
    with app.app_context():
        assert gaps.gap_quality() == 0.42
        monkeypatch.setitem(app.config, "DASHBOARD_GAP_QUALITY", 0.6)
        assert gaps.gap_quality() == 0.6


def test_per_chain_and_monthly_figures(db_session, chain, make_deal, make_user):
    broker = make_user(Role.BROKER)
    with clock.at(datetime(YEAR, 2, 10, 4, tzinfo=UTC)):
        first = make_deal(owner=broker, chain_key=chain.key, stage_key="contract_signed")
        sign_contract(db_session, first, broker, signed_on=date(YEAR, 2, 20), total_amount=300)
    with clock.at(datetime(YEAR, 2, 29, 17, tzinfo=UTC)):  # 1 March in Beijing (leap 2032)
        make_deal(owner=broker, chain_key=chain.key)
    with clock.at(datetime(YEAR, 5, 5, 4, tzinfo=UTC)):
        third = make_deal(owner=broker, chain_key=chain.key, stage_key="contract_signed")
        sign_contract(db_session, third, broker, signed_on=date(YEAR, 5, 6), total_amount=1250)
    period = Period(YEAR, datetime(YEAR + 1, 2, 1, tzinfo=UTC))
    row = next(r for r in charts.per_chain(db_session, period) if r.chain and r.chain.id ==
               chain.id)
    assert (row.deals_started, row.contracts, row.value) == (3, 2, 1550)
    months = {m.month: (m.deals_started, m.contracts, m.value)
              for m in charts.monthly(db_session, period)}
    assert months[2] == (1, 1, 300) and months[3] == (1, 0, 0) and months[5] == (1, 1, 1250)
    assert sum(m[0] for m in months.values()) == 3 and len(months) == 12


def test_median_days_per_stage_from_the_history(db_session, chain, make_deal, make_user):
    broker = make_user(Role.BROKER)
    deals = []
    for day in (1, 2, 3):  # created on 1, 2, 3 March, each moved on after 2, 4 and 9 days
        with clock.at(datetime(YEAR, 3, day, 4, tzinfo=UTC)):
            deals.append(make_deal(owner=broker, chain_key=chain.key))
    for deal, days in zip(deals, (2, 4, 9), strict=True):
        with clock.at(datetime(YEAR, 3, deal.created_at.day + days, 4, tzinfo=UTC)):
            from tests.factories import qualify
            pipeline.move_deal(db_session, deal, StageKey.QUALIFIED, actor=broker)
            qualify(db_session, deal, broker)
    rows = {r.stage.key: r for r in charts.median_days(db_session, Period(
        YEAR, datetime(YEAR, 12, 31, tzinfo=UTC)))}
    assert rows[StageKey.DISCOVERED].median_days == 4.0
    assert rows[StageKey.DISCOVERED].periods == 3
    assert rows[StageKey.QUALIFIED].median_days is None


def test_funnel_counts_deals_by_current_stage_in_stage_order(db_session, make_deal, make_user):
    before, lost_before = charts.funnel(db_session)
    broker = make_user(Role.BROKER)
    make_deal(owner=broker)
    make_deal(owner=broker, stage_key="negotiating")
    make_deal(owner=broker, stage_key="lost")
    after, lost_after = charts.funnel(db_session)
    positions = [r.stage.position for r in after]
    assert positions == sorted(positions)
    delta = {a.stage.key: a.deals - b.deals for a, b in zip(after, before, strict=True)}
    assert {k: v for k, v in delta.items() if v} == {"discovered": 1, "negotiating": 1}
    assert lost_after - lost_before == 1
    assert db_session.scalar(select(MatchSet.id).limit(1)) is not None  # the session's matches
