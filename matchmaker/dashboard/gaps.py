"""Gaps, from the stored matches of the current generation (recommendations): published needs
whose best candidate is not a good match (what brokers should mine next), and published
outputs that appear in no need's list (what to showcase or take on a roadshow).

A need's best candidate is the first of its stored list; it is a good match when its match
quality (recommendations.services.match_quality, as the need's page shows it) reaches the gap
quality, by default the pages' floor MATCH_FLOOR (recommendations.services.match_floor). A
need with no candidate at all is a gap whatever the floor. A need whose match set carries a
notice ("not enough information": too little text for the matcher to judge) is left out: its
problem is its description, not the market.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import seen
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)
from matchmaker.recommendations.services import match_floor, match_quality

LIST_LIMIT = 50


def gap_quality() -> float:
    """Return the match quality a need's best candidate must reach not to be a gap:
    DASHBOARD_GAP_QUALITY when configured, else the pages' floor (a good match)."""
    configured = current_app.config.get("DASHBOARD_GAP_QUALITY")
    return match_floor() if configured is None else float(configured)


def current_generation_id(session: Session) -> int | None:
    """Return the id of the generation pages read, or None before the first rebuild."""
    return session.scalar(select(MatchGeneration.id)
                          .where(MatchGeneration.status == GenerationStatus.CURRENT))


def best_scores(generation_id: int):
    """Return a subquery (need_id, best, candidates): each judged need's best stored raw score
    (0: none) and how many candidates its list has."""
    return (select(MatchSet.profile_id.label("need_id"),
                   func.coalesce(func.max(StoredMatch.score), 0.0).label("best"),
                   func.count(StoredMatch.id).label("candidates"))
            .outerjoin(StoredMatch, StoredMatch.set_id == MatchSet.id)
            .where(MatchSet.generation_id == generation_id, MatchSet.side == Side.NEED,
                   MatchSet.notice.is_(None))
            .group_by(MatchSet.profile_id).subquery())


def top_log_odds(best):
    """Return a SQL expression: the match quality (as log-odds) of a list's first candidate,
    whose raw score is best."""
    return seen.quality_log_odds(best, best, 0.0)


def is_gap(best, quality: float):
    """Return a SQL condition on a best_scores row: the need has no candidate, or its first
    one's match quality is below quality (not a good match)."""
    below = false() if quality <= 0 else true() if quality >= 1 else \
        top_log_odds(best.c.best) < seen.log_odds_of(quality)
    return or_(best.c.candidates == 0, below)


def top_quality(best: float, candidates: int) -> float | None:
    """Return the match quality of a need's first candidate (None: it has none)."""
    return match_quality(best, best, 1) if candidates else None


def unmatched_needs_query(generation_id: int, quality: float) -> Select:
    """Return SELECT (TechNeed, best, candidates) of the open needs whose best candidate is not
    a good match at quality (or who have none)."""
    best = best_scores(generation_id)
    return (select(TechNeed, best.c.best, best.c.candidates)
            .join(best, best.c.need_id == TechNeed.id)
            .where(TechNeed.status.in_(MATCHABLE_NEED_STATUSES), is_gap(best, quality)))


def unwanted_outputs_query(generation_id: int) -> Select:
    """Return SELECT ResearchOutput of the published outputs in no need's current list."""
    listed = (select(StoredMatch.id).join(MatchSet, MatchSet.id == StoredMatch.set_id)
              .where(MatchSet.generation_id == generation_id, MatchSet.side == Side.NEED,
                     StoredMatch.output_id == ResearchOutput.id))
    return select(ResearchOutput).where(ResearchOutput.status.in_(MATCHABLE_OUTPUT_STATUSES),
                                        ~exists(listed))


@dataclass
class Gaps:
    generation_id: int | None
    quality: float  # the gap quality: a need whose best candidate is below it is a gap
    needs: list  # (TechNeed, its best candidate's match quality or None), lowest first
    needs_total: int
    needs_by_chain: dict[int | None, int]
    outputs: list  # ResearchOutput, newest first
    outputs_total: int
    outputs_by_chain: dict[int | None, int]


def _by_chain(session: Session, stmt: Select, model) -> dict[int | None, int]:
    sub = stmt.with_only_columns(model.chain_id).order_by(None).subquery()
    return dict(session.execute(select(sub.c.chain_id, func.count())
                                .group_by(sub.c.chain_id)).all())


def find_gaps(session: Session, *, chain_id: int | None = None, quality: float | None = None,
              limit: int = LIST_LIMIT) -> Gaps:
    """Return the gaps of the current generation (lists cut at limit; totals per chain);
    quality defaults to gap_quality()."""
    quality = gap_quality() if quality is None else quality
    generation_id = current_generation_id(session)
    if generation_id is None:
        return Gaps(None, quality, [], 0, {}, [], 0, {})
    needs = unmatched_needs_query(generation_id, quality)
    outputs = unwanted_outputs_query(generation_id)
    needs_by_chain = _by_chain(session, needs, TechNeed)
    outputs_by_chain = _by_chain(session, outputs, ResearchOutput)
    if chain_id is not None:
        needs = needs.where(TechNeed.chain_id == chain_id)
        outputs = outputs.where(ResearchOutput.chain_id == chain_id)
    columns = needs.selected_columns
    need_rows = session.execute(needs.order_by(
        columns.candidates > 0, top_log_odds(columns.best), TechNeed.published_at.desc(),
        TechNeed.id).limit(limit)).all()
    output_rows = session.scalars(outputs.order_by(
        ResearchOutput.published_at.desc(), ResearchOutput.id).limit(limit)).all()
    pick = (lambda counts: counts.get(chain_id, 0)) if chain_id is not None else \
        (lambda counts: sum(counts.values()))
    return Gaps(generation_id, quality, [(n, top_quality(b, c)) for n, b, c in need_rows],
                pick(needs_by_chain), needs_by_chain, list(output_rows),
                pick(outputs_by_chain), outputs_by_chain)
