"""Matchmaking events (对接会): the event, its time slots, participants, pairings and meetings.

Written only through events.services. Slot times are the event's local wall-clock times
(naive), as printed on the agenda. A participant is one organisation (an enterprise bringing
needs, or an institution bringing outputs); a pairing is one (need, output) pair between two
participants; a meeting is a pairing placed in a slot, at a shared table or at a booth.
"""
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.pipeline.models import Deal
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.types import utcnow

EVENT_STATUSES = ("draft", "open", "scheduled", "held", "closed")
PARTICIPANT_STATUSES = ("invited", "registered", "confirmed", "declined")
PAIRING_SOURCES = ("matcher", "request", "organiser")
OUTCOMES = ("no_interest", "follow_up", "nda_wanted", "negotiation_started")
POSITIVE_OUTCOMES = ("follow_up", "nda_wanted", "negotiation_started")
REQUEST_STATUSES = ("pending", "accepted", "declined", "withdrawn")
REASON_MAX = 300


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Event(db.Model):
    """A matchmaking event run by a broker or an operator (its organiser)."""

    __tablename__ = "events"
    permission_kind: ClassVar[str] = "event"
    __table_args__ = (
        CheckConstraint(_in("status", EVENT_STATUSES), name="status_known"),
        CheckConstraint("ends_on >= starts_on", name="dates_order"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("tables >= 0", name="tables_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # seed key
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(300), default="")
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id"), index=True)
    capacity: Mapped[int | None]
    tables: Mapped[int] = mapped_column(default=10)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_public: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The pairs the last schedule left out, with the solver's reason codes.
    unscheduled: Mapped[list] = mapped_column(JSON, default=list)
    # The meetings as last published: [a, b, slot id, table, booth] (solver ids).
    published_schedule: Mapped[list | None] = mapped_column(JSON)
    # What the last change after publication moved, added and dropped (participant ids).
    last_change: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    chain: Mapped[Chain | None] = relationship(lazy="joined")
    organiser: Mapped[User] = relationship(lazy="joined")
    slots: Mapped[list["EventSlot"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventSlot.starts_at")
    participants: Mapped[list["EventParticipant"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventParticipant.id")

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class EventSlot(db.Model):
    """A time slot of the event, in local wall-clock time."""

    __tablename__ = "event_slots"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)

    event: Mapped[Event] = relationship(back_populates="slots")

    @property
    def label(self) -> str:
        return f"{self.starts_at:%m-%d %H:%M}–{self.ends_at:%H:%M}"


class EventParticipant(db.Model):
    """An organisation at the event with the listings it brings (needs or outputs)."""

    __tablename__ = "event_participants"
    permission_kind: ClassVar[str] = "event_participant"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) <> (enterprise_id IS NULL)",
                        name="one_organisation"),
        CheckConstraint(_in("status", PARTICIPANT_STATUSES), name="status_known"),
        CheckConstraint("max_meetings > 0", name="max_meetings_positive"),
        # Organisation first: the two constraints' conventional names differ.
        UniqueConstraint("institution_id", "event_id"),
        UniqueConstraint("enterprise_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[str] = mapped_column(String(12), default="invited")
    max_meetings: Mapped[int] = mapped_column(default=6)
    booth: Mapped[str | None] = mapped_column(String(40))
    blocked_slot_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Ids of the needs (enterprise) or outputs (institution) the participant brings.
    listing_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[Event] = relationship(back_populates="participants")
    institution: Mapped[Institution | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")

    @property
    def organisation(self):
        return self.institution or self.enterprise

    @property
    def organiser_id(self) -> int:
        return self.event.organiser_id


class EventPairing(db.Model):
    """A (need, output) pair that may meet at the event, between two participants."""

    __tablename__ = "event_pairings"
    __table_args__ = (
        CheckConstraint(_in("source", PAIRING_SOURCES), name="source_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        UniqueConstraint("event_id", "need_id", "output_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"))
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"))
    need_participant_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"))
    output_participant_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(default=0.0)
    source: Mapped[str] = mapped_column(String(12), default="matcher")
    is_confirmed: Mapped[bool] = mapped_column(default=False)

    need: Mapped[TechNeed] = relationship(lazy="joined")
    output: Mapped[ResearchOutput] = relationship(lazy="joined")
    need_participant: Mapped[EventParticipant] = relationship(
        foreign_keys=[need_participant_id])
    output_participant: Mapped[EventParticipant] = relationship(
        foreign_keys=[output_participant_id])


class EventMeeting(db.Model):
    """A pairing placed in a slot at a shared table or a booth; notes and outcome after it."""

    __tablename__ = "event_meetings"
    permission_kind: ClassVar[str] = "event_meeting"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint("table_no IS NULL OR booth IS NULL", name="one_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("event_pairings.id", ondelete="CASCADE"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("event_slots.id", ondelete="CASCADE"))
    table_no: Mapped[int | None]
    booth: Mapped[str | None] = mapped_column(String(40))
    is_locked: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    pairing: Mapped[EventPairing] = relationship(lazy="joined")
    slot: Mapped[EventSlot] = relationship(lazy="joined")
    deal: Mapped[Deal | None] = relationship()

    # What permissions.py reads: the organiser and the two organisations.
    @property
    def organiser_id(self) -> int:
        return self.event.organiser_id

    @property
    def institution_id(self) -> int | None:
        return self.pairing.output_participant.institution_id

    @property
    def enterprise_id(self) -> int | None:
        return self.pairing.need_participant.enterprise_id


class EventMeetingRequest(db.Model):
    """One participant asking another for a meeting about a (need, output) pair, with a short
    reason; the other side accepts (a confirmed pairing of source "request", scheduled in the
    solver's first tier) or declines. A pair is requested once per event; rows are kept
    after the answer (the event's record of who asked whom)."""

    __tablename__ = "event_meeting_requests"
    permission_kind: ClassVar[str] = "event_meeting_request"
    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status_known"),
        CheckConstraint("requester_id <> recipient_id", name="two_sides"),
        UniqueConstraint("event_id", "need_id", "output_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("tech_needs.id", ondelete="CASCADE"))
    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship()
    requester: Mapped[EventParticipant] = relationship(foreign_keys=[requester_id],
                                                       lazy="joined")
    recipient: Mapped[EventParticipant] = relationship(foreign_keys=[recipient_id],
                                                       lazy="joined")
    need: Mapped[TechNeed] = relationship(lazy="joined")
    output: Mapped[ResearchOutput] = relationship(lazy="joined")

    # What permissions.py reads.
    @property
    def organiser_id(self) -> int:
        return self.event.organiser_id
