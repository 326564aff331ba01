"""Gaps, from the stored matches of the current generation (recommendations): published needs
whose best match scores below the gap score (what brokers should mine next), and published
outputs that appear in no need's list (what to showcase or take on a roadshow).

A need whose match set carries a notice ("not enough information": too little text for the
matcher to judge) is left out: its problem is its description, not the market.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)

# A need whose best match scores below this has no supply a broker would introduce with
# confidence. A judgement, not a measurement: a little above the weekly digest's floor for
# "worth a look" (DIGEST_MIN_SCORE, 0.3). Operators change it with DASHBOARD_GAP_SCORE.
GAP_SCORE = 0.35
LIST_LIMIT = 50


def gap_score() -> float:
    """Return the gap score: DASHBOARD_GAP_SCORE when configured, else GAP_SCORE."""
    return float(current_app.config.get("DASHBOARD_GAP_SCORE", GAP_SCORE))


def current_generation_id(session: Session) -> int | None:
    """Return the id of the generation pages read, or None before the first rebuild."""
    return session.scalar(select(MatchGeneration.id)
                          .where(MatchGeneration.status == GenerationStatus.CURRENT))


def best_scores(generation_id: int):
    """Return a subquery (need_id, best): each judged need's best stored score (0: none)."""
    return (select(MatchSet.profile_id.label("need_id"),
                   func.coalesce(func.max(StoredMatch.score), 0.0).label("best"))
            .outerjoin(StoredMatch, StoredMatch.set_id == MatchSet.id)
            .where(MatchSet.generation_id == generation_id, MatchSet.side == Side.NEED,
                   MatchSet.notice.is_(None))
            .group_by(MatchSet.profile_id).subquery())


def unmatched_needs_query(generation_id: int, score: float) -> Select:
    """Return SELECT (TechNeed, best) of the open needs whose best match is below score."""
    best = best_scores(generation_id)
    return (select(TechNeed, best.c.best).join(best, best.c.need_id == TechNeed.id)
            .where(TechNeed.status.in_(MATCHABLE_NEED_STATUSES), best.c.best < score))


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
    score: float
    needs: list  # (TechNeed, best score), lowest best first
    needs_total: int
    needs_by_chain: dict[int | None, int]
    outputs: list  # ResearchOutput, newest first
    outputs_total: int
    outputs_by_chain: dict[int | None, int]


def _by_chain(session: Session, stmt: Select, model) -> dict[int | None, int]:
    sub = stmt.with_only_columns(model.chain_id).order_by(None).subquery()
    return dict(session.execute(select(sub.c.chain_id, func.count())
                                .group_by(sub.c.chain_id)).all())


def find_gaps(session: Session, *, chain_id: int | None = None, score: float | None = None,
              limit: int = LIST_LIMIT) -> Gaps:
    """Return the gaps of the current generation (lists cut at limit; totals per chain)."""
    score = gap_score() if score is None else score
    generation_id = current_generation_id(session)
    if generation_id is None:
        return Gaps(None, score, [], 0, {}, [], 0, {})
    needs = unmatched_needs_query(generation_id, score)
    outputs = unwanted_outputs_query(generation_id)
    needs_by_chain = _by_chain(session, needs, TechNeed)
    outputs_by_chain = _by_chain(session, outputs, ResearchOutput)
    if chain_id is not None:
        needs = needs.where(TechNeed.chain_id == chain_id)
        outputs = outputs.where(ResearchOutput.chain_id == chain_id)
    need_rows = session.execute(needs.order_by(
        needs.selected_columns.best, TechNeed.published_at.desc(), TechNeed.id)
        .limit(limit)).all()
    output_rows = session.scalars(outputs.order_by(
        ResearchOutput.published_at.desc(), ResearchOutput.id).limit(limit)).all()
    pick = (lambda counts: counts.get(chain_id, 0)) if chain_id is not None else \
        (lambda counts: sum(counts.values()))
    return Gaps(generation_id, score, [(n, float(b)) for n, b in need_rows],
                pick(needs_by_chain), needs_by_chain, list(output_rows),
                pick(outputs_by_chain), outputs_by_chain)
