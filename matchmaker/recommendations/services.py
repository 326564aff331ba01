"""Recommendations for pages: the stored matches and feedback (who sees them: permissions).

Pages read the matches the worker stored (recommendations.store); nothing here fits or queries
a matcher. Functions flush but never commit; the caller owns the transaction.
"""
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    MATCHABLE_OUTPUT_STATUSES,
    DeclineReason,
    FeedbackVerdict,
    Side,
)
from matchmaker.errors import ValidationFailedError
from matchmaker.jobs import register_warmup
from matchmaker.matching import INSUFFICIENT, ChainGuess, Match, calibration
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.index import MatchIndex, chain_dicts, iter_profiles
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchFeedback,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)
from matchmaker.types import utcnow

__all__ = ["INSUFFICIENT", "MatchState"]

QREL_GRADES = {FeedbackVerdict.RELEVANT: 2, FeedbackVerdict.DECLINED: 0}


@dataclass(frozen=True)
class Recommendation:
    """One recommended candidate: the engine's match (its raw score), the candidate row, its
    feedback, and its match quality: the calibrated probability that a broker finds it usable
    (matching.calibration), which pages and the API show as the match score."""

    match: Match
    item: ResearchOutput | TechNeed
    need_id: int
    output_id: int
    feedback: tuple[MatchFeedback, ...] = ()
    quality: float = 0.0
    rank: int = 0
    floor: float = 0.0  # the floor of the list it was read for

    @property
    def is_weak(self) -> bool:
        """Whether it is below the floor it was listed with (shown only on request)."""
        return self.quality < self.floor


class MatchState:
    """How far the stored matches of a listing are."""

    FRESH = "fresh"  # computed from the listing as it is now
    UPDATING = "updating"  # the listing changed since: new matches are being computed
    PENDING = "pending"  # published, first matches not computed yet
    UNPUBLISHED = "unpublished"  # drafts, withdrawn or closed listings are not matched


@dataclass(frozen=True)
class MatchList:
    """The stored recommendations for one listing; notice tells why there are none, if so.

    items are the candidates at or above the floor, best first, followed by the weaker ones
    when they were asked for; weaker counts the candidates below the floor (shown or not).
    """

    items: tuple[Recommendation, ...] = ()
    notice: str | None = None
    chain: ChainGuess | None = None
    state: str = MatchState.FRESH
    computed_at: datetime | None = None
    floor: float = 0.0
    weaker: int = 0
    limit: int = 10

    @property
    def good(self) -> int:
        """How many candidates reach the floor."""
        return sum(1 for rec in self.items if not rec.is_weak)


@dataclass
class FeedbackSummary:
    """What enterprises and brokers said about one output's matches."""

    relevant: int = 0
    declined: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)


# --- the index of this app ---------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Give app the matcher index its job runner uses (fitted by the first matching job)."""
    app.extensions["match_index"] = MatchIndex(
        path=app.config.get("MATCH_INDEX_PATH"), weights=app.config.get("MATCH_WEIGHTS"),
        min_score=app.config.get("MATCH_MIN_SCORE", 0.05))
    from matchmaker.recommendations import store, subscribers  # noqa: F401  (tasks, signals)

    register_warmup(app, "matching", store.warm_index)


# --- ranking ---------------------------------------------------------------------------

def _candidates(session: Session, model, ids: list[int], statuses) -> dict[int, object]:
    """Load the candidates a match list shows, without their patents and transfer-mode rows
    (two more queries per page that no match card reads; they still load if something asks)."""
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.id.in_(ids), model.status.in_(statuses))
                           .options(*(lazyload(getattr(model, name))
                                      for name in ("patents", "mode_rows")
                                      if hasattr(model, name))))
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


def _guess(data: dict | None) -> ChainGuess | None:
    if not data:
        return None
    return ChainGuess(data.get("chain"), data.get("segment"), data.get("confidence", 0.0),
                      data.get("source", "none"))


def _is_matchable(side: Side, item) -> bool:
    statuses = MATCHABLE_NEED_STATUSES if side == Side.NEED else MATCHABLE_OUTPUT_STATUSES
    return item.status in statuses


# --- match quality: the one score users read -------------------------------------------------
# Everything a user reads as a match's score (match cards, the API, a deal's snapshot, event
# pairings, the dashboard's gaps, the weekly digest) is the match quality below, and a *good
# match* is one whose quality reaches match_floor(). recommendations.seen.quality_at_least is
# the same test written in SQL.

def match_quality(score: float, best: float, rank: int) -> float:
    """Return the match quality shown for a stored match: the calibrated probability that a
    broker finds it usable, from its raw score, its list's best raw score and its rank."""
    return calibration.default().predict(score, best, rank)


def match_floor() -> float:
    """Return the match quality a good match reaches (MATCH_FLOOR; 0 outside an app)."""
    return float(current_app.config.get("MATCH_FLOOR", 0.0)) if has_app_context() else 0.0


def is_good_match(quality: float, *, floor: float | None = None) -> bool:
    """Return whether a match of this quality is a good match (at least floor, by default
    match_floor()): what listing pages list, the digest tells and the gaps count as supply."""
    return quality >= (match_floor() if floor is None else floor)


def stored_match_qualities(session: Session,
                           matches: Sequence[StoredMatch]) -> dict[int, float]:
    """Return {stored match id: its match quality in its own list} (one query for the best
    raw scores of the lists)."""
    set_ids = sorted({m.set_id for m in matches})
    best = dict(session.execute(select(StoredMatch.set_id, StoredMatch.score).where(
        StoredMatch.set_id.in_(set_ids), StoredMatch.rank == 1)).all()) if set_ids else {}
    return {m.id: match_quality(m.score, best.get(m.set_id, m.score), m.rank) for m in matches}


def pair_qualities(session: Session,
                   pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Return {(need id, output id): match quality} of the pairs that are in a current list:
    the higher of the pair's quality in the need's list and in the output's. A pair in no
    current list is left out (its quality is unknown, not 0)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = session.scalars(
        select(StoredMatch).join(MatchSet, MatchSet.id == StoredMatch.set_id)
        .join(MatchGeneration, MatchGeneration.id == MatchSet.generation_id)
        .where(MatchGeneration.status == GenerationStatus.CURRENT,
               StoredMatch.need_id.in_(sorted({n for n, _ in pairs})),
               StoredMatch.output_id.in_(sorted({o for _, o in pairs})))).all()
    rows = [m for m in rows if (m.need_id, m.output_id) in pairs]
    quality = stored_match_qualities(session, rows)
    best: dict[tuple[int, int], float] = {}
    for m in rows:
        pair = (m.need_id, m.output_id)
        best[pair] = max(quality[m.id], best.get(pair, 0.0))
    return best


def list_matches(session: Session, side: Side, item: ResearchOutput | TechNeed, *,
                 limit: int = 10, floor: float = 0.0, weaker: bool = False) -> MatchList:
    """Return the stored recommendations of item (a listing of side), best first.

    Candidates that have left the market since (withdrawn, closed) are left out, and so are
    those whose match quality is below floor unless weaker is true (then they follow the
    others, marked weak). The stored lists keep every candidate of the top limit, whatever
    its quality: the floor is a reading, so a new calibration or floor needs no rebuild.
    """
    if not _is_matchable(side, item):
        return MatchList(state=MatchState.UNPUBLISHED)
    model, statuses, candidate_of = (
        (ResearchOutput, MATCHABLE_OUTPUT_STATUSES, StoredMatch.output_id) if side == Side.NEED
        else (TechNeed, MATCHABLE_NEED_STATUSES, StoredMatch.need_id))
    # The current set, its first stored matches and their candidates' statuses in one
    # statement (a row per match; one row with no match when the set has none, a notice for
    # instance). Full rows are then read only for the candidates the page shows.
    rows = session.execute(
        select(MatchSet, StoredMatch, model.status).join(MatchGeneration)
        .outerjoin(StoredMatch, StoredMatch.set_id == MatchSet.id)
        .outerjoin(model, model.id == candidate_of)
        .where(MatchGeneration.status == GenerationStatus.CURRENT, MatchSet.side == side,
               MatchSet.profile_id == item.id)
        .order_by(StoredMatch.rank).limit(limit)).all()
    if not rows:
        return MatchList(state=MatchState.PENDING)
    match_set = rows[0][0]
    state = MatchState.FRESH if match_set.profile_version == item.version else \
        MatchState.UPDATING
    common = {"chain": _guess(match_set.chain_guess), "state": state,
              "computed_at": match_set.computed_at, "floor": floor, "limit": limit}
    if match_set.notice:
        return MatchList(notice=match_set.notice, **common)
    stored = [m for _, m, _ in rows if m is not None]
    live = [m for _, m, status in rows if m is not None and status in statuses]
    # The list's best is the stored first, even when that candidate has left the market since:
    # the quality says how this candidate compares with what the matcher found.
    best = stored[0].score if stored else 0.0
    quality = {m.id: match_quality(m.score, best, m.rank) for m in live}
    below = [m for m in live if not is_good_match(quality[m.id], floor=floor)]
    shown = live if weaker else [m for m in live if is_good_match(quality[m.id], floor=floor)]

    def candidate(m: StoredMatch) -> int:
        return m.output_id if side == Side.NEED else m.need_id

    rows = _candidates(session, model, [candidate(m) for m in shown], statuses)
    shown = [m for m in shown if candidate(m) in rows]  # (one may have left since)
    feedback = _feedback_by_pair(session, [(m.need_id, m.output_id) for m in shown])
    items = tuple(
        Recommendation(Match(candidate(m), m.score, m.parts, m.explanation), rows[candidate(m)],
                       m.need_id, m.output_id, tuple(feedback.get((m.need_id, m.output_id), ())),
                       quality=quality[m.id], rank=m.rank, floor=floor)
        for m in shown)
    return MatchList(items=items, weaker=len(below), **common)


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
    permissions.require(user, Action.JUDGE, need)
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


def list_profile_records(session: Session, side: Side) -> Iterator[dict]:
    """Yield the matchable listings of side as records of the matcher's batch CLI
    (OUTPUTS.jsonl / NEEDS.jsonl).

    Ids are the database ids written as text, as they read back from exported qrels.
    """
    for profile in iter_profiles(session, side):
        record = {name: list(value) if isinstance(value, tuple) else value
                  for name, value in asdict(profile).items() if value not in (None, ())}
        yield record | {"id": str(profile.id)}


def list_chain_records(session: Session) -> list[dict]:
    """Return the chains in the seed_data/chains format (the batch CLI's --chains)."""
    return chain_dicts(session)
