"""The charts' figures, each one aggregate in SQL (GROUP BY, window functions): nothing here
loops over rows, so the figures stay quick on the bench database (100k outputs).

funnel        deals by current stage, in stage order
per_chain     deals started and contracts signed (count, value) per chain, in a period
monthly       deals started, contracts signed and their value per business month of a year
median_days   median days deals spent in each stage, for stage periods ended in a period
heatmap       per chain and segment: published outputs, open needs, needs without supply
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.dashboard import gaps, kpi
from matchmaker.dashboard.actuals import Period, signed_in
from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    MATCHABLE_OUTPUT_STATUSES,
    HistoryKind,
    Phase,
)
from matchmaker.pipeline.models import Contract, Deal, DealHistory, DealStage
from matchmaker.profiles.models import ResearchOutput, TechNeed


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


# --- funnel -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StageCount:
    stage: DealStage
    deals: int


def funnel(session: Session) -> tuple[list[StageCount], int]:
    """Return the deals by current stage in board order (lost left out), and the lost ones."""
    counts = dict(session.execute(select(Deal.stage_id, func.count())
                               .group_by(Deal.stage_id)).all())
    stages = session.scalars(select(DealStage).order_by(DealStage.position, DealStage.id))
    rows, lost = [], 0
    for stage in stages:
        if stage.phase == Phase.LOST:
            lost += counts.get(stage.id, 0)
        elif stage.is_active or counts.get(stage.id):
            rows.append(StageCount(stage, counts.get(stage.id, 0)))
    return rows, lost


# --- per chain --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainFigures:
    chain: Chain | None  # None: deals on no chain
    deals_started: int
    contracts: int
    value: Decimal  # 万元


def _chains(session: Session, used: set) -> list[Chain | None]:
    chains = list(session.scalars(select(Chain).where(or_(Chain.is_active, Chain.id.in_(
        [c for c in used if c is not None]))).order_by(Chain.id)))
    return chains + ([None] if None in used else [])


def per_chain(session: Session, period: Period) -> list[ChainFigures]:
    """Return per chain the deals started and the contracts signed (count, value) in period."""
    started = dict(session.execute(
        select(Deal.chain_id, func.count()).where(
            Deal.created_at >= period.start, Deal.created_at < period.end)
        .group_by(Deal.chain_id)).all())
    signed = {chain_id: (n, value) for chain_id, n, value in session.execute(
        select(Deal.chain_id, func.count(Contract.id), func.sum(Contract.total_amount))
        .join(Deal, Deal.id == Contract.deal_id).where(*signed_in(period))
        .group_by(Deal.chain_id)).all()}
    return [ChainFigures(chain, started.get(key, 0), signed.get(key, (0, 0))[0],
                         _money(signed.get(key, (0, 0))[1]))
            for chain in _chains(session, set(started) | set(signed))
            for key in [chain.id if chain is not None else None]]


# --- monthly trend ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthFigures:
    month: int
    deals_started: int
    contracts: int
    value: Decimal  # 万元


def _month_of(column, bounds: list) -> object:
    """Return a CASE giving the month (1–12) of column from the 13 month boundaries: portable
    SQL (no time-zone functions), and the WHERE on the column can still use its index."""
    return case(*[(column < bounds[m], m) for m in range(1, 13)], else_=13)


def monthly(session: Session, period: Period) -> list[MonthFigures]:
    """Return per business month of period's year the deals started and contracts signed."""
    year = period.year
    moments = [kpi.year_start(year)] + [kpi.share_at_end_of(last_day(year, m))
                                        for m in range(1, 13)]
    days = [date(year, 1, 1)] + [date(year + (m == 12), m % 12 + 1, 1) for m in range(1, 13)]
    deal_month = _month_of(Deal.created_at, moments)
    started = dict(session.execute(
        select(deal_month, func.count()).where(Deal.created_at >= period.start,
                                               Deal.created_at < period.end)
        .group_by(deal_month)).all())
    contract_month = _month_of(Contract.signed_on, days)
    signed = {m: (n, v) for m, n, v in session.execute(
        select(contract_month, func.count(), func.sum(Contract.total_amount))
        .join(Deal, Deal.id == Contract.deal_id).where(*signed_in(period))
        .group_by(contract_month)).all()}
    return [MonthFigures(m, started.get(m, 0), signed.get(m, (0, 0))[0],
                         _money(signed.get(m, (0, 0))[1])) for m in range(1, 13)]


def last_day(year: int, month: int) -> date:
    """Return the last day of the month."""
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


# --- median days per stage --------------------------------------------------------------------

@dataclass(frozen=True)
class StageDays:
    stage: DealStage
    median_days: float | None
    periods: int  # how many stage periods ended in the period


def _days_between(session: Session, start, end):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def median_days(session: Session, period: Period) -> list[StageDays]:
    """Return per stage (board order, lost left out) the median days deals spent there, over
    the stage periods that ended (the deal moved on) in period, from the deal history."""
    entries = select(
        DealHistory.new_value.label("stage"), DealHistory.at.label("entered"),
        func.lead(DealHistory.at).over(partition_by=DealHistory.deal_id,
                                       order_by=(DealHistory.at, DealHistory.id)).label("left"),
    ).where(DealHistory.kind.in_([HistoryKind.CREATED, HistoryKind.STAGE]),
            DealHistory.field == "stage").subquery()
    spans = select(entries.c.stage, _days_between(session, entries.c.entered, entries.c.left)
                   .label("days")).where(entries.c.left >= period.start,
                                         entries.c.left < period.end).subquery()
    ranked = select(
        spans.c.stage, spans.c.days,
        func.row_number().over(partition_by=spans.c.stage, order_by=spans.c.days).label("rn"),
        func.count().over(partition_by=spans.c.stage).label("n")).subquery()
    # The median: the middle row, or the mean of the two middle rows.
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    rows = {key: (float(days), int(n)) for key, days, n in session.execute(
        select(ranked.c.stage, func.avg(ranked.c.days), func.max(ranked.c.n))
        .where(middle).group_by(ranked.c.stage)).all()}
    stages = session.scalars(select(DealStage).where(DealStage.phase != Phase.LOST)
                             .order_by(DealStage.position, DealStage.id))
    return [StageDays(s, round(rows[s.key][0], 1) if s.key in rows else None,
                      rows.get(s.key, (0, 0))[1])
            for s in stages if s.is_active or s.key in rows]


# --- supply and demand heat map ---------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    chain: Chain
    segment: ChainSegment | None  # None: listings of the chain with no segment
    outputs: int  # published outputs (supply)
    needs: int  # open needs (demand)
    unmatched: int  # open needs whose best candidate is not a good match (gaps)


def _counts(session: Session, model, condition) -> dict[tuple, int]:
    return {(c, s): n for c, s, n in session.execute(
        select(model.chain_id, model.segment_id, func.count())
        .where(condition, model.chain_id.is_not(None))
        .group_by(model.chain_id, model.segment_id)).all()}


def heatmap(session: Session, *, quality: float) -> list[HeatCell]:
    """Return a cell per active chain and segment (and "no segment" where listings have
    none), upstream first: its supply, its demand and its needs without supply (gaps: no
    candidate of match quality at least quality)."""
    supply = _counts(session, ResearchOutput,
                     ResearchOutput.status.in_(MATCHABLE_OUTPUT_STATUSES))
    demand = _counts(session, TechNeed, TechNeed.status.in_(MATCHABLE_NEED_STATUSES))
    unmatched: dict[tuple, int] = {}
    generation_id = gaps.current_generation_id(session)
    if generation_id is not None:
        best = gaps.best_scores(generation_id)
        unmatched = _counts(session, TechNeed, and_(
            TechNeed.status.in_(MATCHABLE_NEED_STATUSES),
            TechNeed.id.in_(select(best.c.need_id).where(gaps.is_gap(best, quality)))))
    cells = []
    for chain in session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)):
        places = [(s.id, s) for s in chain.segments]
        if any((chain.id, None) in counts for counts in (supply, demand)):
            places.append((None, None))
        for segment_id, segment in places:
            key = (chain.id, segment_id)
            cells.append(HeatCell(chain, segment, supply.get(key, 0), demand.get(key, 0),
                                  unmatched.get(key, 0)))
    return cells
