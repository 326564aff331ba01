"""KPI maths on fixed dates and figures: the share of the year elapsed in Beijing time,
progress, and the on-track rule with its tolerance. Pure: no app, no database."""
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from matchmaker.dashboard import kpi, metrics
from matchmaker.dashboard.kpi import Status

CST = timezone(timedelta(hours=8))
TURNOVER = metrics.BY_KEY["contract_turnover"]
RATE = metrics.BY_KEY["local_conversion_rate"]
TRAINED = metrics.BY_KEY["brokers_trained"]


def test_year_share_starts_at_beijing_midnight_not_utc():
    # 31 Dec 2025 17:00 UTC is already 1 Jan 2026 01:00 in Beijing.
    assert kpi.year_share(2026, datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == 0
    assert kpi.year_share(2026, datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) > 0
    assert kpi.year_share(2025, datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == 1


@pytest.mark.parametrize(("moment", "share"), [
    (datetime(2024, 7, 2, tzinfo=CST), Decimal(183) / 366),  # leap year: 183 days gone
    (datetime(2025, 7, 2, 12, tzinfo=CST), Decimal("182.5") / 365),
    (datetime(2026, 4, 1, tzinfo=CST), Decimal(90) / 365),
    (datetime(2026, 1, 1, tzinfo=CST), Decimal(0)),
])
def test_year_share_on_fixed_dates(moment, share):
    assert kpi.year_share(moment.year, moment) == share.quantize(Decimal("0.0001"))


def test_past_and_future_years_are_whole_and_empty():
    now = datetime(2026, 6, 1, tzinfo=CST)
    assert kpi.year_share(2023, now) == 1
    assert kpi.year_share(2027, now) == 0


def test_naive_times_are_read_as_utc():
    assert kpi.year_share(2026, datetime(2026, 4, 1)) == kpi.year_share(
        2026, datetime(2026, 4, 1, tzinfo=UTC))


def test_progress_is_actual_over_target():
    row = kpi.assess(TURNOVER, Decimal(1200), Decimal(300), Decimal("0.25"))
    assert row.progress == Decimal("0.25") and row.expected == Decimal("0.25")
    assert row.status == Status.ON_TRACK


def test_on_track_within_the_stated_tolerance_and_behind_beyond_it():
    assert kpi.TOLERANCE == Decimal("0.05")
    share = Decimal("0.50")
    assert kpi.assess(TURNOVER, Decimal(100), Decimal(45), share).status == Status.ON_TRACK
    assert kpi.assess(TURNOVER, Decimal(100), Decimal("44.99"), share).status == Status.BEHIND


def test_met_once_the_target_is_reached():
    row = kpi.assess(TURNOVER, Decimal(100), Decimal(130), Decimal("0.3"))
    assert row.status == Status.MET and row.progress == Decimal("1.3")


def test_a_rate_is_expected_at_its_target_all_year():
    early = Decimal("0.1")
    assert kpi.assess(RATE, Decimal(42), Decimal(30), early).status == Status.BEHIND
    assert kpi.assess(RATE, Decimal(42), Decimal(40), early).status == Status.ON_TRACK


def test_unmeasured_metrics_get_no_number():
    row = kpi.assess(TRAINED, Decimal(150), Decimal(3), Decimal("0.5"))
    assert row.status == Status.NOT_MEASURED and row.actual is None and row.progress is None


def test_no_target_and_no_data():
    assert kpi.assess(TURNOVER, None, Decimal(5), Decimal("0.5")).status == Status.NO_TARGET
    assert kpi.assess(RATE, Decimal(42), None, Decimal("0.5")).status == Status.NO_DATA
