"""Accounts: users with one role, and the broker profile."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.chains.models import Chain
from matchmaker.domain import AccountStatus, Role
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.types import utcnow

COMPETENCIES = ("technology", "industry", "capital", "market", "investment", "cultivation")

broker_chains = Table(
    "broker_chains",
    db.metadata,
    Column("broker_id", ForeignKey("brokers.id", ondelete="CASCADE"), primary_key=True),
    Column("chain_id", ForeignKey("chains.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'institution') = (institution_id IS NOT NULL)", name="institution_matches_role"
        ),
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_matches_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AccountStatus.PENDING)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    institution: Mapped[Institution | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")
    broker: Mapped["Broker | None"] = relationship(back_populates="user", uselist=False)

    @property
    def is_active(self) -> bool:
        """Only approved accounts may sign in (Flask-Login reads this)."""
        return self.status == AccountStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def organisation(self) -> Institution | Enterprise | None:
        return self.institution or self.enterprise

    def __str__(self) -> str:
        return self.display_name


class Broker(db.Model):
    """A technology broker's profile (科技经纪人): specialties and the six competencies."""

    __tablename__ = "brokers"
    __table_args__ = tuple(
        CheckConstraint(f"{c} BETWEEN 1 AND 5", name=f"{c}_level") for c in COMPETENCIES
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    certificate_no: Mapped[str] = mapped_column(String(40), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(String(2000), default="")
    technology: Mapped[int] = mapped_column(default=1)
    industry: Mapped[int] = mapped_column(default=1)
    capital: Mapped[int] = mapped_column(default=1)
    market: Mapped[int] = mapped_column(default=1)
    investment: Mapped[int] = mapped_column(default=1)
    cultivation: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(back_populates="broker")
    chains: Mapped[list[Chain]] = relationship(secondary=broker_chains, order_by=Chain.id)

    @property
    def competencies(self) -> dict[str, int]:
        """Return the six self-rated competency levels (1–5) by name."""
        return {name: getattr(self, name) for name in COMPETENCIES}
