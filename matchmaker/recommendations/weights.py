"""The matcher's weights as operators set them by tuning (`flask match tune --apply`).

Each applied tuning inserts one MatchWeightsChange row: who, when, the weights before and after
and the tuning report. Rows are only ever inserted (the ORM refuses the rest; on PostgreSQL the
database, see the migration); the newest row's weights are the ones the matcher index fits with
(recommendations.index), over the app's MATCH_WEIGHTS and the engine's defaults.
"""
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.domain import FeedbackVerdict, Side
from matchmaker.errors import MatchmakerError
from matchmaker.extensions import db
from matchmaker.matching.tune import Example, full_weights
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchFeedback,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)
from matchmaker.types import utcnow


class MatchWeightsChange(db.Model):
    """One change of the matcher's weights: who, when, through what, before, after. Append-only."""

    __tablename__ = "match_weight_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(120))  # e.g. "flask match tune (os user ops)"
    weights_before: Mapped[dict] = mapped_column(JSON)
    weights_after: Mapped[dict] = mapped_column(JSON)
    report: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")


class WeightsHistoryIsAppendOnlyError(MatchmakerError):
    """Something tried to change or delete a row of the weights history."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, MatchWeightsChange):
            raise WeightsHistoryIsAppendOnlyError(f"match_weight_changes row {obj.id} "
                                                  f"cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, MatchWeightsChange) and session.is_modified(obj):
            raise WeightsHistoryIsAppendOnlyError(f"match_weight_changes row {obj.id} "
                                                  f"cannot be changed")


def find_last_change(session: Session) -> MatchWeightsChange | None:
    """Return the newest weights change, or None when the weights were never tuned."""
    return session.scalar(select(MatchWeightsChange).order_by(MatchWeightsChange.id.desc())
                          .limit(1))


def find_tuned_weights(session: Session) -> dict[str, float] | None:
    """Return the weights the last applied tuning set, or None."""
    change = find_last_change(session)
    return dict(change.weights_after) if change else None


def effective_weights(session: Session, configured: Mapping | None) -> dict[str, float]:
    """Return every weight the matcher uses: tuned over configured (MATCH_WEIGHTS) over the
    engine's defaults."""
    return full_weights({**(configured or {}), **(find_tuned_weights(session) or {})})


def record_weights(session: Session, *, before: Mapping, after: Mapping, report: Mapping,
                   via: str, actor: User | None = None) -> MatchWeightsChange:
    """Insert one weights change (the matcher fits with `after` from now on)."""
    change = MatchWeightsChange(actor=actor, via=via[:120], weights_before=dict(before),
                                weights_after=dict(after), report=dict(report))
    session.add(change)
    session.flush()
    return change


def _latest_verdicts(session: Session) -> dict[tuple[int, int], tuple[bool, str | None]]:
    """Return (need, output) → (is_relevant, reason) of the latest verdict on each pair
    (verdicts at the same latest moment that disagree count as declined, as list_qrels)."""
    latest: dict[tuple[int, int], tuple] = {}
    rows = session.execute(select(MatchFeedback.need_id, MatchFeedback.output_id,
                                  MatchFeedback.verdict, MatchFeedback.reason,
                                  MatchFeedback.created_at).order_by(MatchFeedback.id))
    for need_id, output_id, verdict, reason, at in rows:
        relevant = verdict == FeedbackVerdict.RELEVANT
        best = latest.get((need_id, output_id))
        if best is None or at > best[0] or (at == best[0] and best[1] and not relevant):
            latest[(need_id, output_id)] = (at, relevant, reason)
    return {pair: (relevant, reason) for pair, (_, relevant, reason) in latest.items()}


def _stored_parts(session: Session) -> dict[tuple[int, int], dict]:
    """Return (need, output) → component scores from the current generation's stored matches
    (a pair listed on both sides: the need's list)."""
    rows = session.execute(
        select(StoredMatch.need_id, StoredMatch.output_id, StoredMatch.parts, MatchSet.side)
        .join(MatchSet, StoredMatch.set_id == MatchSet.id)
        .join(MatchGeneration, MatchSet.generation_id == MatchGeneration.id)
        .where(MatchGeneration.status == GenerationStatus.CURRENT))
    parts: dict[tuple[int, int], dict] = {}
    for need_id, output_id, row_parts, side in rows:
        if row_parts and (side == Side.NEED or (need_id, output_id) not in parts):
            parts[(need_id, output_id)] = row_parts
    return parts


def list_feedback_examples(session: Session) -> tuple[list[Example], int]:
    """Return the tuning examples (each judged pair's latest verdict with the component scores
    of its stored match) and how many judged pairs had no stored match to take them from."""
    parts = _stored_parts(session)
    examples, missing = [], 0
    for (need_id, output_id), (relevant, reason) in sorted(_latest_verdicts(session).items()):
        pair_parts = parts.get((need_id, output_id))
        if pair_parts is None:
            missing += 1
            continue
        examples.append(Example(need_id, output_id, pair_parts, relevant,
                                None if relevant else reason))
    return examples, missing
