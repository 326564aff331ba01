"""Asking for background work: the task registry, enqueue, and dispatch after commit.

A job is a row of background_jobs written in the caller's transaction (an outbox): it exists
exactly when the change that asked for it committed. After the commit the dispatcher hands it
to a runner, by JOBS_MODE:

  rq      RQ on Redis (production): an RQ job per row, run by `flask jobs worker` processes.
  thread  the embedded default without Redis: one thread of the web process runs queued rows.
  sync    the test suite: queued rows run at the end of the request (or when a test calls
          run_queued), in the same session, one after the other.
"""
import hashlib
import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.jobs.models import BackgroundJob, JobStatus

log = logging.getLogger(__name__)

PERFORM = "matchmaker.jobs.runner.perform"  # what an RQ job calls, with the row id
_NEW = "matchmaker.jobs.new"  # session.info key: jobs written in the open transaction


@dataclass(frozen=True)
class Task:
    """A kind of background work: a function, the queue that runs it and its schedule."""

    name: str
    func: Callable
    queue: str = "default"
    timeout: int = 600  # seconds a run may take before the runner is stopped
    unique: bool = True  # one waiting job per (name, args): asking again returns it
    every: int | None = None  # run periodically, every so many seconds
    cron: str | None = None  # or on a cron schedule (UTC)
    label: str = ""  # shown to operators


TASKS: dict[str, Task] = {}


def task(name: str, **options) -> Callable:
    """Register func(ctx, **args) as the task name (see Task for the options)."""

    def register(func: Callable) -> Callable:
        TASKS[name] = Task(name, func, **options)
        return func

    return register


def _key(name: str, args: dict) -> str:
    text = json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)
    return f"{name}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def find_waiting(session: Session, name: str, **args) -> BackgroundJob | None:
    """Return the queued job of name with these args, if one waits."""
    return session.scalar(select(BackgroundJob).where(BackgroundJob.key == _key(name, args),
                                                      BackgroundJob.status == JobStatus.QUEUED))


def enqueue(session: Session, name: str, *, user=None, **args) -> BackgroundJob:
    """Ask for task name to run with args once the session's transaction commits.

    A unique task that already waits with the same args is not asked twice: the waiting job
    is returned. Raises KeyError for an unknown task (a programming error).
    """
    spec = TASKS[name]
    key = _key(name, args) if spec.unique else None
    if key and (waiting := find_waiting(session, name, **args)):
        return waiting
    job = BackgroundJob(name=name, key=key, args=args, queue=spec.queue, status=JobStatus.QUEUED,
                        created_by_id=getattr(user, "id", None))
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another transaction queued the same job in between
        return find_waiting(session, name, **args)
    session.info.setdefault(_NEW, []).append((job.id, spec.queue, spec.timeout))
    return job


def requeue(session: Session, job: BackgroundJob) -> BackgroundJob:
    """Queue a failed job again (an operator's retry); return the job that will run."""
    if job.status != JobStatus.FAILED:
        return job
    if job.key and (waiting := find_waiting(session, job.name, **job.args)):
        return waiting
    job.status, job.error, job.message = JobStatus.QUEUED, "", ""
    job.progress_done, job.progress_total, job.finished_at = 0, None, None
    session.flush()
    spec = TASKS.get(job.name)
    session.info.setdefault(_NEW, []).append((job.id, job.queue, spec.timeout if spec else 600))
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    entries = session.info.pop(_NEW, None)
    if entries and has_app_context() and "jobs" in current_app.extensions:
        current_app.extensions["jobs"].dispatch(entries)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_NEW, None)


def due(spec: Task, last: float | None, now: float) -> bool:
    """Return whether a periodic task last run at last (epoch seconds) is due at now."""
    if last is None:
        return True
    if spec.every:
        return now - last >= spec.every
    if spec.cron:
        start = datetime.fromtimestamp(last, UTC)
        return croniter(spec.cron, start).get_next(float) <= now
    return False


class Dispatcher:
    """Hands committed jobs to their runner (see the module docstring for the modes)."""

    def __init__(self, app: Flask):
        self.app = app
        self.mode = app.config["JOBS_MODE"]
        self._redis = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._lock = threading.Lock()

    def redis(self):
        """Return the Redis connection (rq mode)."""
        if self._redis is None:
            from redis import Redis

            self._redis = Redis.from_url(self.app.config["REDIS_URL"])
        return self._redis

    def rq_queue(self, name: str):
        from rq import Queue

        return Queue(name, connection=self.redis())

    def dispatch(self, entries: list[tuple[int, str, int]]) -> None:
        """Hand the jobs (id, queue, timeout) that just committed to their runner."""
        if self.mode == "rq":
            for job_id, queue, timeout in entries:
                self.send(job_id, queue, timeout)
        elif self.mode == "thread":
            self.start_thread()
            self._wake.set()

    def send(self, job_id: int, queue: str, timeout: int) -> None:
        """Put one job on its RQ queue; a Redis failure is logged and left to the sweep."""
        from redis.exceptions import RedisError

        try:
            self.rq_queue(queue).enqueue(PERFORM, job_id, job_id=f"mm-{job_id}",
                                         job_timeout=timeout, result_ttl=600,
                                         failure_ttl=7 * 86400)
        except RedisError:
            log.warning("jobs: cannot reach Redis for job %s; the sweep will send it again",
                        job_id, exc_info=True)

    # --- the embedded runner (thread mode) ---------------------------------------------------

    def start_thread(self) -> None:
        """Start the in-process runner once (thread mode)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="matchmaker-jobs",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        from matchmaker.extensions import db
        from matchmaker.jobs.runner import run_queued

        last: dict[str, float] = {}
        while True:
            self._wake.wait(timeout=5)
            self._wake.clear()
            with self.app.app_context():
                try:
                    now = time.time()
                    for spec in TASKS.values():
                        if spec.cron and spec.name not in last:
                            last[spec.name] = now  # a nightly task waits for its hour
                        if (spec.every or spec.cron) and due(spec, last.get(spec.name), now):
                            last[spec.name] = now
                            enqueue(db.session, spec.name)
                    db.session.commit()
                    run_queued(db.session)
                except Exception:
                    log.exception("jobs: the in-process runner failed; it goes on")
                    db.session.rollback()
                finally:
                    db.session.remove()


def register_warmup(app: Flask, queue: str, warm: Callable[[], str]) -> None:
    """Have a long-running worker of queue call warm() before its first job (a feature loads
    what its jobs keep in memory; jobs sits below the features, so they register here).

    warm runs in the app context and returns a line for the worker's log.
    """
    app.extensions.setdefault("job_warmups", {})[queue] = warm


def init_app(app: Flask) -> None:
    """Choose the job mode: rq with REDIS_URL, else the in-process thread (sync in tests)."""
    mode = app.config.get("JOBS_MODE") or ("rq" if app.config.get("REDIS_URL") else "thread")
    if mode not in ("rq", "thread", "sync"):
        raise RuntimeError(f"JOBS_MODE must be rq, thread or sync, not {mode!r}")
    if mode == "rq" and not app.config.get("REDIS_URL"):
        raise RuntimeError("JOBS_MODE=rq needs REDIS_URL")
    app.config["JOBS_MODE"] = mode
    app.extensions["jobs"] = Dispatcher(app)
    for module in app.config.get("JOB_MODULES", ()):
        importlib.import_module(module)
    if mode == "sync":
        from matchmaker.jobs.runner import run_after_request

        app.after_request(run_after_request)
    elif mode == "thread":
        @app.before_request
        def _start_runner() -> None:
            app.extensions["jobs"].start_thread()
