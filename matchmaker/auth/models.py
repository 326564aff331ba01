"""Accounts: users with one role, their sign-in sessions, requests to join an organisation,
and the broker profile."""
from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, String, Table
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker import labels
from matchmaker.chains.models import Chain
from matchmaker.domain import AccountStatus, JoinRequestStatus, Role
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution, Region
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
        # Only institution accounts belong to an institution, only enterprise accounts to an
        # enterprise. A new account may have none yet: its request to join an existing
        # organisation waits for a member or an operator (JoinRequest). An active account of
        # either role always has its organisation, so approval cannot skip that step.
        CheckConstraint("role = 'institution' OR institution_id IS NULL",
                        name="institution_only_for_institutions"),
        CheckConstraint("role = 'enterprise' OR enterprise_id IS NULL",
                        name="enterprise_only_for_enterprises"),
        CheckConstraint("role <> 'institution' OR status <> 'active' OR institution_id IS NOT NULL",
                        name="active_institution_has_org"),
        CheckConstraint("role <> 'enterprise' OR status <> 'active' OR enterprise_id IS NOT NULL",
                        name="active_enterprise_has_org"),
        CheckConstraint("deleted_at IS NULL OR status = 'disabled'", name="deleted_is_disabled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    _display_name: Mapped[str] = mapped_column("display_name", String(80))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AccountStatus.PENDING)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the person opened the verification link e-mailed at sign-up (or a password
    # reset link, which proves the same). Operators may approve an unverified account: they
    # vet the person and organisation, and without SMTP no link can arrive (README).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Consent to the privacy notice given at sign-up (PIPL): when, and to which version.
    privacy_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    # Set when the person deleted the account: personal fields are erased, the row stays so
    # that the organisation's records and history keep pointing at an anonymous account.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    institution: Mapped[Institution | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")
    broker: Mapped["Broker | None"] = relationship(back_populates="user", uselist=False)
    join_requests: Mapped[list["JoinRequest"]] = relationship(
        back_populates="user", foreign_keys="JoinRequest.user_id",
        order_by="JoinRequest.id", cascade="all, delete-orphan")

    # The raw token of the sign-in session this object was loaded for (never stored).
    session_token = None
    current_session = None  # the UserSession row that session_token opened

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and the remember-me cookie: the random token
        of a server-side session (UserSession), never the user's id, so signing out or
        revoking the session makes every copy of those cookies worthless."""
        if not self.session_token:
            raise AttributeError("user has no sign-in session; use auth.sessions.start")
        return self.session_token

    @hybrid_property
    def display_name(self) -> str:
        """The name to show; a deleted account shows a translated "deleted user" label."""
        if self.deleted_at is not None:
            return str(labels.DELETED_USER)
        return self._display_name

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self._display_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls):
        return cls._display_name

    @property
    def is_active(self) -> bool:
        """Only approved accounts may sign in (Flask-Login reads this)."""
        return self.status == AccountStatus.ACTIVE

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def organisation(self) -> Institution | Enterprise | None:
        return self.institution or self.enterprise

    @property
    def pending_join_request(self) -> "JoinRequest | None":
        return next((r for r in self.join_requests if r.status == JoinRequestStatus.PENDING),
                    None)

    def __str__(self) -> str:
        return self.display_name


class UserSession(db.Model):
    """One signed-in browser: created at sign-in, revoked at sign-out, password change,
    deletion or when an operator disables the account. Only a hash of its token is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(120), default="")  # "Chrome 120 · Windows"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")


class JoinRequest(db.Model):
    """A new account's request to join an organisation already on the platform (the name given
    at sign-up matched it exactly or looked like it). Exactly one organisation is named."""

    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) <> (enterprise_id IS NULL)",
                        name="one_organisation"),
        CheckConstraint("status IN ('pending', 'confirmed', 'declined', 'separate')",
                        name="status_known"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_once"),
        CheckConstraint("similarity BETWEEN 0 AND 100", name="similarity_range"),
    )

    permission_kind: ClassVar[str] = "join_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # What the person typed at sign-up, kept so that an operator can register it separately.
    requested_name: Mapped[str] = mapped_column(String(120))
    requested_type: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    similarity: Mapped[int]  # 100: the same name once normalised; less: a look-alike
    status: Mapped[str] = mapped_column(String(12), default=JoinRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="join_requests", foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    institution: Mapped[Institution | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")
    region: Mapped[Region] = relationship()

    @property
    def organisation(self) -> Institution | Enterprise:
        return self.institution or self.enterprise

    @property
    def is_pending(self) -> bool:
        return self.status == JoinRequestStatus.PENDING


class Broker(db.Model):
    """A technology broker's profile (科技经纪人): specialties, the six competencies and how to
    reach them. The contact columns are personal: only permissions.can(viewer, "contact",
    broker) shows them (the parties the broker works with and operators), never the public
    page; they are in the personal-data export and erased with the account."""

    __tablename__ = "brokers"
    permission_kind: ClassVar[str] = "broker"
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
    # Contact, in the form auth.contact stores it ("" when not given).
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    wechat_id: Mapped[str] = mapped_column(String(20), default="")
    office_hours: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(back_populates="broker")
    chains: Mapped[list[Chain]] = relationship(secondary=broker_chains, order_by=Chain.id)

    @property
    def competencies(self) -> dict[str, int]:
        """Return the six self-rated competency levels (1–5) by name."""
        return {name: getattr(self, name) for name in COMPETENCIES}

    @property
    def has_contact(self) -> bool:
        return any((self.phone, self.contact_email, self.wechat_id, self.office_hours))
