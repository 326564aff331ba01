"""What the public may read of a listing: explicit allow-lists, and the queries that find
public listings.

A showcase page never receives a ResearchOutput or TechNeed row, only the PublicOutput and
PublicNeed records built here, field by named field. A column added to a listing later (a
new private note, a contact) is therefore absent from every public page until someone adds
it to the allow-list on purpose.

Left out on purpose:
- outputs: the confidential note (for a deal's enterprise under NDA only), the asking price
  (no listing records that its institution agreed to publish it), the inventors (people's
  names), the reform status (who may sign: a broker's question), the author account;
- needs: the budget (the enterprise's negotiating position), the author account;
- every status the owner has not made public (drafts, withdrawn outputs, closed needs).
A challenge's prize is shown: publishing problem and prize is what an open challenge is.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, select

from matchmaker.chains.models import Chain
from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    MATCHABLE_OUTPUT_STATUSES,
    PUBLIC_NEED_STATUSES,
    PUBLIC_OUTPUT_STATUSES,
    TRL_MAX,
    TRL_MIN,
    Side,
)
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.search import search_and_mode

# Catalogue pages list what is still available; a detail page also opens for a listing that
# has since been transferred or solved, so that shared links keep working.
LISTED_OUTPUT_STATUSES = tuple(MATCHABLE_OUTPUT_STATUSES)
LISTED_NEED_STATUSES = tuple(MATCHABLE_NEED_STATUSES)
VISIBLE_OUTPUT_STATUSES = tuple(PUBLIC_OUTPUT_STATUSES)
VISIBLE_NEED_STATUSES = tuple(PUBLIC_NEED_STATUSES)


@dataclass(frozen=True)
class PublicOrg:
    id: int
    kind: str  # "institution" or "enterprise": the public organisation page to link
    name: str
    name_en: str
    region_name: str
    region_name_en: str


@dataclass(frozen=True)
class PublicChain:
    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class PublicSegment:
    id: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class PublicPatent:
    number: str
    ipc_codes: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class PublicOutput:
    side = Side.OUTPUT
    id: int
    title: str
    abstract: str
    keywords: tuple[str, ...]
    trl: int
    modes: tuple[str, ...]
    patents: tuple[PublicPatent, ...]
    status: str
    org: PublicOrg
    chain: PublicChain | None
    segment: PublicSegment | None
    published_on: date | None

    @property
    def text(self) -> str:
        return self.abstract


@dataclass(frozen=True)
class PublicNeed:
    side = Side.NEED
    id: int
    title: str
    description: str
    keywords: tuple[str, ...]
    min_trl: int | None
    modes: tuple[str, ...]
    deadline: date | None
    landing_region_name: str
    landing_region_name_en: str
    is_challenge: bool
    prize: Decimal | None
    status: str
    org: PublicOrg
    chain: PublicChain | None
    segment: PublicSegment | None
    published_on: date | None

    @property
    def text(self) -> str:
        return self.description


def _org(org: Institution | Enterprise, kind: str) -> PublicOrg:
    region: Region | None = org.region
    return PublicOrg(id=org.id, kind=kind, name=org.name, name_en=org.name_en or "",
                     region_name=region.name if region else "",
                     region_name_en=(region.name_en or "") if region else "")


def _chain(chain: Chain | None) -> PublicChain | None:
    return PublicChain(chain.key, chain.name_zh, chain.name_en) if chain is not None else None


def _segment(segment) -> PublicSegment | None:
    if segment is None:
        return None
    return PublicSegment(segment.id, segment.name_zh, segment.name_en)


def _day(moment) -> date | None:
    return moment.date() if moment is not None else None


def public_output(row: ResearchOutput) -> PublicOutput:
    """Return the public fields of a public output (callers check its status)."""
    return PublicOutput(
        id=row.id, title=row.title, abstract=row.abstract, keywords=tuple(row.keywords),
        trl=row.trl, modes=tuple(row.modes),
        patents=tuple(PublicPatent(p.number, tuple(p.ipc_codes), p.status)
                      for p in row.patents),
        status=row.status, org=_org(row.institution, "institution"), chain=_chain(row.chain),
        segment=_segment(row.segment), published_on=_day(row.published_at))


def public_need(row: TechNeed) -> PublicNeed:
    """Return the public fields of a public need (callers check its status)."""
    region = row.region
    return PublicNeed(
        id=row.id, title=row.title, description=row.description,
        keywords=tuple(row.keywords), min_trl=row.min_trl, modes=tuple(row.modes),
        deadline=row.deadline, landing_region_name=region.name if region else "",
        landing_region_name_en=(region.name_en or "") if region else "",
        is_challenge=bool(row.is_challenge),
        prize=row.prize if row.is_challenge else None, status=row.status,
        org=_org(row.enterprise, "enterprise"), chain=_chain(row.chain),
        segment=_segment(row.segment), published_on=_day(row.published_at))


def to_public(row: ResearchOutput | TechNeed) -> PublicOutput | PublicNeed:
    """Return the public record of a listing row of either side."""
    return public_output(row) if row.side == Side.OUTPUT else public_need(row)


def is_visible(row: ResearchOutput | TechNeed) -> bool:
    """Return whether a listing's public page may open (its owner made it public)."""
    statuses = VISIBLE_OUTPUT_STATUSES if row.side == Side.OUTPUT else VISIBLE_NEED_STATUSES
    return row.status in statuses


@dataclass(frozen=True)
class CatalogueFilters:
    """The catalogue's search box and filters (every value already checked)."""

    q: str = ""
    chain: str = ""
    segment: int | None = None
    trl_from: int | None = None
    trl_to: int | None = None
    mode: str = ""
    region: str = ""
    challenges_only: bool = False

    def is_empty(self) -> bool:
        return self == CatalogueFilters(challenges_only=self.challenges_only)


def _bounded_trl(value: int | None) -> int | None:
    return value if value is not None and TRL_MIN <= value <= TRL_MAX else None


def _common(stmt: Select, model, filters: CatalogueFilters, trl_column, synonyms) -> Select:
    stmt = stmt.where(*search_and_mode(model, filters.q, synonyms, filters.mode))
    if filters.chain:
        stmt = stmt.where(model.chain.has(Chain.key == filters.chain))
    if filters.segment:
        stmt = stmt.where(model.segment_id == filters.segment)
    if _bounded_trl(filters.trl_from):
        stmt = stmt.where(trl_column >= filters.trl_from)
    if _bounded_trl(filters.trl_to):
        stmt = stmt.where(trl_column <= filters.trl_to)
    return stmt


def outputs_query(filters: CatalogueFilters, synonyms=()) -> Select:
    """Return a SELECT of the available public outputs that match filters, newest first."""
    stmt = select(ResearchOutput).where(ResearchOutput.status.in_(LISTED_OUTPUT_STATUSES))
    stmt = _common(stmt, ResearchOutput, filters, ResearchOutput.trl, synonyms)
    if filters.region:
        stmt = stmt.where(ResearchOutput.institution.has(
            Institution.region.has(Region.name == filters.region)))
    return stmt.order_by(ResearchOutput.published_at.desc(), ResearchOutput.id.desc())


def needs_query(filters: CatalogueFilters, synonyms=()) -> Select:
    """Return a SELECT of the open public needs (only challenges if filters say so)."""
    stmt = select(TechNeed).where(TechNeed.status.in_(LISTED_NEED_STATUSES))
    if filters.challenges_only:
        stmt = stmt.where(TechNeed.is_challenge.is_(True))
    stmt = _common(stmt, TechNeed, filters, TechNeed.min_trl, synonyms)
    if filters.region:
        in_region = Region.name == filters.region
        stmt = stmt.where((TechNeed.region.has(in_region)) | (
            TechNeed.region_id.is_(None) & TechNeed.enterprise.has(
                Enterprise.region.has(in_region))))
    return stmt.order_by(TechNeed.published_at.desc(), TechNeed.id.desc())
