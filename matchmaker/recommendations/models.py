"""Stored matches (computed by the worker) and feedback on a match (a need paired with an output)."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.domain import FeedbackVerdict
from matchmaker.extensions import db
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.types import utcnow

COMMENT_MAX = 1000


class MatchFeedback(db.Model):
    """One user's current verdict on a (need, output) pair; a new verdict replaces it."""

    __tablename__ = "match_feedback"
    __table_args__ = (
        UniqueConstraint("need_id", "output_id", "user_id"),
        CheckConstraint("verdict IN ('relevant', 'declined')", name="verdict_known"),
        CheckConstraint("verdict = 'relevant' OR reason IS NOT NULL", name="declined_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"))
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(String(COMMENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    need: Mapped[TechNeed] = relationship()
    output: Mapped[ResearchOutput] = relationship()
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_relevant(self) -> bool:
        return self.verdict == FeedbackVerdict.RELEVANT


class GenerationStatus(StrEnum):
    BUILDING = "building"
    CURRENT = "current"
    RETIRED = "retired"


class MatchGeneration(db.Model):
    """One complete computation of the stored matches, by one fitted matcher.

    Pages read the current generation. A refit (after a chain edit, nightly) writes a new one
    beside it and then makes it current in one update: pages switch from the old matches to
    the new at once and never see a half-written state.
    """

    __tablename__ = "match_generations"
    __table_args__ = (
        CheckConstraint("status IN ('building', 'current', 'retired')", name="status_known"),
        # At most one current generation.
        Index("uq_match_generations_current", "status", unique=True,
              postgresql_where=text("status = 'current'"),
              sqlite_where=text("status = 'current'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default=GenerationStatus.BUILDING)
    # Digest of what the matcher was fitted with besides the listings: chains, regions, weights.
    settings_digest: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MatchSet(db.Model):
    """The ranked candidates of one published listing in one generation (maybe none).

    profile_version is the listing's version when the list was computed: a list whose listing
    has moved on is stale and is recomputed by the worker. threshold is the score a candidate
    must beat to enter the list (the last score of a full list, else the matcher's floor).
    """

    __tablename__ = "match_sets"
    __table_args__ = (
        UniqueConstraint("generation_id", "side", "profile_id"),
        CheckConstraint("side IN ('output', 'need')", name="side_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(
        ForeignKey("match_generations.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    profile_id: Mapped[int]
    profile_version: Mapped[int]
    notice: Mapped[str | None] = mapped_column(String(40))
    chain_guess: Mapped[dict | None] = mapped_column(JSON)
    threshold: Mapped[float] = mapped_column(default=0.0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    matches: Mapped[list["StoredMatch"]] = relationship(
        back_populates="match_set", cascade="all, delete-orphan", passive_deletes=True,
        order_by="StoredMatch.rank")


class StoredMatch(db.Model):
    """One candidate of a match set: the pair, its rank, score, parts and explanation."""

    __tablename__ = "stored_matches"
    __table_args__ = (UniqueConstraint("set_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("match_sets.id", ondelete="CASCADE"))
    rank: Mapped[int]
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"),
                                         index=True)
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    parts: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)

    match_set: Mapped[MatchSet] = relationship(back_populates="matches")


class SeenMatch(db.Model):
    """A counterpart one user has been shown among the matches of their organisation's listing.

    side is the listing's side: ("need", need_id, output_id) is output_id shown on need_id's
    page. A match is *new* for a user while it is in the listing's current list and has no row
    here (recommendations.seen). Rows are keyed by the pair, not by the stored match, whose
    rows every refresh and rebuild rewrites: a match that stays in the list across refreshes
    stays seen, and one that drops out and later comes back is not new again, because the
    owner has already been shown that counterpart. Rows are only inserted (the first time is
    kept) and go with the user or either listing.
    """

    __tablename__ = "seen_matches"
    __table_args__ = (CheckConstraint("side IN ('output', 'need')", name="side_known"),)

    # The key serves the one lookup: is (user, side, need, output) seen?
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    side: Mapped[str] = mapped_column(String(8), primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), primary_key=True, index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
