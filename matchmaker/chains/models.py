"""Sector chains (产业链) and their segments (环节), kept as data an operator can edit."""
from typing import ClassVar

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.types import TextList


class Chain(db.Model):
    __tablename__ = "chains"
    permission_kind: ClassVar[str] = "chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(String(2000), default="")
    description_en: Mapped[str] = mapped_column(String(2000), default="")
    # Groups of equivalent terms, one group per line, terms separated by '|'.
    synonyms: Mapped[list[str]] = mapped_column(TextList, default=list)
    # Umbrella terms of the whole chain (燃料电池, 光伏, fuel cell): evidence for the chain
    # without pointing at a segment.
    core_terms: Mapped[list[str]] = mapped_column(TextList, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)

    segments: Mapped[list["ChainSegment"]] = relationship(
        back_populates="chain", order_by="ChainSegment.position", cascade="all, delete-orphan"
    )

    @property
    def synonym_groups(self) -> list[list[str]]:
        """Return the synonym groups as lists of terms."""
        return [[t.strip() for t in line.split("|") if t.strip()] for line in self.synonyms]

    def __str__(self) -> str:
        return self.name_zh


class ChainSegment(db.Model):
    __tablename__ = "chain_segments"
    __table_args__ = (UniqueConstraint("chain_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("chains.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=1)  # 1 = most upstream
    keywords_zh: Mapped[list[str]] = mapped_column(TextList, default=list)
    keywords_en: Mapped[list[str]] = mapped_column(TextList, default=list)
    ipc_prefixes: Mapped[list[str]] = mapped_column(TextList, default=list)

    chain: Mapped[Chain] = relationship(back_populates="segments")

    def __str__(self) -> str:
        return self.name_zh
