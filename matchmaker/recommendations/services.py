"""Recommendations: who sees which matches, ranking through the matcher index, and feedback.

Functions flush but never commit; the caller owns the transaction. The conversion between ORM
rows and matcher profiles and the per-process matcher live in recommendations.index.
"""
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    MATCHABLE_OUTPUT_STATUSES,
    DeclineReason,
    FeedbackVerdict,
    Role,
)
from matchmaker.errors import PermissionDeniedError, ValidationFailedError
from matchmaker.matching import INSUFFICIENT, Match, Ranking
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.index import (
    MatchIndex,
    chain_dicts,
    iter_profiles,
    need_profile,
    output_profile,
)
from matchmaker.recommendations.models import MatchFeedback
from matchmaker.types import utcnow

__all__ = ["INSUFFICIENT", "MatchIndex", "need_profile", "output_profile"]

QREL_GRADES = {FeedbackVerdict.RELEVANT: 2, FeedbackVerdict.DECLINED: 0}


@dataclass(frozen=True)
class Recommendation:
    """One recommended candidate: the engine's match, the candidate row and its feedback."""

    match: Match
    item: ResearchOutput | TechNeed
    need_id: int
    output_id: int
    feedback: tuple[MatchFeedback, ...] = ()


@dataclass(frozen=True)
class MatchList:
    """The recommendations for one profile; notice tells why there are none, if so."""

    items: tuple[Recommendation, ...] = ()
    notice: str | None = None
    ranking: Ranking | None = None


@dataclass
class FeedbackSummary:
    """What enterprises and brokers said about one output's matches."""

    relevant: int = 0
    declined: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)


# --- the index of this app -------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Give app its per-process matcher index (built on first use)."""
    app.extensions["match_index"] = MatchIndex(
        path=app.config.get("MATCH_INDEX_PATH"), weights=app.config.get("MATCH_WEIGHTS"),
        min_score=app.config.get("MATCH_MIN_SCORE", 0.05))


def current_index() -> MatchIndex:
    """Return the matcher index of the current app."""
    return current_app.extensions["match_index"]


# --- permissions -----------------------------------------------------------------------

def _is_staff(user: User) -> bool:
    return user.role in (Role.BROKER, Role.ADMIN)


def can_see_need_matches(user: User, need: TechNeed) -> bool:
    """Return whether user sees the outputs recommended for need: brokers, admins, its
    enterprise."""
    return _is_staff(user) or (user.role == Role.ENTERPRISE
                               and user.enterprise_id == need.enterprise_id)


def can_see_output_matches(user: User, output: ResearchOutput) -> bool:
    """Return whether user sees the needs recommended for output: brokers, admins, its
    institution."""
    return _is_staff(user) or (user.role == Role.INSTITUTION
                               and user.institution_id == output.institution_id)


def can_give_feedback(user: User, need: TechNeed) -> bool:
    """Return whether user may judge matches of need: brokers and the need's enterprise."""
    return user.role == Role.BROKER or (user.role == Role.ENTERPRISE
                                        and user.enterprise_id == need.enterprise_id)


# --- ranking ---------------------------------------------------------------------------

def _candidates(session: Session, model, ids: list[int], statuses) -> dict[int, object]:
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.id.in_(ids), model.status.in_(statuses)))
    return {row.id: row for row in rows}


def _feedback_by_pair(session: Session, pairs: list[tuple[int, int]]) -> dict:
    if not pairs:
        return {}
    need_ids, output_ids = {n for n, _ in pairs}, {o for _, o in pairs}
    rows = session.scalars(select(MatchFeedback)
                           .where(MatchFeedback.need_id.in_(need_ids),
                                  MatchFeedback.output_id.in_(output_ids))
                           .order_by(MatchFeedback.created_at.desc(), MatchFeedback.id.desc()))
    grouped = defaultdict(list)
    for row in rows:
        grouped[(row.need_id, row.output_id)].append(row)
    return grouped


def _match_list(session: Session, ranking: Ranking | None, *, query_is_need: bool,
                query_id: int) -> MatchList:
    if ranking is None:
        return MatchList()
    if ranking.notice:
        return MatchList(notice=ranking.notice, ranking=ranking)
    ids = [m.candidate_id for m in ranking.matches]
    model, statuses = ((ResearchOutput, MATCHABLE_OUTPUT_STATUSES) if query_is_need
                       else (TechNeed, MATCHABLE_NEED_STATUSES))
    rows = _candidates(session, model, ids, statuses)
    shown = [(m, rows[m.candidate_id]) for m in ranking.matches if m.candidate_id in rows]
    pairs = [(query_id, row.id) if query_is_need else (row.id, query_id) for _, row in shown]
    feedback = _feedback_by_pair(session, pairs)
    items = tuple(Recommendation(m, row, *pair, tuple(feedback.get(pair, ())))
                  for (m, row), pair in zip(shown, pairs))
    return MatchList(items=items, ranking=ranking)


def recommend_outputs(session: Session, index: MatchIndex, need: TechNeed, *,
                      limit: int = 10) -> MatchList:
    """Return the research outputs recommended for need, best first."""
    profile = need_profile(need)
    with index.use(session) as matcher:
        ranking = matcher.rank_outputs(profile, limit=limit) if matcher else None
    return _match_list(session, ranking, query_is_need=True, query_id=need.id)


def recommend_needs(session: Session, index: MatchIndex, output: ResearchOutput, *,
                    limit: int = 10) -> MatchList:
    """Return the technology needs recommended for output, best first."""
    profile = output_profile(output)
    with index.use(session) as matcher:
        ranking = matcher.rank_needs(profile, limit=limit) if matcher else None
    return _match_list(session, ranking, query_is_need=False, query_id=output.id)


# --- feedback --------------------------------------------------------------------------

def find_feedback(session: Session, need: TechNeed, output: ResearchOutput,
                  user: User) -> MatchFeedback | None:
    """Return user's current verdict on the pair, or None."""
    return session.scalar(select(MatchFeedback).where(
        MatchFeedback.need_id == need.id, MatchFeedback.output_id == output.id,
        MatchFeedback.user_id == user.id))


def list_pair_feedback(session: Session, need: TechNeed,
                       output: ResearchOutput) -> list[MatchFeedback]:
    """Return everyone's current verdict on the pair, newest first."""
    return _feedback_by_pair(session, [(need.id, output.id)]).get((need.id, output.id), [])


def _clean_feedback(verdict: str, reason: str | None, comment: str) -> tuple[str, str | None]:
    if verdict not in set(FeedbackVerdict):
        raise ValidationFailedError({"verdict": "unknown_verdict"})
    if verdict == FeedbackVerdict.RELEVANT:
        return verdict, None
    if not reason:
        raise ValidationFailedError({"reason": "reason_required"})
    if reason not in set(DeclineReason):
        raise ValidationFailedError({"reason": "unknown_reason"})
    if reason == DeclineReason.OTHER and not comment:
        raise ValidationFailedError({"comment": "other_needs_text"})
    return verdict, reason


def record_feedback(session: Session, *, need: TechNeed, output: ResearchOutput, user: User,
                    verdict: str, reason: str | None = None,
                    comment: str = "") -> MatchFeedback:
    """Store user's verdict on (need, output), replacing their previous one.

    A decline needs a reason from DeclineReason; "other" needs a comment.
    """
    if not can_give_feedback(user, need):
        raise PermissionDeniedError(need.id)
    comment = (comment or "").strip()
    verdict, reason = _clean_feedback(verdict, reason, comment)
    row = find_feedback(session, need, output, user)
    if row is None:
        row = MatchFeedback(need_id=need.id, output_id=output.id, user_id=user.id)
        session.add(row)
    row.verdict, row.reason, row.comment, row.created_at = verdict, reason, comment, utcnow()
    session.flush()
    return row


def summarize_output_feedback(session: Session, output: ResearchOutput) -> FeedbackSummary:
    """Count the verdicts on output's matches and its decline reasons, most frequent first."""
    rows = session.execute(select(MatchFeedback.verdict, MatchFeedback.reason, func.count())
                           .where(MatchFeedback.output_id == output.id)
                           .group_by(MatchFeedback.verdict, MatchFeedback.reason)).all()
    summary, reasons = FeedbackSummary(), Counter()
    order = list(DeclineReason)
    for verdict, reason, count in rows:
        if verdict == FeedbackVerdict.RELEVANT:
            summary.relevant += count
        else:
            summary.declined += count
            reasons[reason] += count
    summary.reasons = sorted(reasons.items(), key=lambda item: (
        -item[1], order.index(item[0]) if item[0] in order else len(order)))
    return summary


def list_qrels(session: Session) -> list[tuple[int, int, int]]:
    """Return (need_id, output_id, grade) for every judged pair, by need then output.

    The latest verdict on a pair wins (relevant → 2, declined → 0); verdicts given at the same
    latest moment that disagree count as declined.
    """
    latest: dict[tuple[int, int], tuple] = {}
    rows = session.execute(select(MatchFeedback.need_id, MatchFeedback.output_id,
                                  MatchFeedback.verdict, MatchFeedback.created_at))
    for need_id, output_id, verdict, created_at in rows:
        grade = QREL_GRADES[FeedbackVerdict(verdict)]
        best = latest.get((need_id, output_id))
        if best is None or created_at > best[0]:
            latest[(need_id, output_id)] = (created_at, grade)
        elif created_at == best[0]:
            latest[(need_id, output_id)] = (created_at, min(grade, best[1]))
    return [(need, output, grade) for (need, output), (_, grade) in sorted(latest.items())]


def list_profile_records(session: Session, kind: str) -> Iterator[dict]:
    """Yield the matchable outputs ("outputs") or needs ("needs") as records of the matcher's
    batch CLI (OUTPUTS.jsonl / NEEDS.jsonl).

    Ids are the database ids written as text, as they read back from exported qrels.
    """
    for profile in iter_profiles(session, kind):
        record = {name: list(value) if isinstance(value, tuple) else value
                  for name, value in asdict(profile).items() if value not in (None, ())}
        yield record | {"id": str(profile.id)}


def list_chain_records(session: Session) -> list[dict]:
    """Return the chains in the seed_data/chains format (the batch CLI's --chains)."""
    return chain_dicts(session)
