"""Tasks that exist only for the tests (loaded through MATCHMAKER_JOB_MODULES or by import)."""
import os
import socket
import time

from flask import current_app

from matchmaker.jobs import JobContext, task


@task("tests.fail", unique=False)
def fail(ctx: JobContext, message: str = "boom") -> None:
    """Always fail."""
    raise RuntimeError(message)


@task("tests.progress")
def progress(ctx: JobContext, steps: int = 4) -> dict:
    """Report progress in steps."""
    for done in range(1, steps + 1):
        ctx.progress(done, steps, f"step {done}", force=True)
    return {"steps": steps}


@task("tests.count", unique=False)
def count(ctx: JobContext, run: str, pause: float = 0.05) -> dict:
    """Count each execution of this job in Redis (key per run and job), slowly enough for two
    workers to race for the same job."""
    redis = current_app.extensions["jobs"].redis()
    redis.incr(f"matchmaker-test:{run}:{ctx.job_id}")
    time.sleep(pause)
    return {"worker": f"{socket.gethostname()}:{os.getpid()}"}
