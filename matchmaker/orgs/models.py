"""Organisations: regions, institutions (results side) and enterprises (demand side)."""
from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.types import TextList


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    province: Mapped[str] = mapped_column(String(40))

    def __str__(self) -> str:
        return self.name


class Institution(db.Model):
    __tablename__ = "institutions"
    permission_kind: ClassVar[str] = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(160), default="")
    aliases: Mapped[list[str]] = mapped_column(TextList, default=list)
    type: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    description: Mapped[str] = mapped_column(String(2000), default="")

    region: Mapped[Region] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.name


class Enterprise(db.Model):
    __tablename__ = "enterprises"
    permission_kind: ClassVar[str] = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(160), default="")
    aliases: Mapped[list[str]] = mapped_column(TextList, default=list)
    tier: Mapped[str] = mapped_column(String(20))
    size: Mapped[str] = mapped_column(String(10))
    industry: Mapped[str] = mapped_column(String(120), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    description: Mapped[str] = mapped_column(String(2000), default="")

    region: Mapped[Region] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.name
