"""The actual figure of each measured metric (dashboard.metrics), from the platform's records:
one SQL aggregate per metric over a business year, up to a moment (now, or a month's end)."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.dashboard import kpi, metrics
from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES
from matchmaker.money import YI
from matchmaker.pipeline.clock import business_date
from matchmaker.pipeline.models import Contract, Deal
from matchmaker.pipeline.queries import counted_contract, held_landing
from matchmaker.profiles.models import ResearchOutput, TechNeed


@dataclass(frozen=True)
class Period:
    """From the start of a business year up to `until` (exclusive), and the same as days."""

    year: int
    until: datetime

    @property
    def start(self) -> datetime:
        return kpi.year_start(self.year)

    @property
    def end(self) -> datetime:
        return min(self.until, kpi.year_start(self.year + 1))

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        """The last business day inside the period (before first_day when it is empty)."""
        if self.end <= self.start:
            return self.first_day - timedelta(days=1)
        return business_date(self.end - timedelta(microseconds=1))


def signed_in(period: Period):
    """The contracts that count (pipeline.queries.counted_contract, as on the rankings) signed
    in period; for a query on Contract joined to its Deal."""
    return (counted_contract(), Contract.signed_on >= period.first_day,
            Contract.signed_on <= period.last_day)


def _landed(period: Period):
    return (held_landing(), Deal.landed_on >= period.first_day, Deal.landed_on <= period.last_day)


def contract_turnover(session: Session, period: Period) -> Decimal:
    total = session.scalar(select(func.coalesce(func.sum(Contract.total_amount), 0))
                           .join(Deal, Deal.id == Contract.deal_id).where(*signed_in(period)))
    return (Decimal(str(total)) / YI).quantize(Decimal("0.0001"))  # 万元 → 亿元


def contracts_signed(session: Session, period: Period) -> Decimal:
    return Decimal(session.scalar(select(func.count(Contract.id))
                                  .join(Deal, Deal.id == Contract.deal_id)
                                  .where(*signed_in(period))))


def local_conversion_projects(session: Session, period: Period) -> Decimal:
    return Decimal(session.scalar(select(func.count(Deal.id)).where(
        *_landed(period), Deal.local_conversion.is_(True))))


def local_conversion_rate(session: Session, period: Period) -> Decimal | None:
    landed, local = session.execute(select(
        func.count(Deal.id), func.count(Deal.id).filter(Deal.local_conversion.is_(True)))
        .where(*_landed(period))).one()
    if not landed:
        return None
    return (Decimal(100) * local / landed).quantize(Decimal("0.1"))


def deals_started(session: Session, period: Period) -> Decimal:
    return Decimal(session.scalar(select(func.count(Deal.id)).where(
        Deal.created_at >= period.start, Deal.created_at < period.end)))


def _published(model, statuses) -> Callable[[Session, Period], Decimal]:
    def count(session: Session, period: Period) -> Decimal:
        return Decimal(session.scalar(select(func.count(model.id)).where(
            model.published_at >= period.start, model.published_at < period.end,
            model.status.in_(statuses))))
    return count


ACTUALS: dict[str, Callable[[Session, Period], Decimal | None]] = {
    "contract_turnover": contract_turnover,
    "contracts_signed": contracts_signed,
    "local_conversion_projects": local_conversion_projects,
    "local_conversion_rate": local_conversion_rate,
    "deals_started": deals_started,
    "outputs_published": _published(ResearchOutput, PUBLIC_OUTPUT_STATUSES),
    "needs_published": _published(TechNeed, PUBLIC_NEED_STATUSES),
}


def compute_actuals(session: Session, period: Period) -> dict[str, Decimal | None]:
    """Return each measured metric's actual over period (None: nothing to measure yet)."""
    return {key: compute(session, period) for key, compute in ACTUALS.items()}


def progress_rows(session: Session, period: Period, targets: dict) -> list[kpi.Progress]:
    """Return every metric's progress over period against targets (metric key → YearTarget)."""
    share = kpi.year_share(period.year, period.until)
    actual = compute_actuals(session, period)
    return [kpi.assess(m, targets[m.key].target if m.key in targets else None,
                       actual.get(m.key), share) for m in metrics.METRICS]
