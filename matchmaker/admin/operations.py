"""What the operator's background-jobs page reads and does.

Lists and counts of background jobs, retrying a failed one, queueing a periodic task by hand,
whether the stored matches are current, and whether anything runs the jobs. Plain functions
over a session that flush at most; the views (job_views.py) own the transaction.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matchmaker.domain import Side
from matchmaker.errors import MatchmakerError
from matchmaker.jobs import TASKS, BackgroundJob, JobStatus, enqueue, find_waiting, requeue
from matchmaker.jobs.queue import Task
from matchmaker.recommendations.models import MatchGeneration
from matchmaker.recommendations.store import current_generation, stale_ids
from matchmaker.types import utcnow

REBUILD, REFRESH = "matches.rebuild", "matches.refresh"

# The labels tasks register with @task(label=...), listed so that pybabel extracts them; pages
# translate a task's label at run time (task_label), so a new task adds its label here.
TASK_LABELS = (_l("Refresh stored matches"), _l("Rebuild all matches"), _l("Job housekeeping"),
               _l("Expire NDAs past their date"), _l("Deal reminders and escalations"),
               _l("E-mail a notification"), _l("Account e-mail"),
               _l("Post a notification to a WeCom group"), _l("WeCom test message"),
               _l("Weekly digest of new matches"),
               _l("Erase handled contact requests past their retention"),
               _l("Import: dry run of an uploaded file"), _l("Import: write a confirmed file"),
               _l("Erase import files past their retention"))


class UnknownTaskError(MatchmakerError):
    """The task does not exist or cannot be run by hand (it is not periodic)."""


class NotRetryableError(MatchmakerError):
    """Only failed jobs can be retried."""


# --- reading jobs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobFilters:
    status: str = ""
    name: str = ""


def task_label(name: str) -> str:
    """Return the task's label in the UI language (its name when it has none)."""
    spec = TASKS.get(name)
    return gettext(spec.label) if spec is not None and spec.label else name


def list_task_names(session: Session) -> list[str]:
    """Return the names of the registered tasks and of every task that has jobs."""
    seen = set(session.scalars(select(BackgroundJob.name).distinct()))
    return sorted(seen | set(TASKS))


def clean_filters(status: str, name: str, names: list[str]) -> JobFilters:
    """Return the filters with values that cannot apply dropped."""
    return JobFilters(status=status if status in JobStatus.__members__.values() else "",
                      name=name if name in names else "")


def list_jobs_query(filters: JobFilters) -> Select:
    """Return a SELECT of the jobs that match filters, newest first."""
    stmt = select(BackgroundJob).order_by(BackgroundJob.created_at.desc(),
                                          BackgroundJob.id.desc())
    if filters.status:
        stmt = stmt.where(BackgroundJob.status == filters.status)
    if filters.name:
        stmt = stmt.where(BackgroundJob.name == filters.name)
    return stmt


def count_jobs_by_status(session: Session, *, name: str = "") -> dict[str, int]:
    """Return how many jobs (of task name, if given) are in each status, zeros included."""
    stmt = select(BackgroundJob.status, func.count()).group_by(BackgroundJob.status)
    if name:
        stmt = stmt.where(BackgroundJob.name == name)
    counts = dict(session.execute(stmt).all())
    return {status.value: counts.get(status.value, 0) for status in JobStatus}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; they are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def job_duration(job: BackgroundJob, *, now: datetime | None = None) -> timedelta | None:
    """Return how long the job ran (so far, while it runs); None before it started."""
    started = _aware(job.started_at)
    if started is None:
        return None
    end = _aware(job.finished_at) if job.is_done else None
    return max(timedelta(0), (end or now or utcnow()) - started)


def error_summary(error: str) -> str:
    """Return the last non-empty line of a traceback: the exception and its message."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def job_state(job: BackgroundJob) -> dict:
    """Return what a page polling the job needs (the JSON of /admin/jobs/<id>.json)."""
    duration = job_duration(job)
    return {"id": job.id, "name": job.name, "status": job.status, "is_done": job.is_done,
            "percent": job.percent, "done": job.progress_done, "total": job.progress_total,
            "message": job.message, "error": error_summary(job.error),
            "attempts": job.attempts,
            "duration_seconds": round(duration.total_seconds(), 1) if duration else None}


def find_running(session: Session, name: str) -> BackgroundJob | None:
    """Return the oldest running job of task name, if one runs."""
    return session.scalar(select(BackgroundJob)
                          .where(BackgroundJob.name == name,
                                 BackgroundJob.status == JobStatus.RUNNING)
                          .order_by(BackgroundJob.id).limit(1))


# --- acting on jobs -----------------------------------------------------------------------------

def list_runnable_tasks() -> list[Task]:
    """Return the tasks an operator may queue by hand: the periodic ones (they take no args)."""
    return sorted((spec for spec in TASKS.values() if spec.every or spec.cron),
                  key=lambda spec: spec.name)


def find_waiting_runs(session: Session, tasks: list[Task]) -> dict[str, BackgroundJob | None]:
    """Return, for each task, its job that waits to run (None when none waits)."""
    return {spec.name: find_waiting(session, spec.name) for spec in tasks}


@dataclass(frozen=True)
class RunNow:
    """What "run now" did: the job that will run, whether it was already waiting, and the
    job of the same task running at the moment (the new one starts after it)."""

    job: BackgroundJob
    was_waiting: bool
    running: BackgroundJob | None = None


def run_task_now(session: Session, name: str, *, user) -> RunNow:
    """Queue the periodic task name by hand; a job of it that already waits is not doubled."""
    if name not in {spec.name for spec in list_runnable_tasks()}:
        raise UnknownTaskError(name)
    waiting = find_waiting(session, name)
    if waiting is not None:
        return RunNow(waiting, was_waiting=True)
    running = find_running(session, name)
    job = enqueue(session, name, user=user)
    # enqueue returns another transaction's job when one was queued in between (a scheduler
    # tick, a second operator): that one was not made by this call.
    return RunNow(job, was_waiting=job.created_by_id != getattr(user, "id", None),
                  running=running)


def retry_job(session: Session, job: BackgroundJob) -> BackgroundJob:
    """Queue the failed job again; return the job that will run (an identical waiting job
    when there is one). Raise NotRetryableError for a job that did not fail."""
    if job.status != JobStatus.FAILED:
        raise NotRetryableError(job.id)
    return requeue(session, job)


# --- are the matches current? -------------------------------------------------------------------

@dataclass(frozen=True)
class MatchStatus:
    """Whether the stored matches are current, for the operator's status panel."""

    generation: MatchGeneration | None
    stale: dict[Side, int] = field(default_factory=dict)  # listings with a missing or old set
    rebuild_waiting: BackgroundJob | None = None
    rebuild_running: BackgroundJob | None = None
    refresh_waiting: BackgroundJob | None = None
    refresh_running: BackgroundJob | None = None

    @property
    def stale_total(self) -> int:
        return sum(self.stale.values())

    @property
    def is_current(self) -> bool:
        return self.generation is not None and self.stale_total == 0


def get_match_status(session: Session) -> MatchStatus:
    """Return the current generation, how many listings wait for matches, and the rebuild
    and refresh jobs that wait or run."""
    generation = current_generation(session)
    stale = ({side: len(stale_ids(session, generation.id, side)) for side in Side}
             if generation is not None else {})
    return MatchStatus(generation, stale,
                       rebuild_waiting=find_waiting(session, REBUILD),
                       rebuild_running=find_running(session, REBUILD),
                       refresh_waiting=find_waiting(session, REFRESH),
                       refresh_running=find_running(session, REFRESH))


# --- who runs the jobs? -------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    queues: tuple[str, ...]
    last_heartbeat: datetime | None
    current_job: str | None


@dataclass(frozen=True)
class RunnerStatus:
    """How jobs are run: the mode, and in RQ mode the live workers and queue lengths (error
    says why they could not be read)."""

    mode: str
    workers: list[WorkerInfo] = field(default_factory=list)
    queues: dict[str, int] = field(default_factory=dict)
    error: str = ""


def job_queues() -> list[str]:
    """Return the queues the registered tasks use."""
    return sorted({spec.queue for spec in TASKS.values()})


def get_runner_status(dispatcher) -> RunnerStatus:
    """Return how the dispatcher runs jobs; in RQ mode ask Redis for workers and queues."""
    if dispatcher.mode != "rq":
        return RunnerStatus(dispatcher.mode)
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    try:
        connection = dispatcher.redis()
        workers = [WorkerInfo(w.name, str(w.get_state()), tuple(w.queue_names()),
                              _aware(w.last_heartbeat), w.get_current_job_id())
                   for w in Worker.all(connection=connection)]
        queues = {name: Queue(name, connection=connection).count for name in job_queues()}
    except RedisError as error:
        return RunnerStatus("rq", error=f"{type(error).__name__}: {error}")
    return RunnerStatus("rq", sorted(workers, key=lambda w: w.name), queues)
