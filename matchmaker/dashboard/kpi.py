"""KPI maths: progress against the target and against the share of the year elapsed.

Plain Python: no Flask, no SQLAlchemy, so the rule operators argue about can be read and
tested alone. Business time is China's (UTC+8, no daylight saving), as in pipeline.clock.

The rule (README, "Dashboard"):
- progress = actual / target;
- expected = the share of the year elapsed, in business time (for a rate: 1, a rate should
  sit at its target all year);
- a metric is on track when progress >= expected - TOLERANCE, met once progress >= 1,
  and behind otherwise. TOLERANCE is 5 percentage points: a week and a half of a year's
  work, so that a target is not called behind for a few days' noise.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from matchmaker.dashboard.metrics import Metric, MetricKind

BUSINESS_TZ = timezone(timedelta(hours=8), "CST")
TOLERANCE = Decimal("0.05")


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"  # measured, but nothing to measure yet (a rate of no landings)
    NOT_MEASURED = "not_measured"


def year_start(year: int) -> datetime:
    """Return the moment (aware, UTC) the business year begins: 1 January, 00:00 UTC+8."""
    return datetime(year, 1, 1, tzinfo=BUSINESS_TZ).astimezone(UTC)


def year_share(year: int, now: datetime) -> Decimal:
    """Return the share of the business year elapsed at now, in [0, 1] (4 decimals).

    A past year is 1, a future one 0; within the year the exact time counts, so 2 July 2024
    00:00 in Beijing is 183/366 of leap 2024 (exactly half).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    start, end = year_start(year), year_start(year + 1)
    if now <= start:
        return Decimal(0)
    if now >= end:
        return Decimal(1)
    share = Decimal((now - start).total_seconds()) / Decimal((end - start).total_seconds())
    return share.quantize(Decimal("0.0001"))


def share_at_end_of(day: date) -> datetime:
    """Return the moment a business day ends (the next day's start, UTC): a monthly report
    measures its month at the month's last day's end."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(),
                            BUSINESS_TZ).astimezone(UTC)


@dataclass(frozen=True)
class Progress:
    metric: Metric
    target: Decimal | None
    actual: Decimal | None  # None: not measured
    progress: Decimal | None  # actual / target
    expected: Decimal  # the progress the share of the year elapsed asks for
    status: Status


def expected_progress(metric: Metric, share: Decimal) -> Decimal:
    """Return the progress expected by now: the year's share, or 1 for a rate."""
    return Decimal(1) if metric.kind == MetricKind.RATE else share


def assess(metric: Metric, target: Decimal | None, actual: Decimal | None,
           share: Decimal) -> Progress:
    """Return the progress of metric against target at the given share of the year."""
    expected = expected_progress(metric, share)
    if not metric.measured:
        return Progress(metric, target, None, None, expected, Status.NOT_MEASURED)
    if actual is None:
        return Progress(metric, target, None, None, expected, Status.NO_DATA)
    if target is None or target <= 0:
        return Progress(metric, target, actual, None, expected, Status.NO_TARGET)
    progress = (Decimal(actual) / Decimal(target)).quantize(Decimal("0.0001"))
    if progress >= 1:
        status = Status.MET
    elif progress >= expected - TOLERANCE:
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    return Progress(metric, target, Decimal(actual), progress, expected, status)
