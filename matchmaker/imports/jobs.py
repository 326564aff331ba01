"""The importer's background tasks: the dry run and the write of an uploaded file.

The file lives in import_batches (the database every process shares), so the worker that
runs the job need not be the web process that received it. The write is one transaction:
its progress is written through a connection of its own on PostgreSQL, so that the page can
follow a transaction it cannot see yet (SQLite, the embedded default, has one writer: there
the progress shows when the job ends).
"""
import logging
import time

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.imports import messages, services
from matchmaker.imports.models import ImportBatch
from matchmaker.imports.reading import FileProblem
from matchmaker.jobs import task
from matchmaker.jobs.models import BackgroundJob
from matchmaker.jobs.runner import PROGRESS_EVERY
from matchmaker.types import utcnow

log = logging.getLogger(__name__)
PLAN_TASK = "imports.plan"
APPLY_TASK = "imports.apply"


def _user(session, batch: ImportBatch):
    """Return who the import acts as: its uploader (the platform itself if none is kept)."""
    user = session.get(User, batch.created_by_id) if batch.created_by_id else None
    return user if user is not None else permissions.SYSTEM


def _committing_progress(ctx):
    """Progress for a task that may commit as it goes (the dry run writes nothing else)."""
    def report(done: int, total: int) -> None:
        before = ctx._last
        ctx.progress(done, total)
        if ctx._last != before:
            ctx.session.commit()
    return report


def _outside_progress(ctx):
    """Return report(done, total) that writes the job's progress outside the job's own
    transaction where the database allows it (PostgreSQL), so the page sees it while the
    write runs. The job's transaction must then never touch the job's row itself, or the two
    would wait on each other; a lock that cannot be had at once is skipped, not waited for.
    SQLite (one writer) and a session bound to a connection (the tests') write through the
    job's session: the figures show when the job ends."""
    bind = ctx.session.get_bind()
    if bind.dialect.name == "sqlite" or isinstance(bind, Connection):
        return lambda done, total: ctx.progress(done, total)
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = now
        try:
            with bind.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '1s'"))
                connection.execute(update(BackgroundJob).where(BackgroundJob.id == ctx.job_id)
                                   .values(progress_done=done, progress_total=total,
                                           heartbeat_at=utcnow()))
        except OperationalError:
            log.warning("imports: progress of job %s not written", ctx.job_id, exc_info=True)
    return report


@task(PLAN_TASK, timeout=1800, label="Import: dry run of an uploaded file")
def plan_batch(ctx, batch_id: int) -> dict:
    session = ctx.session
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.status != "planning":
        return {"skipped": True}
    try:
        plan = services.run_dry(session, batch.content, batch.kind, _user(session, batch),
                                locale=batch.locale, progress=_committing_progress(ctx))
    except FileProblem as problem:
        with force_locale(batch.locale):
            batch.error = messages.file_problem(problem)
        batch.status = "failed"
        return {"failed": problem.code}
    except Exception as error:
        log.exception("imports: the dry run of batch %s failed", batch_id)
        session.rollback()
        batch = session.get(ImportBatch, batch_id)
        with force_locale(batch.locale):
            batch.error = _("The file could not be checked: %(reason)s",
                            reason=(str(error).splitlines() or [type(error).__name__])[0][:300])
        batch.status = "failed"
        return {"failed": True}
    batch.plan = plan.stored()
    batch.status = "planned"
    return plan.stored()["counts"]


@task(APPLY_TASK, timeout=3600, label="Import: write a confirmed file")
def apply_batch(ctx, batch_id: int) -> dict:
    session = ctx.session
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.status != "applying":
        return {"skipped": True}
    decisions = dict(batch.decisions or {})
    default = decisions.pop("*", "skip")
    user = _user(session, batch)
    try:
        report = _outside_progress(ctx)  # the check, then the write: 2 × rows in all
        plan = services.run_dry(session, batch.content, batch.kind, user, locale=batch.locale,
                                progress=lambda done, total: report(done, 2 * total))
        rows = len(plan.rows)
        changed = services.changed_since((batch.plan or {}).get("rows", []), plan)
        if changed:
            raise services.ListingsChanged(changed)
        with force_locale(batch.locale):
            counts = services.apply_import(
                session, plan, user, decisions=decisions, default=default,
                progress=lambda done, _total: report(rows + done, 2 * rows))
    except Exception as error:  # noqa: BLE001  (whatever stops it, nothing is kept)
        session.rollback()
        batch = session.get(ImportBatch, batch_id)
        with force_locale(batch.locale):
            if isinstance(error, services.ListingsChanged):
                reason = _("The listings changed since the check (rows %(rows)s): check the "
                           "file again and confirm anew.",
                           rows=", ".join(map(str, error.rows[:20])))
            elif isinstance(error, services.ImportAborted):
                reason = _("Row %(row)d: %(reason)s", row=error.row, reason=error.message)
            elif isinstance(error, FileProblem):
                reason = messages.file_problem(error)
            else:
                reason = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
            batch.error = _("Nothing was imported. %(reason)s", reason=reason)
        batch.status = "failed"
        return {"failed": True}
    batch.result = counts
    batch.status = "applied"
    batch.applied_at = utcnow()
    return counts



# 00:40 UTC, 08:40 Beijing time, after the night's other housekeeping.
@task("imports.erase_old_batches", cron="40 0 * * *",
      label="Erase import files past their retention")
def erase_old_batches_job(ctx) -> dict:
    """Delete the import batches older than IMPORT_RETENTION_DAYS."""
    days = current_app.config["IMPORT_RETENTION_DAYS"]
    return {"erased": services.erase_old_batches(ctx.session, days=days), "days": days}
