"""Actual figures of the measured metrics, on deals, contracts and listings made for a year
nobody else uses (2031), so that the numbers are exactly the fixture's."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.dashboard import actuals, metrics
from matchmaker.dashboard.actuals import Period
from matchmaker.dashboard.kpi import Status
from matchmaker.domain import HOME_PROVINCE, Role
from matchmaker.orgs.models import Region
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline
from matchmaker.pipeline.models import Contract
from tests.factories import home_region, sign_contract

YEAR = 2031


def contract_of(session, deal) -> Contract:
    return session.scalar(select(Contract).where(Contract.deal_id == deal.id))


def at(month: int, day: int) -> datetime:
    return datetime(YEAR, month, day, 4, tzinfo=UTC)


@pytest.fixture
def fixture_year(db_session, make_deal, make_user, make_output, make_need):
    """In 2031: 4 deals started (Feb, Mar, Mar, Jun); 3 contracts signed (150 + 2,000 + 500
    万元; one in 2030 does not count); landed: 2 in the home province, 1 elsewhere; 2
    outputs and 1 need published (a withdrawn output does not count)."""
    broker = make_user(Role.BROKER)
    with clock.at(at(2, 3)):
        lost = make_deal(owner=broker, stage_key="lost")
    with clock.at(at(3, 10)):
        one = make_deal(owner=broker, stage_key="landed")
        pipeline.mark_landed(db_session, one, actor=broker, name="本地项目公司",
                             region=home_region(db_session), landed_on=date(YEAR, 3, 10))
    c = contract_of(db_session, one)
    c.signed_on = date(YEAR, 3, 5)
    with clock.at(at(3, 20)):
        two = make_deal(owner=broker, stage_key="landed")
        pipeline.mark_landed(db_session, two, actor=broker, name="本地项目公司二",
                             region=home_region(db_session), landed_on=date(YEAR, 3, 25))
    c = contract_of(db_session, two)
    c.signed_on, c.total_amount = date(YEAR, 3, 18), Decimal(2000)
    with clock.at(at(6, 1)):
        three = make_deal(owner=broker, stage_key="contract_signed")
        sign_contract(db_session, three, broker, signed_on=date(YEAR, 6, 15),
                      total_amount=Decimal(500))
        away = db_session.scalar(select(Region).where(Region.province != HOME_PROVINCE))
        pipeline.mark_landed(db_session, three, actor=broker, name="外省项目公司", region=away,
                             landed_on=date(YEAR, 6, 20))
    with clock.at(datetime(YEAR - 1, 12, 20, tzinfo=UTC)):
        old = make_deal(owner=broker, stage_key="contract_signed")
        sign_contract(db_session, old, broker, signed_on=date(YEAR - 1, 12, 20))
    for output in (make_output(), make_output(), make_output(status="withdrawn")):
        output.published_at = at(4, 1)
    make_need().published_at = at(5, 2)
    db_session.flush()
    return {"deals": [lost, one, two, three]}


def test_actuals_of_a_whole_year(db_session, fixture_year):
    got = actuals.compute_actuals(db_session, Period(YEAR, datetime(YEAR + 1, 3, 1, tzinfo=UTC)))
    assert got == {
        "contract_turnover": Decimal("0.2650"),  # 2,650 万元 = 0.265 亿元
        "contracts_signed": 3, "local_conversion_projects": 2,
        "local_conversion_rate": Decimal("66.7"), "deals_started": 4,
        "outputs_published": 2, "needs_published": 1,
    }
    assert set(got) == {m.key for m in metrics.METRICS if m.measured}


def test_actuals_stop_at_the_moment_asked(db_session, fixture_year):
    # Up to the end of March (Beijing): Feb and Mar deals, the two March contracts.
    end_of_march = datetime(YEAR, 3, 31, 16, tzinfo=UTC)
    got = actuals.compute_actuals(db_session, Period(YEAR, end_of_march))
    assert got["deals_started"] == 3 and got["contracts_signed"] == 2
    assert got["contract_turnover"] == Decimal("0.2150")
    assert got["local_conversion_rate"] == 100 and got["outputs_published"] == 0


def test_a_year_without_landings_has_no_rate(db_session):
    got = actuals.compute_actuals(db_session, Period(2039, datetime(2040, 1, 1, tzinfo=UTC)))
    assert got["local_conversion_rate"] is None and got["deals_started"] == 0


def test_progress_rows_against_targets(db_session, fixture_year, make_user):
    from matchmaker.dashboard import services
    from matchmaker.dashboard.services import TargetData
    operator = make_user(Role.ADMIN)
    for key, value in (("contracts_signed", 12), ("brokers_trained", 50)):
        services.set_target(db_session, TargetData(YEAR, key, Decimal(value)), actor=operator,
                            version=None)
    rows = {r.metric.key: r for r in actuals.progress_rows(
        db_session, Period(YEAR, datetime(YEAR, 7, 1, 16, tzinfo=UTC)),
        services.list_targets(db_session, YEAR))}
    assert rows["contracts_signed"].progress == Decimal("0.25")
    assert rows["contracts_signed"].status == Status.BEHIND  # half the year gone
    assert rows["brokers_trained"].status == Status.NOT_MEASURED
    assert rows["deals_started"].status == Status.NO_TARGET


def test_a_contract_and_landing_of_a_deal_marked_lost_stop_counting(db_session, fixture_year,
                                                                    make_deal, make_user):
    """The dashboard counts what the rankings count: the contract of a deal that fell through
    (marked lost) leaves turnover, contracts, the per-chain and monthly figures, and its landing
    leaves the local-conversion figures."""
    from matchmaker.dashboard import charts

    period = Period(YEAR, datetime(YEAR + 1, 3, 1, tzinfo=UTC))
    before = (actuals.compute_actuals(db_session, period), charts.per_chain(db_session, period),
              charts.monthly(db_session, period))
    broker = make_user(Role.BROKER)
    with clock.at(at(4, 1)):
        gone = make_deal(owner=broker, stage_key="contract_signed")
        sign_contract(db_session, gone, broker, signed_on=date(YEAR, 4, 2),
                      total_amount=Decimal(9000))
        pipeline.mark_landed(db_session, gone, actor=broker, name="本地项目公司三",
                             region=home_region(db_session), landed_on=date(YEAR, 4, 20))
    counted = actuals.compute_actuals(db_session, period)
    assert counted["contracts_signed"] == 4 and counted["contract_turnover"] == Decimal("1.1650")
    assert counted["local_conversion_projects"] == 3
    with clock.at(at(5, 1)):
        pipeline.move_deal(db_session, gone, "lost", actor=broker, reason="买方预算取消",
                           lost_reason="no_budget")
    after = (actuals.compute_actuals(db_session, period), charts.per_chain(db_session, period),
             charts.monthly(db_session, period))
    assert after[0] == before[0] | {"deals_started": 5}

    def signed_per_chain(rows):
        return {row.chain: (row.contracts, row.value) for row in rows if row.contracts}

    assert signed_per_chain(after[1]) == signed_per_chain(before[1])
    assert [(m.contracts, m.value) for m in after[2]] == [(m.contracts, m.value)
                                                           for m in before[2]]
