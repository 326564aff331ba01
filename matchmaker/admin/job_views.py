"""The operator's background-jobs pages: the list with counts and the status panel, a job's
detail page with live progress (static/js/jobs.js polls the JSON view), retry and run now."""
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from matchmaker.admin import admin_required, bp, operations
from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.jobs import BackgroundJob, JobStatus, find_waiting
from matchmaker.recommendations import weights as weight_settings
from matchmaker.routing import page_number

PER_PAGE = 50
JOB_STATUS = {
    JobStatus.QUEUED: _l("Waiting"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.FINISHED: _l("Finished"),
    JobStatus.FAILED: _l("Failed"),
}
STATUS_STYLE = {JobStatus.QUEUED: "text-bg-secondary", JobStatus.RUNNING: "text-bg-primary",
                JobStatus.FINISHED: "text-bg-success", JobStatus.FAILED: "text-bg-danger"}
# What the numbers in a finished job's result mean (keys the tasks return).
RESULT_LABELS = {
    "sets": _l("match sets written"),
    "changed": _l("listings changed"),
    "removed": _l("listings removed"),
    "generation": _l("generation"),
    "caught_up": _l("sets caught up"),
    "retired_sets": _l("old sets deleted"),
    "resent": _l("jobs sent again"),
    "lost": _l("jobs whose runner died"),
    "forgotten": _l("old jobs deleted"),
    "note": _l("note"),
}


def job_link(job: BackgroundJob) -> Markup:
    """Return a link to the job's page, for flash messages."""
    return Markup('<a class="alert-link" href="{}" data-testid="job-link">{}</a>').format(
        url_for("admin.job", job_id=job.id), _("job #%(id)d", id=job.id))


def flash_html(template: str, category: str, **values) -> None:
    """Flash a translated template (gettext without values) filled with values; they are
    escaped unless they are Markup (links)."""
    flash(escape(template) % values, category)


@bp.app_template_filter("duration")
def format_duration(delta) -> str:
    """Format a timedelta as 4.2 s, 3 min 5 s or 2 h 7 min in the UI language."""
    if delta is None:
        return "—"
    seconds = delta.total_seconds()
    if seconds < 60:
        return _("%(seconds).1f s", seconds=seconds)
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=seconds)
    return _("%(hours)d h %(minutes)d min", hours=minutes // 60, minutes=minutes % 60)


def _template_context() -> dict:
    return {"job_status": JOB_STATUS, "status_style": STATUS_STYLE,
            "result_labels": RESULT_LABELS, "task_label": operations.task_label,
            "error_summary": operations.error_summary,
            "job_duration": operations.job_duration}


@bp.route("/jobs")
@admin_required
def jobs():
    """List the jobs (filtered, newest first) under the status panel and the run-now buttons."""
    names = operations.list_task_names(db.session)
    filters = operations.clean_filters(request.args.get("status", ""),
                                       request.args.get("task", ""), names)
    runnable = operations.list_runnable_tasks()
    page = db.paginate(operations.list_jobs_query(filters), page=page_number(),
                       per_page=PER_PAGE, max_per_page=PER_PAGE)
    return render_template(
        "admin/jobs.html", page=page, filters=filters, names=names,
        counts=operations.count_jobs_by_status(db.session, name=filters.name),
        runnable=runnable, waiting=operations.find_waiting_runs(db.session, runnable),
        matches=operations.get_match_status(db.session),
        last_tuning=weight_settings.find_last_change(db.session),
        runner=operations.get_runner_status(current_app.extensions["jobs"]),
        **_template_context())


@bp.route("/jobs/<int:job_id>")
@admin_required
def job(job_id: int):
    """Show one job; while it runs, static/js/jobs.js follows its progress."""
    row = db.get_or_404(BackgroundJob, job_id)
    creator = db.session.get(User, row.created_by_id) if row.created_by_id else None
    return render_template("admin/job.html", job=row, creator=creator, **_template_context())


@bp.route("/jobs/<int:job_id>.json")
@admin_required
def job_json(job_id: int):
    """Return the job's status, progress, message and error line for jobs.js."""
    row = db.get_or_404(BackgroundJob, job_id)
    state = operations.job_state(row)
    state["status_label"] = str(JOB_STATUS.get(row.status, row.status))
    state["duration"] = format_duration(operations.job_duration(row))
    return jsonify(state)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@admin_required
def retry_job(job_id: int):
    """Queue a failed job again and show its page."""
    row = db.get_or_404(BackgroundJob, job_id)
    try:
        again = operations.retry_job(db.session, row)
    except operations.NotRetryableError:
        db.session.rollback()
        flash_html(_("Only failed jobs can be retried; %(job)s is “%(status)s”."), "warning",
                   job=job_link(row), status=JOB_STATUS[row.status])
        return redirect(url_for("admin.job", job_id=row.id))
    db.session.commit()
    if again.id != row.id:
        flash_html(_("The same job is already waiting as %(job)s; that one will run."), "info",
                   job=job_link(again))
    else:
        flash_html(_("Queued again: %(job)s."), "success", job=job_link(again))
    return redirect(url_for("admin.job", job_id=again.id))


@bp.route("/jobs/run", methods=["POST"])
@admin_required
def run_task():
    """Queue a periodic task by hand, unless a job of it already waits."""
    name = request.form.get("task", "")
    try:
        outcome = operations.run_task_now(db.session, name, user=current_user)
    except operations.UnknownTaskError:
        db.session.rollback()
        flash(_("That task cannot be run by hand."), "danger")
        return redirect(url_for("admin.jobs"))
    db.session.commit()
    label, link = operations.task_label(name), job_link(outcome.job)
    if outcome.was_waiting:
        flash_html(_("“%(task)s” is already waiting to run (%(job)s); it was not queued twice."),
                   "info", task=label, job=link)
    elif outcome.running is not None:
        flash_html(_("“%(task)s” is queued as %(job)s. It starts when the run in progress "
                     "(%(running)s) has finished."), "success", task=label, job=link,
                   running=job_link(outcome.running))
    else:
        flash_html(_("“%(task)s” is queued as %(job)s."), "success", task=label, job=link)
    return redirect(url_for("admin.jobs"))


def queued_rebuild() -> BackgroundJob | None:
    """Return the rebuild job waiting in this transaction (a chain edit queues one)."""
    return find_waiting(db.session, operations.REBUILD)


def flash_rebuild(saved: str, job: BackgroundJob | None) -> None:
    """Flash saved (what the operator did) and that matches are being recomputed, with a link
    to the rebuild job that the change queued."""
    if job is None:
        flash_html(_("%(saved)s Matches are being recomputed in the background; the current "
                     "ones stay visible meanwhile."), "success", saved=saved)
    else:
        flash_html(_("%(saved)s Matches are being recomputed in the background (%(job)s); the "
                     "current ones stay visible meanwhile."), "success", saved=saved,
                   job=job_link(job))
