"""The table of background jobs: what was asked, by whom, how far it got and how it ended."""
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.types import utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class BackgroundJob(db.Model):
    """One run of a task. The row is written in the transaction that asked for the job, so a
    job exists exactly when that change committed; a worker claims it by moving it from queued
    to running in one UPDATE, so two workers never run the same job."""

    __tablename__ = "background_jobs"
    permission_kind: ClassVar[str] = "job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')",
                        name="status_known"),
        # At most one queued job per key: asking again while one waits returns the waiting one.
        Index("uq_background_jobs_queued_key", "key", unique=True,
              postgresql_where=text("status = 'queued'"), sqlite_where=text("status = 'queued'")),
        Index("ix_background_jobs_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    key: Mapped[str | None] = mapped_column(String(200))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    queue: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    message: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def percent(self) -> int | None:
        """Return progress in whole percent, or None when the total is not known yet."""
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_done(self) -> bool:
        return self.status in (JobStatus.FINISHED, JobStatus.FAILED)
