"""The pipeline's clock: now() and today(), which the seed loader and tests may set.

Seed deals tell stories that happened days ago relative to the load day; the loader replays
them through the services with the clock set to each step's time, so history rows, stage
entry times and activity times are those of the story. Nothing else sets it.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone

from matchmaker.types import utcnow

# The platform's business day is China's (UTC+8, no daylight saving): a next step due "today"
# is due on the broker's calendar day, not on UTC's.
BUSINESS_TZ = timezone(timedelta(hours=8), "CST")

_frozen: ContextVar[datetime | None] = ContextVar("matchmaker_pipeline_now", default=None)


def now() -> datetime:
    """Return the current time (UTC, aware), or the time set by at()."""
    return _frozen.get() or utcnow()


def today() -> date:
    """Return the business day of now()."""
    return now().astimezone(BUSINESS_TZ).date()


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Make now() return moment inside the block."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def business_date(moment: datetime) -> date:
    """Return the business day of a stored time (SQLite hands times back naive, in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).date()


def start_of_business_day(day: date) -> datetime:
    """Return the UTC time at which the business day starts."""
    return datetime.combine(day, datetime.min.time(), BUSINESS_TZ).astimezone(UTC)
