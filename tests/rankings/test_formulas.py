"""Every board's formula on hand-computed fixtures: ties, period boundaries, chains, co-brokers.

Pure: no app, no database."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from matchmaker.rankings.formulas import (
    BOARDS,
    BOARDS_BY_KEY,
    BUSINESS_TZ,
    ContractRecord,
    LandingRecord,
    Period,
    PeriodError,
    PeriodKind,
    Records,
    ServiceRecord,
    as_decimal,
    rank,
    recent_periods,
)

Q1 = Period.parse("2026-Q1")
Q2 = Period.parse("2026-Q2")
ALL = Period.parse("all")
NAMES = {1: "Alpha", 2: "Bravo", 3: "Charlie", 4: "Delta"}


def contract(deal_id, signed_on, value, owner=1, co=(), **kw) -> ContractRecord:
    return ContractRecord(deal_id=deal_id, signed_on=signed_on, value=Decimal(value),
                          owner_id=owner, co_broker_ids=tuple(co), **kw)


def ranked(board_key, records, period=ALL, chain_id=None, names=NAMES):
    rows = rank(BOARDS_BY_KEY[board_key], records.within(period, chain_id), names)
    return [(r.rank, r.party_id) for r in rows], rows


# --- periods -------------------------------------------------------------------------------

def test_a_contract_signed_at_2359_on_31_march_is_in_q1_and_one_at_midnight_in_q2():
    late = datetime(2026, 3, 31, 23, 59, 59, tzinfo=BUSINESS_TZ)
    midnight = datetime(2026, 4, 1, 0, 0, tzinfo=BUSINESS_TZ)
    assert Q1.contains(late) and not Q2.contains(late)
    assert Q2.contains(midnight) and not Q1.contains(midnight)


def test_period_boundaries_are_read_in_beijing_time_not_utc():
    # 15:59 UTC on 31 March is 23:59 in Xi'an; 16:00 UTC is already 1 April there.
    assert Q1.contains(datetime(2026, 3, 31, 15, 59, tzinfo=UTC))
    assert Q2.contains(datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    assert Q2.contains(datetime(2026, 3, 31, 16, 0))  # naive: stored UTC (SQLite)


def test_utc_bounds_of_a_quarter_start_and_end_at_beijing_midnight():
    start, end = Q1.utc_bounds()
    assert start == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert ALL.utc_bounds() == (None, None)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026-q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods_parse_with_their_first_and_last_days(text, first, last):
    period = Period.parse(text)
    assert (period.first_day, period.last_day) == (first, last)
    assert Period.parse(period.key) == period


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-Q5", "26", "1999",
                                  "2026-1", "al", "2026-03-01", "x" * 500])
def test_text_that_names_no_period_is_refused(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_recent_periods_run_back_over_the_year_boundary():
    months = recent_periods(PeriodKind.MONTH, date(2026, 2, 10), 3)
    assert [p.key for p in months] == ["2026-02", "2026-01", "2025-12"]
    quarters = recent_periods(PeriodKind.QUARTER, date(2026, 2, 10), 2)
    assert [p.key for p in quarters] == ["2026-Q1", "2025-Q4"]


# --- brokers -------------------------------------------------------------------------------

def test_broker_value_splits_a_contract_between_owner_and_co_brokers():
    records = Records(contracts=(
        contract(10, date(2026, 2, 1), 300, owner=1, co=(2, 3)),  # 100 each
        contract(11, date(2026, 2, 2), 150, owner=2),  # Bravo 150 more
    ))
    order, rows = ranked("broker-value", records)
    # Bravo 250; Alpha and Charlie 100 each, one contract each, both reached on 1 February:
    # the name decides.
    assert order == [(1, 2), (2, 1), (3, 3)]
    values = {r.party_id: r.values for r in rows}
    assert values[2]["value"] == 250 and values[2]["contracts"] == 2
    assert values[1]["value"] == 100 and values[1]["contracts"] == 1


def test_broker_value_shares_are_exact_so_thirds_tie_with_a_whole():
    records = Records(contracts=(
        contract(1, date(2026, 1, 5), 100, owner=1, co=(2, 3)),
        contract(2, date(2026, 1, 6), 100, owner=1, co=(2, 3)),
        contract(3, date(2026, 1, 7), 100, owner=1, co=(2, 3)),
        contract(4, date(2026, 1, 5), 100, owner=4),
    ))
    _, rows = ranked("broker-value", records)
    by_id = {r.party_id: r for r in rows}
    assert by_id[1].values["value"] == by_id[4].values["value"] == Fraction(100)
    # Equal value: Alpha, Bravo and Charlie signed three contracts, Delta one.
    assert [r.party_id for r in rows] == [1, 2, 3, 4]
    assert as_decimal(Fraction(100, 3)) == Decimal("33.33")


def test_broker_value_tie_goes_to_who_reached_it_first_then_the_name():
    records = Records(contracts=(
        contract(1, date(2026, 3, 10), 200, owner=3),
        contract(2, date(2026, 3, 2), 200, owner=4),
        contract(3, date(2026, 3, 2), 200, owner=2),
    ))
    order, _ = ranked("broker-value", records)
    # All 200 and one contract. Bravo and Delta reached it on 2 March, Charlie on 10 March;
    # Bravo before Delta by name.
    assert order == [(1, 2), (2, 4), (3, 3)]


def test_a_co_broker_listed_twice_or_as_owner_is_credited_once():
    records = Records(contracts=(contract(1, date(2026, 1, 1), 90, owner=1, co=(1, 2, 2)),))
    _, rows = ranked("broker-value", records)
    assert {r.party_id: r.values["value"] for r in rows} == {1: 45, 2: 45}


def test_broker_landed_counts_each_broker_on_the_deal_and_breaks_ties_by_local():
    records = Records(landings=(
        LandingRecord(1, date(2026, 5, 1), owner_id=1, co_broker_ids=(2,), is_local=False),
        LandingRecord(2, date(2026, 5, 3), owner_id=2, is_local=True),
        LandingRecord(3, date(2026, 5, 2), owner_id=1, is_local=False),
        LandingRecord(4, date(2026, 5, 4), owner_id=3, is_local=True),
    ))
    order, rows = ranked("broker-landed", records)
    # Alpha 2 landed (0 local), Bravo 2 landed (1 local), Charlie 1.
    assert order == [(1, 2), (2, 1), (3, 3)]
    assert {r.party_id: (r.values["landed"], r.values["local"]) for r in rows} == {
        1: (2, 0), 2: (2, 1), 3: (1, 1)}


def test_broker_local_counts_only_landings_in_the_home_province():
    records = Records(landings=(
        LandingRecord(1, date(2026, 5, 1), owner_id=1, is_local=False),
        LandingRecord(2, date(2026, 5, 9), owner_id=2, is_local=True),
        LandingRecord(3, date(2026, 5, 2), owner_id=3, co_broker_ids=(2,), is_local=True),
    ))
    order, rows = ranked("broker-local", records)
    # Bravo 2 (co-broker on deal 3); Charlie 1. Alpha's landing was elsewhere: not listed.
    assert order == [(1, 2), (2, 3)]
    assert rows[0].deal_ids == {2, 3}


def test_broker_services_count_done_tickets_by_their_beijing_day():
    def done(ticket, deal, moment, owner, co=()):
        return ServiceRecord(ticket, deal, moment, owner_id=owner, co_broker_ids=co)

    records = Records(services=(
        done(1, 10, datetime(2026, 3, 31, 15, 30, tzinfo=UTC), owner=1),  # 23:30 → Q1
        done(2, 10, datetime(2026, 3, 31, 16, 30, tzinfo=UTC), owner=1),  # 00:30 1 Apr → Q2
        done(3, 11, datetime(2026, 2, 1, 2, 0, tzinfo=UTC), owner=2, co=(1,)),
        done(4, 12, datetime(2026, 2, 2, 2, 0, tzinfo=UTC), owner=2),
    ))
    order, rows = ranked("broker-services", records, Q1)
    # Q1: Alpha tickets 1 and 3 (2 services, 2 deals); Bravo 3 and 4 (2 services, 2 deals).
    # Bravo reached 2 on 2 Feb, Alpha on 31 March.
    assert order == [(1, 2), (2, 1)]
    assert rows[0].values == {"services": 2, "deals_served": 2}
    order_q2, _ = ranked("broker-services", records, Q2)
    assert order_q2 == [(1, 1)]


def test_broker_services_tie_on_count_goes_to_more_deals_served():
    records = Records(services=(
        ServiceRecord(1, 10, date(2026, 1, 3), owner_id=1),
        ServiceRecord(2, 10, date(2026, 1, 4), owner_id=1),
        ServiceRecord(3, 11, date(2026, 1, 8), owner_id=2),
        ServiceRecord(4, 12, date(2026, 1, 9), owner_id=2),
    ))
    order, _ = ranked("broker-services", records)
    assert order == [(1, 2), (2, 1)]


def test_a_quarter_board_keeps_the_2359_contract_and_drops_the_midnight_one():
    records = Records(contracts=(
        contract(1, date(2026, 3, 31), 100, owner=1),
        contract(2, date(2026, 4, 1), 500, owner=2),
        contract(3, date(2025, 12, 31), 900, owner=3),
    ))
    assert ranked("broker-value", records, Q1)[0] == [(1, 1)]
    assert ranked("broker-value", records, Q2)[0] == [(1, 2)]
    assert ranked("broker-value", records, Period.parse("2026"))[0] == [(1, 2), (2, 1)]
    assert ranked("broker-value", records, ALL)[0] == [(1, 3), (2, 2), (3, 1)]


def test_the_chain_filter_keeps_only_that_chains_records():
    records = Records(
        contracts=(contract(1, date(2026, 1, 1), 100, owner=1, chain_id=7),
                   contract(2, date(2026, 1, 1), 300, owner=2, chain_id=8)),
        landings=(LandingRecord(1, date(2026, 2, 1), owner_id=1, chain_id=7, is_local=True),),
        services=(ServiceRecord(1, 2, date(2026, 3, 1), owner_id=2, chain_id=8),))
    assert ranked("broker-value", records, chain_id=7)[0] == [(1, 1)]
    assert ranked("broker-value", records, chain_id=8)[0] == [(1, 2)]
    assert ranked("broker-value", records)[0] == [(1, 2), (2, 1)]
    assert ranked("broker-local", records, chain_id=8)[0] == []
    assert ranked("broker-services", records, chain_id=7)[0] == []


# --- institutions --------------------------------------------------------------------------

def test_institution_transferred_counts_each_output_once_and_ties_on_value():
    records = Records(contracts=(
        contract(1, date(2026, 1, 10), 100, institution_id=1, output_id=101),
        contract(2, date(2026, 2, 10), 50, institution_id=1, output_id=101),  # same output
        contract(3, date(2026, 1, 5), 120, institution_id=2, output_id=201),
        contract(4, date(2026, 1, 6), 10, institution_id=3, output_id=301),
        contract(5, date(2026, 1, 7), 10, institution_id=3, output_id=302),
    ))
    order, rows = ranked("institution-transferred", records)
    # Charlie 2 outputs; Alpha 1 output (value 150) beats Bravo 1 output (value 120).
    assert order == [(1, 3), (2, 1), (3, 2)]
    alpha = rows[1]
    assert alpha.values["outputs"] == 1 and alpha.values["value"] == 150
    assert alpha.achieved_on == date(2026, 1, 10)  # the output's first signing
    assert alpha.deal_ids == {1, 2}


def test_institution_value_sums_contract_amounts_and_ties_on_contracts():
    records = Records(contracts=(
        contract(1, date(2026, 6, 1), 100, institution_id=1, output_id=1),
        contract(2, date(2026, 6, 2), 100, institution_id=1, output_id=2),
        contract(3, date(2026, 6, 1), 200, institution_id=2, output_id=3),
        contract(4, date(2026, 6, 3), 150, institution_id=3, output_id=4),
        contract(5, date(2026, 6, 3), 99, enterprise_id=5, need_id=9),  # no institution
    ))
    order, rows = ranked("institution-value", records)
    assert order == [(1, 1), (2, 2), (3, 3)]
    assert [r.values["value"] for r in rows] == [200, 200, 150]


def test_institution_speed_ranks_the_lowest_median_days_first():
    def c(deal, inst, listed, signed):
        return contract(deal, signed, 10, institution_id=inst, output_id=deal,
                        listed_on=listed)

    records = Records(contracts=(
        # Alpha: 10, 30, 200 days → median 30.
        c(1, 1, date(2026, 1, 1), date(2026, 1, 11)),
        c(2, 1, date(2026, 1, 1), date(2026, 1, 31)),
        c(3, 1, date(2025, 6, 1), date(2025, 12, 18)),
        # Bravo: 20 and 41 → median 30.5.
        c(4, 2, date(2026, 1, 1), date(2026, 1, 21)),
        c(5, 2, date(2026, 1, 1), date(2026, 2, 11)),
        # Charlie: 30 → median 30, but one contract only.
        c(6, 3, date(2026, 1, 1), date(2026, 1, 31)),
        # Delta: an output never published has no listing day: not counted.
        contract(7, date(2026, 1, 5), 10, institution_id=4, output_id=7),
    ))
    order, rows = ranked("institution-speed", records)
    assert order == [(1, 1), (2, 3), (3, 2)]
    assert [r.values["median_days"] for r in rows] == [30, 30, 30.5]


def test_institution_speed_keeps_a_median_of_zero_days():
    records = Records(contracts=(contract(1, date(2026, 1, 1), 10, institution_id=1,
                                          output_id=1, listed_on=date(2026, 1, 1)),))
    _, rows = ranked("institution-speed", records)
    assert rows[0].values["median_days"] == 0 and rows[0].rank == 1


# --- enterprises ---------------------------------------------------------------------------

def test_enterprise_solved_counts_needs_once_and_ties_on_challenges():
    records = Records(contracts=(
        contract(1, date(2026, 4, 1), 10, enterprise_id=1, need_id=11),
        contract(2, date(2026, 4, 2), 10, enterprise_id=1, need_id=11),  # same need
        contract(3, date(2026, 4, 9), 10, enterprise_id=2, need_id=21, is_challenge=True),
        contract(4, date(2026, 4, 3), 10, enterprise_id=3, need_id=31),
        contract(5, date(2026, 4, 4), 10, institution_id=1, output_id=5),  # no need
    ))
    order, rows = ranked("enterprise-solved", records)
    # All solved one need. Bravo's was a challenge; Alpha (1 April) before Charlie (3 April).
    assert order == [(1, 2), (2, 1), (3, 3)]
    assert rows[0].values == {"needs": 1, "challenges": 1}


def test_enterprise_challenges_counts_only_open_challenges():
    records = Records(contracts=(
        contract(1, date(2026, 4, 1), 10, enterprise_id=1, need_id=11),
        contract(2, date(2026, 4, 2), 10, enterprise_id=2, need_id=21, is_challenge=True),
        contract(3, date(2026, 4, 3), 10, enterprise_id=2, need_id=22, is_challenge=True),
        contract(4, date(2026, 4, 1), 10, enterprise_id=3, need_id=31, is_challenge=True),
    ))
    order, _ = ranked("enterprise-challenges", records)
    assert order == [(1, 2), (2, 3)]


# --- every board ---------------------------------------------------------------------------

def test_every_board_has_a_formula_a_tie_rule_and_its_first_metric_ranks():
    assert len({b.key for b in BOARDS}) == len(BOARDS) == 9
    for board in BOARDS:
        assert board.formula and board.tie_rule and board.metrics
        assert rank(board, Records(), NAMES) == []


def test_a_period_a_day_later_in_utc_still_counts_the_business_day():
    moment = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # 04:00 on 1 January 2027 in Xi'an
    assert Period.parse("2027").contains(moment)
    assert not Period.parse("2026").contains(moment)
    assert Period.parse("2026-12").contains(moment - timedelta(hours=4, seconds=1))
