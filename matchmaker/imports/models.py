"""An uploaded import file, its dry run and its outcome.

The file itself is kept in the database (web and worker may be different machines that share
only PostgreSQL and Redis), with the plan of its dry run, the user's choices and the result.
"""
from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.types import utcnow

BATCH_STATUSES = ("planning", "planned", "applying", "applied", "failed")


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    permission_kind: ClassVar[str] = "import_batch"
    __table_args__ = (
        CheckConstraint("kind IN ('outputs', 'needs')", name="kind_known"),
        CheckConstraint("status IN ('planning', 'planned', 'applying', 'applied', 'failed')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    status: Mapped[str] = mapped_column(String(12), default="planning")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None]  # the job now planning or applying it
    plan: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    decisions: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
