"""Research outputs (科技成果) and technology needs (技术需求)."""
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import NeedStatus, OutputStatus, ReformStatus, Side
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.textsearch import Document
from matchmaker.types import SearchVector, TextList, utcnow

Money = Numeric(12, 2)  # 万元


class OutputMode(db.Model):
    __tablename__ = "research_output_modes"

    output_id: Mapped[int] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(24), primary_key=True)


class NeedMode(db.Model):
    __tablename__ = "tech_need_modes"

    need_id: Mapped[int] = mapped_column(
        ForeignKey("tech_needs.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(24), primary_key=True)


class Patent(db.Model):
    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("research_outputs.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    ipc_codes: Mapped[list[str]] = mapped_column(TextList, default=list)
    status: Mapped[str] = mapped_column(String(12))


class ResearchOutput(db.Model):
    __tablename__ = "research_outputs"
    side: ClassVar[Side] = Side.OUTPUT
    permission_kind: ClassVar[str] = "output"
    __table_args__ = (
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint(
            "price_min IS NULL OR price_max IS NULL OR price_min <= price_max", name="price_order"
        ),
        Index("ix_research_outputs_search_vector", "search_vector",
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    abstract: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(TextList, default=list)
    inventors: Mapped[list[str]] = mapped_column(TextList, default=list)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("chain_segments.id"))
    trl: Mapped[int]
    price_min: Mapped[Decimal | None] = mapped_column(Money)
    price_max: Mapped[Decimal | None] = mapped_column(Money)
    reform_status: Mapped[str] = mapped_column(String(24), default=ReformStatus.NONE)
    # What the institution tells an enterprise only under a signed NDA (process windows,
    # unpublished data): shown to a deal's enterprise side once the deal's NDA is signed
    # (pipeline.services.may_see_confidential), never in lists, search or matching.
    confidential_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default=OutputStatus.DRAFT, index=True)
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    # Kept by the flush hook below; see matchmaker.textsearch.
    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)

    institution: Mapped[Institution] = relationship(lazy="joined")
    chain: Mapped[Chain | None] = relationship(lazy="joined")
    segment: Mapped[ChainSegment | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    patents: Mapped[list[Patent]] = relationship(
        cascade="all, delete-orphan", order_by=Patent.id, lazy="selectin"
    )
    mode_rows: Mapped[list[OutputMode]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=OutputMode.mode
    )
    modes: AssociationProxy[list[str]] = association_proxy(
        "mode_rows", "mode", creator=lambda mode: OutputMode(mode=mode)
    )

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    @property
    def ipc_codes(self) -> list[str]:
        """Return the IPC codes of all patents, without duplicates, in order."""
        return list(dict.fromkeys(code for p in self.patents for code in p.ipc_codes))

    def __str__(self) -> str:
        return self.title


class TechNeed(db.Model):
    __tablename__ = "tech_needs"
    side: ClassVar[Side] = Side.NEED
    permission_kind: ClassVar[str] = "need"
    __table_args__ = (
        CheckConstraint("min_trl IS NULL OR min_trl BETWEEN 1 AND 9", name="min_trl_range"),
        CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
            name="budget_order",
        ),
        Index("ix_tech_needs_search_vector", "search_vector",
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(TextList, default=list)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("chain_segments.id"))
    min_trl: Mapped[int | None]
    budget_min: Mapped[Decimal | None] = mapped_column(Money)
    budget_max: Mapped[Decimal | None] = mapped_column(Money)
    deadline: Mapped[date | None] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    is_challenge: Mapped[bool] = mapped_column(default=False)
    prize: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(24), default=NeedStatus.DRAFT, index=True)
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    chain: Mapped[Chain | None] = relationship(lazy="joined")
    segment: Mapped[ChainSegment | None] = relationship(lazy="joined")
    region: Mapped[Region | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    mode_rows: Mapped[list[NeedMode]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=NeedMode.mode
    )
    modes: AssociationProxy[list[str]] = association_proxy(
        "mode_rows", "mode", creator=lambda mode: NeedMode(mode=mode)
    )

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    def __str__(self) -> str:
        return self.title


# Lists are ordered newest first, unpublished drafts on top (published_at DESC NULLS FIRST,
# id DESC): read backwards, these indexes give that order without a sort.
for _model in (ResearchOutput, TechNeed):
    Index(f"ix_{_model.__tablename__}_listing_order", _model.published_at, _model.id)


def search_document(listing: ResearchOutput | TechNeed) -> Document:
    """Return what list search finds a listing by: title, text, keywords, organisation, and
    its transfer modes (reserved lexemes: textsearch.mode_lexeme)."""
    if listing.side == Side.OUTPUT:
        org = listing.institution
        return Document.of(listing.title, listing.abstract, listing.keywords,
                           org.name if org else None, org.name_en if org else None,
                           modes=listing.modes)
    org = listing.enterprise
    return Document.of(listing.title, listing.description, listing.keywords,
                       org.name if org else None, org.name_en if org else None,
                       modes=listing.modes)


_SEARCHED = {"title", "abstract", "description", "keywords", "institution", "enterprise",
             "institution_id", "enterprise_id", "mode_rows"}


@event.listens_for(Session, "before_flush")
def _index_for_search(session: Session, flush_context, instances) -> None:
    """Keep search_vector in step whenever a listing's searchable fields change."""
    from sqlalchemy import inspect

    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, (ResearchOutput, TechNeed)):
            continue
        state = inspect(obj)
        if obj in session.new or any(state.attrs[name].history.has_changes()
                                     for name in _SEARCHED if name in state.attrs):
            obj.search_vector = search_document(obj)


# Rows of other tables that belong to a listing: changing them changes the listing.
_CHILD_COLLECTIONS = ("mode_rows", "patents")


@event.listens_for(Session, "before_flush")
def touch_listings(session: Session, flush_context, instances) -> None:
    """Bump updated_at (and so the version) of a listing whose modes or patents changed.

    Those live in other tables, so a save that changes only them would leave the listing's
    row, its version (the optimistic lock) and updated_at (the matcher index) untouched. The
    one place this rule is written: every write path (forms, seed, importer, API) gets it.
    """
    from sqlalchemy import inspect

    for obj in session.dirty:
        if not isinstance(obj, (ResearchOutput, TechNeed)):
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes()
               for name in _CHILD_COLLECTIONS if name in state.attrs):
            obj.updated_at = utcnow()
