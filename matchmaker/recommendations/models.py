"""Feedback on a recommended match (a technology need paired with a research output)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
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
