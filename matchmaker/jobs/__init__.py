"""Background jobs: RQ on Redis in production, an in-process fallback otherwise (jobs/queue.py)."""
from matchmaker.jobs.models import BackgroundJob, JobStatus
from matchmaker.jobs.queue import (
    TASKS,
    enqueue,
    find_waiting,
    init_app,
    register_warmup,
    requeue,
    task,
)
from matchmaker.jobs.runner import JobContext, run_job, run_queued

__all__ = ["TASKS", "BackgroundJob", "JobContext", "JobStatus", "enqueue", "find_waiting",
           "init_app", "register_warmup", "requeue", "run_job", "run_queued", "task"]
