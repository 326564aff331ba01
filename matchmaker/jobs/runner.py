"""Running jobs: claim a queued row, call its task, record how it ended.

Every runner (an RQ worker, the in-process thread, the test suite) goes through run_job, so a
job behaves the same everywhere: claimed by one UPDATE (queued → running) that only one runner
can win, committed or rolled back as a whole, failures kept with their error for operators.
"""
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from matchmaker.extensions import sqlite_writes
from matchmaker.jobs.models import BackgroundJob, JobStatus
from matchmaker.jobs.queue import _NEW, TASKS, enqueue, task
from matchmaker.types import utcnow

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
MAX_RUNS_PER_REQUEST = 50  # sync mode: jobs that enqueue jobs cannot loop forever
ERROR_MAX = 8000


@dataclass
class JobContext:
    """What a task gets: the session (the runner commits it), the job id, and progress()."""

    session: Session
    job_id: int
    _last: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, message: str = "", *,
                 force: bool = False) -> None:
        """Record how far the job got (written at most every PROGRESS_EVERY seconds).

        Written through the job's session: a task that commits in steps makes it visible at
        each step; the runner also writes the final figures.
        """
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        values = {"progress_done": done, "heartbeat_at": utcnow(), "message": message[:300]}
        if total is not None:
            values["progress_total"] = total
        self.session.execute(update(BackgroundJob).where(BackgroundJob.id == self.job_id)
                             .values(**values))


def _claim(session: Session, job_id: int) -> bool:
    now = utcnow()
    claimed = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, error="",
                attempts=BackgroundJob.attempts + 1)).rowcount
    session.commit()
    return claimed == 1


def _finish(session: Session, job_id: int, status: str, **values) -> None:
    session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id)
                    .values(status=status, finished_at=utcnow(), **values))
    session.commit()


def run_job(session: Session, job_id: int) -> bool:
    """Run the queued job job_id if this runner wins it; return whether it ran here."""
    with sqlite_writes():
        return _run_job(session, job_id)


def _run_job(session: Session, job_id: int) -> bool:
    if not _claim(session, job_id):
        return False
    job = session.get(BackgroundJob, job_id)
    spec = TASKS.get(job.name)
    args = dict(job.args or {})
    started = time.perf_counter()
    try:
        if spec is None:
            raise LookupError(f"no task named {job.name!r} in this version of the code")
        result = spec.func(JobContext(session, job_id), **args)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("job %s (%s) failed", job_id, job.name if job else "?")
        _finish(session, job_id, JobStatus.FAILED, error=traceback.format_exc()[-ERROR_MAX:])
        return True
    values = {"result": result if isinstance(result, dict) else None,
              "message": f"{time.perf_counter() - started:.1f} s",
              "progress_done": func.coalesce(BackgroundJob.progress_total,
                                             BackgroundJob.progress_done)}
    _finish(session, job_id, JobStatus.FINISHED, **values)
    return True


def next_queued(session: Session, queues=None) -> int | None:
    """Return the id of the oldest queued job (of queues, if given)."""
    stmt = select(BackgroundJob.id).where(BackgroundJob.status == JobStatus.QUEUED)
    if queues:
        stmt = stmt.where(BackgroundJob.queue.in_(queues))
    return session.scalar(stmt.order_by(BackgroundJob.id).limit(1))


def run_queued(session: Session, *, queues=None, limit: int = 10_000) -> int:
    """Run queued jobs oldest first until none is left (or limit); return how many ran."""
    ran = 0
    while ran < limit and (job_id := next_queued(session, queues)) is not None:
        run_job(session, job_id)
        ran += 1
    return ran


def run_after_request(response):
    """Sync mode: run what the request queued, after its commit, before answering."""
    from matchmaker.extensions import db

    if not db.session.info.get(_NEW):  # jobs of an uncommitted transaction wait for it
        run_queued(db.session, limit=MAX_RUNS_PER_REQUEST)
    return response


def perform(job_id: int) -> None:
    """The function an RQ job calls (in `flask jobs worker`, inside the app context)."""
    from matchmaker.extensions import db

    try:
        run_job(db.session, job_id)
    finally:
        db.session.remove()


def periodic(name: str) -> None:
    """Queue the periodic task name (called by the scheduler through RQ)."""
    from matchmaker.extensions import db

    try:
        enqueue(db.session, name)
        db.session.commit()
    finally:
        db.session.remove()


# --- housekeeping ------------------------------------------------------------------------------

STALE_QUEUED = timedelta(minutes=2)
KEEP_FINISHED = timedelta(days=30)


@task("jobs.sweep", every=60, label="Job housekeeping")
def sweep(ctx: JobContext) -> dict:
    """Send again queued jobs that no runner took (Redis was down at commit), fail running
    jobs whose runner died, and forget finished jobs after KEEP_FINISHED."""
    session, now = ctx.session, utcnow()
    resent = lost = 0
    dispatcher = current_app.extensions["jobs"]
    if dispatcher.mode == "rq":
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
        from rq.job import JobStatus as RQStatus

        stale = session.execute(select(BackgroundJob.id, BackgroundJob.queue, BackgroundJob.name)
                                .where(BackgroundJob.status == JobStatus.QUEUED,
                                       BackgroundJob.created_at < now - STALE_QUEUED)).all()
        for job_id, queue, name in stale:
            try:
                waiting = Job.fetch(f"mm-{job_id}", connection=dispatcher.redis()).get_status()
            except NoSuchJobError:
                waiting = None
            if waiting not in (RQStatus.QUEUED, RQStatus.STARTED, RQStatus.DEFERRED):
                spec = TASKS.get(name)
                dispatcher.send(job_id, queue, spec.timeout if spec else 600)
                resent += 1
    for job in session.scalars(select(BackgroundJob).where(
            BackgroundJob.status == JobStatus.RUNNING)):
        spec = TASKS.get(job.name)
        limit = timedelta(seconds=(spec.timeout if spec else 600) + 120)
        beat = job.heartbeat_at or job.started_at
        if beat is not None and _aware(beat) < now - limit:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = "The worker running this job stopped answering (it was stopped or died)."
            lost += 1
    forgotten = session.execute(delete(BackgroundJob).where(
        BackgroundJob.status == JobStatus.FINISHED,
        BackgroundJob.finished_at < now - KEEP_FINISHED)).rowcount
    return {"resent": resent, "lost": lost, "forgotten": forgotten}


def _aware(moment):
    """SQLite returns naive datetimes; they are UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
