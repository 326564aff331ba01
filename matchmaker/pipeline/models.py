"""The broker's pipeline: stages (data), deals, their history, activities, tasks, service
tickets, technology contracts and introduction requests.

Deals are written only through pipeline.services; history rows only by the subscriber of the
services' signals (pipeline.subscribers), and never changed afterwards: the ORM refuses
(below) and on PostgreSQL so does the database (a trigger, see the migration).
"""
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.domain import IntroductionStatus, NdaStatus, TicketStatus
from matchmaker.errors import MatchmakerError
from matchmaker.extensions import db
from matchmaker.orgs.models import Region
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.types import TextList, utcnow

Money = Numeric(12, 2)  # 万元

deal_co_brokers = Table(
    "deal_co_brokers",
    db.metadata,
    Column("deal_id", ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class DealStage(db.Model):
    """A column of the board. Rows, not code: operators rename them or add sub-steps
    (pipeline/stages.py, the page /deals/stages).

    position: the board order, over all phases (a higher position is further on).
    requirements: Requirement codes a deal must satisfy before it leaves this stage forward.
    stale_after_days: days without activity after which an open deal here is flagged stale.
    version: optimistic locking; of two operators saving the same stage, the second is refused.
    """

    __tablename__ = "deal_stages"
    __table_args__ = (
        CheckConstraint("phase IN ('mine', 'land', 'serve', 'showcase', 'lost')",
                        name="phase_known"),
        CheckConstraint("default_probability BETWEEN 0 AND 100", name="probability_range"),
        CheckConstraint("stale_after_days IS NULL OR stale_after_days > 0",
                        name="stale_after_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    phase: Mapped[str] = mapped_column(String(12))
    position: Mapped[int]
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    default_probability: Mapped[int] = mapped_column(default=0)
    stale_after_days: Mapped[int | None]
    requirements: Mapped[list[str]] = mapped_column(TextList, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name_zh


class StageChange(db.Model):
    """One change an operator made to a stage: who, when, what, old and new value.
    Append-only, like deal history (the ORM refuses the rest; on PostgreSQL the database)."""

    __tablename__ = "stage_changes"
    __table_args__ = (Index("ix_stage_changes_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("deal_stages.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(12))
    field: Mapped[str] = mapped_column(String(40), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    stage: Mapped[DealStage] = relationship(lazy="joined")
    actor: Mapped[User | None] = relationship(lazy="joined")


class Deal(db.Model):
    """A broker's project (项目/对接): an output and/or a need carried through the stages."""

    __tablename__ = "deals"
    permission_kind: ClassVar[str] = "deal"
    __table_args__ = (
        CheckConstraint("output_id IS NOT NULL OR need_id IS NOT NULL", name="has_listing"),
        CheckConstraint("probability IS NULL OR probability BETWEEN 0 AND 100",
                        name="probability_range"),
        CheckConstraint("expected_value IS NULL OR expected_value >= 0", name="value_positive"),
        CheckConstraint("match_quality IS NULL OR match_quality BETWEEN 0 AND 1",
                        name="match_quality_range"),
        # Every open deal has exactly one next step, with a date.
        CheckConstraint("NOT is_open OR (next_step <> '' AND next_step_due IS NOT NULL)",
                        name="open_has_next_step"),
        CheckConstraint("is_open OR lost_reason IS NOT NULL", name="closed_is_lost"),
        CheckConstraint("nda_status IN ('none', 'sent', 'signed', 'expired')",
                        name="nda_status_known"),
        Index("ix_deals_owner_open", "owner_id", "is_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # seed key
    title: Mapped[str] = mapped_column(String(200))
    output_id: Mapped[int | None] = mapped_column(ForeignKey("research_outputs.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("tech_needs.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("deal_stages.id"), index=True)
    is_open: Mapped[bool] = mapped_column(default=True)
    expected_value: Mapped[Decimal | None] = mapped_column(Money)  # 万元
    probability: Mapped[int | None]  # percent; None: the stage's default
    transfer_mode: Mapped[str | None] = mapped_column(String(24))
    next_step: Mapped[str] = mapped_column(String(300), default="")
    next_step_due: Mapped[date | None] = mapped_column(Date, index=True)
    # Qualification (挖掘): IP status checked, the team willing, the reform status known.
    ip_checked: Mapped[bool] = mapped_column(default=False)
    team_willing: Mapped[bool] = mapped_column(default=False)
    reform_status: Mapped[str | None] = mapped_column(String(24))
    # Terms (谈判).
    price: Mapped[Decimal | None] = mapped_column(Money)
    payment_kind: Mapped[str | None] = mapped_column(String(16))
    terms_note: Mapped[str] = mapped_column(Text, default="")
    # Landing (落地): the company registered or project started, where and when.
    landing_name: Mapped[str] = mapped_column(String(120), default="")
    landing_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    landing_address: Mapped[str] = mapped_column(String(200), default="")
    landed_on: Mapped[date | None] = mapped_column(Date)
    local_conversion: Mapped[bool | None]  # 就地转化: landed in the home province
    # Confidentiality.
    nda_status: Mapped[str] = mapped_column(String(12), default=NdaStatus.NONE)
    nda_expires_on: Mapped[date | None] = mapped_column(Date)
    showcase_material: Mapped[str] = mapped_column(Text, default="")
    lost_reason: Mapped[str | None] = mapped_column(String(24))
    lost_note: Mapped[str] = mapped_column(Text, default="")
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    snooze_reason: Mapped[str] = mapped_column(String(300), default="")
    # Copied from the stored match the deal started from (matches are recomputed; the deal
    # keeps what the broker saw): the matcher's raw score, and the match quality the card
    # showed (recommendations.services.match_quality; None on deals started before it was kept).
    match_score: Mapped[float | None]
    match_quality: Mapped[float | None]
    match_parts: Mapped[dict | None] = mapped_column(JSON)
    match_explanation: Mapped[dict | None] = mapped_column(JSON)
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    output: Mapped[ResearchOutput | None] = relationship(lazy="joined")
    need: Mapped[TechNeed | None] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    chain: Mapped[Chain | None] = relationship(lazy="joined")
    stage: Mapped[DealStage] = relationship(lazy="joined")
    landing_region: Mapped[Region | None] = relationship()
    co_brokers: Mapped[list[User]] = relationship(secondary=deal_co_brokers, order_by=User.id,
                                                  lazy="selectin")
    contract: Mapped["Contract | None"] = relationship(back_populates="deal", uselist=False,
                                                       lazy="selectin")

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    @property
    def co_broker_ids(self) -> set[int]:
        return {user.id for user in self.co_brokers}

    @property
    def institution_id(self) -> int | None:
        return self.output.institution_id if self.output is not None else None

    @property
    def enterprise_id(self) -> int | None:
        return self.need.enterprise_id if self.need is not None else None

    def __str__(self) -> str:
        return self.title


class DealHistory(db.Model):
    """One thing that happened to a deal: who, when, what, old and new value. Append-only."""

    __tablename__ = "deal_history"
    __table_args__ = (Index("ix_deal_history_deal_at", "deal_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(40), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(lazy="joined")


class HistoryIsAppendOnlyError(MatchmakerError):
    """Something tried to change or delete a deal history row."""


@event.listens_for(Session, "before_flush")
def _refuse_history_changes(session: Session, flush_context, instances) -> None:
    """The app only ever inserts history rows, of deals and of stages (the database refuses
    the rest on PostgreSQL)."""
    for obj in session.deleted:
        if isinstance(obj, (DealHistory, StageChange)):
            raise HistoryIsAppendOnlyError(f"{obj.__tablename__} row {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, (DealHistory, StageChange)) and session.is_modified(obj):
            raise HistoryIsAppendOnlyError(f"{obj.__tablename__} row {obj.id} cannot be changed")


class Activity(db.Model):
    """A call, visit, meeting, e-mail, note or comment on a deal."""

    __tablename__ = "deal_activities"
    __table_args__ = (Index("ix_deal_activities_deal_at", "deal_id", "happened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class DealTask(db.Model):
    """A to-do on a deal with a due date."""

    __tablename__ = "deal_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class ServiceTicket(db.Model):
    """A service arranged for a landed team (服务): policy, registration, legal, IP, …"""

    __tablename__ = "service_tickets"
    __table_args__ = (
        CheckConstraint("kind = 'financing' OR (financing_kind IS NULL AND amount_raised IS NULL)",
                        name="financing_fields_only_for_financing"),
        CheckConstraint("amount_raised IS NULL OR amount_raised >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.OPEN)
    due_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text, default="")
    financing_kind: Mapped[str | None] = mapped_column(String(8))
    amount_raised: Mapped[Decimal | None] = mapped_column(Money)  # 万元
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Contract(db.Model):
    """A technology contract (技术合同) as 技术合同认定登记 records it; one per deal."""

    __tablename__ = "deal_contracts"
    __table_args__ = (
        CheckConstraint("total_amount IS NULL OR total_amount >= 0", name="total_positive"),
        CheckConstraint("technical_amount IS NULL OR total_amount IS NULL "
                        "OR technical_amount <= total_amount", name="technical_within_total"),
        CheckConstraint("term_start IS NULL OR term_end IS NULL OR term_start <= term_end",
                        name="term_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                         unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    contract_type: Mapped[str] = mapped_column(String(16))
    seller_name: Mapped[str] = mapped_column(String(120), default="")  # 卖方 / 受托方
    buyer_name: Mapped[str] = mapped_column(String(120), default="")  # 买方 / 委托方
    total_amount: Mapped[Decimal | None] = mapped_column(Money)  # 合同总金额, 万元
    technical_amount: Mapped[Decimal | None] = mapped_column(Money)  # 技术交易额, 万元
    signed_on: Mapped[date | None] = mapped_column(Date)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    registration_no: Mapped[str] = mapped_column(String(40), default="")  # 登记号
    registered_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="contract")


class IntroductionRequest(db.Model):
    """A listing owner's request, on a match, to be introduced to the other side."""

    __tablename__ = "introduction_requests"
    permission_kind: ClassVar[str] = "introduction"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status_known"),
        CheckConstraint("status <> 'accepted' OR deal_id IS NOT NULL", name="accepted_has_deal"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id"), index=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("research_outputs.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    broker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # a user id
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=IntroductionStatus.PENDING)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    need: Mapped[TechNeed] = relationship(lazy="joined")
    output: Mapped[ResearchOutput] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    broker: Mapped[User] = relationship(foreign_keys=[broker_id])
    deal: Mapped[Deal | None] = relationship()
