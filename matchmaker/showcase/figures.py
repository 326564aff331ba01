"""The public home page's figures and its featured landed projects, read from the records.

Contract values are not public one by one (a contract records no consent of its parties to
publish its amount), so the home page shows only the year's total, and only once enough
contracts make it up that no single amount can be read from it
(SHOWCASE_VALUE_MIN_CONTRACTS).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.chains.models import Chain
from matchmaker.domain import Phase, StageKey
from matchmaker.pipeline.models import Contract, Deal, DealStage
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.showcase.public import (
    LISTED_NEED_STATUSES,
    LISTED_OUTPUT_STATUSES,
    VISIBLE_NEED_STATUSES,
    VISIBLE_OUTPUT_STATUSES,
    PublicChain,
)


@dataclass(frozen=True)
class Headline:
    outputs: int
    needs: int
    challenges: int
    year: int
    contracts: int
    contract_value: Decimal | None  # 万元; None when too few contracts to show a total
    local_conversions: int


@dataclass(frozen=True)
class LandedProject:
    """The public facts of a deal that landed: what its public listings say, no more."""

    output_id: int | None
    output_title: str
    institution_name: str
    institution_name_en: str
    need_id: int | None
    need_title: str
    enterprise_name: str
    enterprise_name_en: str
    chain: PublicChain | None
    year: int | None


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _count(session: Session, model, statuses, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model)
                          .where(model.status.in_(statuses), *conditions)) or 0


def _not_lost():
    return Deal.stage.has(DealStage.phase != Phase.LOST)


def headline(session: Session, *, today: date, value_min_contracts: int) -> Headline:
    """Return the home page's figures for today's year."""
    first, last = _year_bounds(today.year)
    contracts, value = session.execute(
        select(func.count(Contract.id), func.coalesce(func.sum(Contract.total_amount), 0))
        .where(Contract.signed_on.between(first, last))).one()
    local = session.scalar(select(func.count(Deal.id)).where(
        Deal.local_conversion.is_(True), Deal.landed_on.between(first, last), _not_lost()))
    return Headline(
        outputs=_count(session, ResearchOutput, LISTED_OUTPUT_STATUSES),
        needs=_count(session, TechNeed, LISTED_NEED_STATUSES),
        challenges=_count(session, TechNeed, LISTED_NEED_STATUSES, TechNeed.is_challenge),
        year=today.year, contracts=contracts,
        contract_value=(Decimal(str(value)) if contracts >= max(1, value_min_contracts)
                        else None),
        local_conversions=local or 0)


def _landed_condition(session: Session):
    """Deals in the landed stage or a later one (stages are data: by position), not lost."""
    landed = session.scalar(select(DealStage.position).where(DealStage.key == StageKey.LANDED))
    if landed is None:  # an operator switched the stage off and renamed things: landing date
        return Deal.landed_on.is_not(None) & _not_lost()
    return Deal.stage.has((DealStage.position >= landed) & (DealStage.phase != Phase.LOST))


def _project(deal: Deal) -> LandedProject | None:
    output = deal.output if deal.output and deal.output.status in VISIBLE_OUTPUT_STATUSES \
        else None
    need = deal.need if deal.need and deal.need.status in VISIBLE_NEED_STATUSES else None
    if output is None and need is None:
        return None
    chain = deal.chain or (output or need).chain
    return LandedProject(
        output_id=output.id if output else None, output_title=output.title if output else "",
        institution_name=output.institution.name if output else "",
        institution_name_en=(output.institution.name_en or "") if output else "",
        need_id=need.id if need else None, need_title=need.title if need else "",
        enterprise_name=need.enterprise.name if need else "",
        enterprise_name_en=(need.enterprise.name_en or "") if need else "",
        chain=PublicChain(chain.key, chain.name_zh, chain.name_en) if chain else None,
        year=deal.landed_on.year if deal.landed_on else None)


def landed_projects(session: Session, *, limit: int = 6,
                    chain: Chain | None = None) -> list[LandedProject]:
    """Return up to limit landed projects with a public listing, latest landing first."""
    stmt = (select(Deal).where(_landed_condition(session))
            .order_by(Deal.landed_on.desc().nulls_last(), Deal.id.desc()).limit(limit * 3))
    if chain is not None:
        stmt = stmt.where(Deal.chain_id == chain.id)
    projects = [p for p in map(_project, session.scalars(stmt).unique()) if p is not None]
    return projects[:limit]
