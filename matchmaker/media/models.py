"""Stored files and the pieces brokers write: attachments on outputs and needs, landed-project
stories and product exhibits, and their images.

A row holds a file's metadata; the bytes live on disk under UPLOAD_DIR, named by the row's
random token (media.storage), never by the user's file name, which is kept as display text
only. Written only through media.services and media.stories.
"""
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.extensions import db
from matchmaker.pipeline.models import Deal
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.types import utcnow

ATTACHMENT_KINDS = ("brochure", "patent_certificate", "product_photo", "other")
VISIBILITIES = ("public", "after_nda", "private")
STORY_KINDS = ("story", "exhibit")  # 落地案例, 产品展示
STORY_STATUSES = ("draft", "published")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class StoredFile:
    """The columns of every kept file (a mixin)."""

    token: Mapped[str] = mapped_column(String(32), unique=True)  # the file's name on disk
    content_type: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(200), default="")  # display text only
    size: Mapped[int]  # bytes of the kept (re-encoded) file
    sha256: Mapped[str] = mapped_column(String(64))  # of the kept file: its ETag
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Attachment(StoredFile, db.Model):
    """A file on a research output or a technology need (a brochure, a patent certificate, a
    product photo), public, shown after an NDA, or private to the owning organisation."""

    __tablename__ = "attachments"
    permission_kind: ClassVar[str] = "attachment"
    __table_args__ = (
        CheckConstraint("(output_id IS NULL) <> (need_id IS NULL)", name="one_listing"),
        CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="kind_known"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    output_id: Mapped[int | None] = mapped_column(
        ForeignKey("research_outputs.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("tech_needs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    visibility: Mapped[str] = mapped_column(String(12))

    output: Mapped[ResearchOutput | None] = relationship()
    need: Mapped[TechNeed | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def listing(self) -> ResearchOutput | TechNeed:
        return self.output if self.output is not None else self.need


class Story(db.Model):
    """A landed-project story (落地案例) or a product exhibit (产品展示) written by a broker.

    body is plain text; a blank line separates paragraphs (no HTML from users).
    """

    __tablename__ = "stories"
    permission_kind: ClassVar[str] = "story"
    __table_args__ = (
        CheckConstraint(_in("kind", STORY_KINDS), name="kind_known"),
        CheckConstraint(_in("status", STORY_STATUSES), name="status_known"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL",
                        name="published_has_date"),
        Index("ix_stories_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # seed key
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    output_id: Mapped[int | None] = mapped_column(ForeignKey("research_outputs.id"),
                                                  index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    chain: Mapped[Chain | None] = relationship(lazy="joined")
    deal: Mapped[Deal | None] = relationship()
    output: Mapped[ResearchOutput | None] = relationship()
    author: Mapped[User] = relationship(lazy="joined")
    images: Mapped[list["StoryImage"]] = relationship(
        back_populates="story", cascade="all, delete-orphan",
        order_by="(StoryImage.position, StoryImage.id)", lazy="selectin")

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    @property
    def cover(self) -> "StoryImage | None":
        return self.images[0] if self.images else None


class StoryImage(StoredFile, db.Model):
    """An image of a story, in order, with its alt text."""

    __tablename__ = "story_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(200), default="")

    story: Mapped[Story] = relationship(back_populates="images")
