"""Contact requests: a visitor of the public showcase asks about one public listing."""
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.extensions import db
from matchmaker.types import utcnow

CONTACT_STATUSES = ("open", "handled")


class ContactRequest(db.Model):
    """A visitor's question about a public output or need, routed to the broker on duty.

    Stored before it is routed, so nothing is lost when no broker can take it (broker_id then
    stays empty and operators see it). The visitor's address is kept only as a keyed hash
    (ip_hash), enough to spot abuse, never the address itself.
    """

    __tablename__ = "contact_requests"
    permission_kind: ClassVar[str] = "contact_request"
    __table_args__ = (
        CheckConstraint("side IN ('output', 'need')", name="side_known"),
        CheckConstraint("status IN ('open', 'handled')", name="status_known"),
        CheckConstraint("email <> '' OR phone <> ''", name="reachable"),
        Index("ix_contact_requests_broker_status", "broker_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(8))
    item_id: Mapped[int]
    item_title: Mapped[str] = mapped_column(String(200))  # as the visitor saw it
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(60))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    # The visitor's consent to the contact notice shown on the form, and its version.
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notice_version: Mapped[str] = mapped_column(String(20))
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    chain: Mapped[Chain | None] = relationship(lazy="joined")
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id], lazy="joined")
