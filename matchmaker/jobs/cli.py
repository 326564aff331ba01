"""flask jobs …: the worker and scheduler processes of the production stack, and job tools."""
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.jobs.models import BackgroundJob, JobStatus
from matchmaker.jobs.queue import TASKS, enqueue, requeue
from matchmaker.jobs.runner import periodic, run_queued

jobs = AppGroup("jobs", help="Background jobs: worker, scheduler, list, retry.")

DEFAULT_QUEUES = ("matching", "default")


def _worker_class():
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        """RQ's in-process worker whose command listener polls every second: RQ's default
        (60 s) made every worker take a minute to stop, holding up restarts and deploys."""

        def subscribe(self) -> None:
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(
                sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler)

    return Worker


def _dispatcher():
    dispatcher = current_app.extensions["jobs"]
    if dispatcher.mode != "rq":
        raise click.ClickException("set REDIS_URL (JOBS_MODE=rq) to run the RQ worker or "
                                   "scheduler; without Redis the web process runs jobs itself")
    dispatcher.redis().ping()  # fail loudly when Redis is not there
    return dispatcher


@jobs.command("worker")
@click.option("--queue", "queues", multiple=True, default=DEFAULT_QUEUES, show_default=True,
              help="Queues to work on, in priority order (repeat the option).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker(queues: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run an RQ worker. Jobs run in this process, one after the other, so the matcher index
    it holds for the "matching" queue stays warm between jobs."""
    dispatcher = _dispatcher()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    warmups = current_app.extensions.get("job_warmups", {})
    for queue in queues if not burst else ():
        if queue in warmups:
            click.echo(warmups[queue]())
    rq_worker = _worker_class()([dispatcher.rq_queue(q) for q in queues],
                                connection=dispatcher.redis(), name=name)
    rq_worker.work(burst=burst, with_scheduler=False, logging_level="INFO")


@jobs.command("scheduler")
def scheduler() -> None:
    """Run the periodic-job scheduler (RQ's CronScheduler): one per deployment; a second one
    only asks for jobs that are already waiting, which enqueue absorbs."""
    from rq.cron import CronScheduler

    dispatcher = _dispatcher()
    cron = CronScheduler(connection=dispatcher.redis(), logging_level="INFO")
    for spec in TASKS.values():
        if spec.every or spec.cron:
            cron.register(periodic, queue_name="default", args=(spec.name,),
                          interval=spec.every, cron=spec.cron, job_timeout=60, name=spec.name)
    cron.start()


@jobs.command("run")
@click.option("--queue", "queues", multiple=True, help="Only these queues.")
def run(queues: tuple[str, ...]) -> None:
    """Run every queued job now, in this process (no Redis needed)."""
    ran = run_queued(db.session, queues=queues or None)
    click.echo(f"Ran {ran} job(s).")


@jobs.command("enqueue")
@click.argument("name", type=click.Choice(sorted(TASKS)))
def enqueue_command(name: str) -> None:
    """Queue a task by name (it runs as soon as a runner is free)."""
    job = enqueue(db.session, name)
    db.session.commit()
    click.echo(f"Job {job.id} ({name}) is {job.status}.")


@jobs.command("list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@click.option("--limit", default=20, show_default=True)
def list_jobs(status: str | None, limit: int) -> None:
    """Show the latest jobs (failed ones with the last line of their error)."""
    counts = dict(db.session.execute(select(BackgroundJob.status, func.count())
                                     .group_by(BackgroundJob.status)).all())
    click.echo("  ".join(f"{s}: {counts.get(s, 0)}" for s in JobStatus))
    stmt = select(BackgroundJob).order_by(BackgroundJob.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(BackgroundJob.status == status)
    for job in db.session.scalars(stmt):
        line = f"{job.id:>7} {job.name:18} {job.status:9} {job.created_at:%Y-%m-%d %H:%M:%S}"
        if job.percent is not None:
            line += f" {job.percent:3d}%"
        if job.error:
            line += "  " + job.error.strip().splitlines()[-1][:100]
        click.echo(line)


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Queue a failed job again."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    if job.status != JobStatus.FAILED:
        raise click.ClickException(f"job {job_id} is {job.status}, not failed")
    again = requeue(db.session, job)
    db.session.commit()
    click.echo(f"Job {again.id} is queued.")
