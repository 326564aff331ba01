"""Deal marks on match cards: a candidate already in a deal is marked on the listing's matches.

Who sees what (deals are confidential: permissions decides who may see one):

- The pair itself (this listing and the candidate) has an open deal the viewer may see (its
  brokers, operators, the two organisations): "in negotiation" or, from the stage
  contract_signed on, "under contract", with the deal's stage and a link to the deal.
- The same, for a broker who does not work on that deal: a neutral "already in talks", without
  stage or link (so that two brokers do not start the same introduction).
- The candidate has an open deal with another listing: brokers and operators only ("in a deal
  on another listing", with the stage and link when they may see the deal, else neutral).
  The listing's own organisation is not told that its candidate negotiates with someone else.

A mark is drawn for each viewer on every page view (the block place "match-mark"): it is
never part of the match card parts a web process keeps (recommendations.views).
"""
from dataclasses import dataclass

from flask import g
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from matchmaker import permissions
from matchmaker.domain import Side, StageKey
from matchmaker.extensions import db
from matchmaker.permissions import Action
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.profiles.models import ResearchOutput
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)

IN_NEGOTIATION = "in_negotiation"
UNDER_CONTRACT = "under_contract"
IN_TALKS = "in_talks"  # neutral: a deal exists that the viewer may not see
ELSEWHERE = "elsewhere"  # an open deal of the candidate with another listing
ELSEWHERE_NEUTRAL = "elsewhere_neutral"


@dataclass(frozen=True)
class Mark:
    kind: str
    deal: Deal | None = None  # only when the viewer may see it


def open_deals_around(session: Session, side: Side, listing_id: int) -> list[Deal]:
    """Return the open deals on listing (of side) and those of the candidates in its current
    stored matches, with their stages.

    A mark needs a deal's pair, stage and who may see it (owner, co-brokers, the institution
    and enterprise of its listings), not the deal's page: the deals come with their stages in
    one statement, their listings in one more only when there are deals (most pages have
    none), and their owner and chain, which a Deal otherwise joins to every row, not at all."""
    own, other = (Deal.need_id, Deal.output_id) if side == Side.NEED else \
        (Deal.output_id, Deal.need_id)
    candidate = StoredMatch.output_id if side == Side.NEED else StoredMatch.need_id
    candidates = (select(candidate).join(MatchSet, MatchSet.id == StoredMatch.set_id)
                  .join(MatchGeneration, MatchGeneration.id == MatchSet.generation_id)
                  .where(MatchGeneration.status == GenerationStatus.CURRENT,
                         MatchSet.side == side, MatchSet.profile_id == listing_id))
    return list(session.scalars(select(Deal).where(Deal.is_open, or_(
        own == listing_id, other.in_(candidates))).order_by(Deal.id).options(
        selectinload(Deal.output), selectinload(Deal.need), lazyload(Deal.owner),
        lazyload(Deal.chain))))


def signed_position(session: Session) -> int | None:
    """Return the board position of the stage contract_signed (None if it is missing)."""
    return session.scalar(select(DealStage.position)
                          .where(DealStage.key == StageKey.CONTRACT_SIGNED))


def mark_for(viewer, deals: list[Deal], side: Side, listing_id: int, candidate_id: int,
             signed: int | None) -> Mark | None:
    """Return the mark viewer sees on the card of candidate in listing's matches (or None)."""
    need_id, output_id = (listing_id, candidate_id) if side == Side.NEED else \
        (candidate_id, listing_id)
    pair = [d for d in deals if d.need_id == need_id and d.output_id == output_id]
    for deal in pair:
        if permissions.can(viewer, Action.VIEW, deal):
            under = signed is not None and deal.stage.position >= signed
            return Mark(UNDER_CONTRACT if under else IN_NEGOTIATION, deal)
    staff = permissions.is_staff(viewer)
    if pair and staff:
        return Mark(IN_TALKS)
    if not staff:
        return None
    column = "output_id" if side == Side.NEED else "need_id"
    elsewhere = [d for d in deals if getattr(d, column) == candidate_id and d not in pair]
    for deal in elsewhere:
        if permissions.can(viewer, Action.VIEW, deal):
            return Mark(ELSEWHERE, deal)
    return Mark(ELSEWHERE_NEUTRAL) if elsewhere else None


def match_mark_context(rec) -> dict | None:
    """The deal mark of one match card, for the current viewer (block place "match-mark")."""
    if permissions.role_of(current_user) is None:
        return None
    side = Side.NEED if isinstance(rec.item, ResearchOutput) else Side.OUTPUT
    listing_id = rec.need_id if side == Side.NEED else rec.output_id
    cache = g.setdefault("pipeline_match_marks", {})
    if (side, listing_id) not in cache:
        deals = open_deals_around(db.session, side, listing_id)
        # The position only matters for a card that has a deal (mark_for).
        cache[(side, listing_id)] = (deals, signed_position(db.session) if deals else None)
    deals, signed = cache[(side, listing_id)]
    mark = mark_for(current_user, deals, side, listing_id, rec.item.id, signed)
    return None if mark is None else {"mark": mark}
