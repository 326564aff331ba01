"""Yearly targets (年度目标): data an operator edits, one row per (year, metric)."""
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.types import utcnow

YEAR_MIN, YEAR_MAX = 2000, 2100
TARGET_MAX = Decimal(1_000_000_000)  # larger than any count or amount a region plans
NOTE_MAX = 300


class YearTarget(db.Model):
    """The target of one metric (dashboard.metrics) for one year, in the metric's unit.

    unit: the unit the value was set in (the metric's, at the time), so that a row stays
    readable if a metric's unit ever changes. version: optimistic locking; of two operators
    saving the same target, the second is refused.
    """

    __tablename__ = "year_targets"
    permission_kind: ClassVar[str] = "year_target"
    __table_args__ = (
        UniqueConstraint("year", "metric"),
        CheckConstraint(f"year BETWEEN {YEAR_MIN} AND {YEAR_MAX}", name="year_range"),
        CheckConstraint("target >= 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    metric: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    unit: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    updated_by: Mapped[User | None] = relationship()

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}
