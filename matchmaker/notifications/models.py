"""Notifications, each person's choices per kind, the brokers' calendar feeds, what the weekly
digests of new matches contained, and the WeCom group robots."""
from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.types import utcnow


class Notification(db.Model):
    """One thing told to one person: a kind (notifications.rules.Kind), its parameters and a
    link to the item (an endpoint and its arguments, built into a URL when shown, so that
    it is recorded the same way in a request, a job or a script). dedupe_key names the occasion (e.g. the overdue reminder of deal 7's
    next step due on 2026-12-01, for user 3): the second attempt to record it is a no-op."""

    __tablename__ = "notifications"
    permission_kind: ClassVar[str] = "notification"
    __table_args__ = (Index("ix_notifications_recipient_read", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link_endpoint: Mapped[str] = mapped_column(String(80), default="")
    link_args: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    recipient: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(db.Model):
    """A person's choice for one kind; without a row the kind's defaults apply."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    muted: Mapped[bool] = mapped_column(default=False)
    # Also posted to their WeCom group robot (the column came later: existing rows say no).
    wecom: Mapped[bool] = mapped_column(default=False, server_default=false())


class CalendarFeed(db.Model):
    """A broker's private iCalendar feed. The secret in its URL is derived from SECRET_KEY and
    the nonce (so the profile page can show it again); only its SHA-256 is stored and looked
    up. Resetting the link draws a new nonce, and the old URL stops working."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class DigestedMatch(db.Model):
    """A match (need, output) that a weekly digest told one user about (notifications.digest).

    The next digest leaves these out, so each week brings only the matches new since the last
    one. Keyed by the pair, like seen_matches and for the same reason: every refresh rewrites
    the stored match rows, and a pair that stays in the list must stay told. The side needs no
    column: an institution's member is told about outputs, an enterprise's about needs.
    Rows are only ever inserted (by the digest job, the first time kept); they go with the
    user or either listing (ON DELETE CASCADE), which is why no trigger refuses deletes.
    """

    __tablename__ = "digested_matches"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), primary_key=True, index=True)
    digested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WecomRobot(db.Model):
    """A person's WeCom (企业微信) group robot: the group chat of their team, where the
    notifications they choose are also posted. Only the robot's key is stored; the address
    is the configured WECOM_WEBHOOK_URL followed by it (the platform never posts anywhere a
    user typed)."""

    __tablename__ = "wecom_robots"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(300))


class WecomPost(db.Model):
    """One occasion posted to one group (by the SHA-256 of its robot key): members of a team
    who share a group each get the notification, and the group sees it once."""

    __tablename__ = "wecom_posts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    occasion: Mapped[str] = mapped_column(String(200), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
