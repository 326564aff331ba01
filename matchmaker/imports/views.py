"""The bulk import pages: templates, upload, the dry run's report, confirm, progress."""
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.errors import NotFoundError
from matchmaker.extensions import db, limiter
from matchmaker.forms_common import flash_form_errors
from matchmaker.imports import messages, services, workbooks
from matchmaker.imports.columns import KINDS
from matchmaker.imports.forms import ConfirmForm, UploadForm
from matchmaker.imports.jobs import APPLY_TASK, PLAN_TASK
from matchmaker.imports.models import ImportBatch
from matchmaker.imports.reading import FileProblem, read_file
from matchmaker.jobs import enqueue
from matchmaker.jobs.models import BackgroundJob
from matchmaker.templating import current_language

bp = Blueprint("imports", __name__, url_prefix="/imports")
REPORT_ROWS_SHOWN = 300  # rows listed on the page; the xlsx report has them all
_RESULT_HEADS = {"zh": ("结果", "说明"), "en": ("Result", "Details")}


def _kinds() -> list[str]:
    kinds = [k for k in KINDS if permissions.may_import(current_user, k)]
    if not kinds:
        raise NotFoundError("import")
    return kinds


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFoundError(batch_id)
    permissions.require(current_user, permissions.Action.VIEW, batch)
    return batch


def _job(batch: ImportBatch) -> BackgroundJob | None:
    """Return the batch's job; a job that died without saying so fails its batch (a worker
    killed, a timeout), so that the page stops waiting."""
    job = db.session.get(BackgroundJob, batch.job_id) if batch.job_id else None
    if job is not None and job.status == "failed" and batch.status in ("planning", "applying"):
        batch.status = "failed"
        batch.error = _("The import stopped unexpectedly; nothing was imported. Upload the file "
                        "again, or ask an operator to look at job #%(id)d.", id=job.id)
        db.session.commit()
    return job


@bp.route("/")
@login_required
def index():
    kinds = _kinds()
    form = UploadForm()
    form.set_kinds(kinds)
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(20)
    if not permissions.is_admin(current_user):
        stmt = stmt.where(ImportBatch.created_by_id == current_user.id)
    return render_template("imports/index.html", form=form, kinds=kinds,
                           batches=db.session.scalars(stmt).all(), kind_labels=messages.KINDS,
                           status_labels=messages.BATCH_STATUS,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
                           max_rows=current_app.config["IMPORT_MAX_ROWS"])


@bp.route("/template/<kind>.<fmt>")
@login_required
def template(kind: str, fmt: str):
    """Download the blank template of kind as xlsx, or as CSV (?encoding=gbk for GBK)."""
    if kind not in _kinds() or fmt not in ("xlsx", "csv"):
        raise NotFoundError(kind)
    if fmt == "xlsx":
        body = workbooks.template_xlsx(kind, services.allowed_values(db.session, kind))
        mimetype = workbooks.XLSX_TYPE
    else:
        gbk = request.args.get("encoding") == "gbk"
        body = workbooks.template_csv(kind, "gb18030" if gbk else "utf-8-sig")
        mimetype = f"text/csv; charset={'gb18030' if gbk else 'utf-8'}"
    suffix = "-gbk" if fmt == "csv" and request.args.get("encoding") == "gbk" else ""
    name = f"matchmaker-{kind}-template{suffix}.{fmt}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/upload", methods=["POST"])
@login_required
@limiter.limit("60 per hour")
def upload():
    """Keep the file in the database and start its dry run in the background."""
    kinds = _kinds()
    form = UploadForm()
    form.set_kinds(kinds)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("imports.index"))
    limit = current_app.config["IMPORT_MAX_BYTES"]
    content = form.file.data.read(limit + 1)
    if len(content) > limit:
        flash(messages.file_problem(FileProblem("too_large", mb=max(1, limit // 2**20))),
              "danger")
        return redirect(url_for("imports.index"))
    name = (form.file.data.filename or "upload")[-200:]
    batch = ImportBatch(kind=form.kind.data, filename=name, size=len(content), content=content,
                        locale=current_language(), status="planning",
                        created_by_id=current_user.id)
    db.session.add(batch)
    db.session.flush()
    batch.job_id = enqueue(db.session, PLAN_TASK, user=current_user, batch_id=batch.id).id
    db.session.commit()
    return redirect(url_for("imports.batch", batch_id=batch.id))


@bp.route("/<int:batch_id>")
@login_required
def batch(batch_id: int):
    row = _batch(batch_id)
    plan = row.plan if row.status in ("planned", "applying", "applied") else None
    shown = []
    if plan:
        shown = [r for r in plan["rows"] if r["outcome"] != "create"][:REPORT_ROWS_SHOWN]
    return render_template("imports/batch.html", batch=row, plan=plan, shown=shown,
                           job=_job(row), form=ConfirmForm(), outcomes=messages.OUTCOMES,
                           applied=messages.APPLIED, decisions=messages.DECISIONS,
                           kind_labels=messages.KINDS, shown_max=REPORT_ROWS_SHOWN)


@bp.route("/<int:batch_id>.json")
@login_required
def batch_json(batch_id: int):
    """The state of the batch's job, for static/js/jobs.js."""
    row = _batch(batch_id)
    job = _job(row)
    done = row.status in ("planned", "applied", "failed")
    state = {"id": row.id, "status": "finished" if done else (job.status if job else "queued"),
             "is_done": done, "percent": job.percent if job else None,
             "done": job.progress_done if job else 0, "total": job.progress_total if job else None,
             "message": "", "error": row.error, "duration": "",
             "status_label": _("Done") if done else _("Working…")}
    return state


@bp.route("/<int:batch_id>/report.xlsx")
@login_required
def report(batch_id: int):
    """The dry run's report as xlsx: every row, its result, the problems marked."""
    row = _batch(batch_id)
    if not row.plan:
        raise NotFoundError(batch_id)
    sheet = read_file(row.content, row.kind, max_rows=10**7)
    by_row = {r["row"]: r for r in row.plan["rows"]}
    index_of = {key: i for i, key in sheet.headers.columns.items()}
    rows = []
    for number, cells in sheet.rows:
        found = by_row.get(number)
        if found is None:
            continue
        marks = [workbooks.Mark(index_of.get(e["column"]), e["message"]) for e in found["errors"]]
        details = [e["message"] for e in found["errors"]] + list(found["notes"])
        if found.get("changes"):
            columns = row.plan["columns"]
            details.append(_("Changes: %(columns)s", columns=", ".join(
                columns.get(c, c) for c in found["changes"])))
        if found["duplicate"]:
            text = _duplicate_text(found["duplicate"])
            details.append(text)
            marks.append(workbooks.Mark(index_of.get("title"), text, "duplicate"))
        rows.append((number, cells, str(messages.OUTCOMES[found["outcome"]]),
                     "\n".join(details), marks))
    body = workbooks.report_xlsx(sheet.header_cells, rows,
                                 result_heads=_RESULT_HEADS[current_language()])
    return Response(body, mimetype=workbooks.XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=import-{row.id}-report.xlsx"})


def _duplicate_text(duplicate: dict) -> str:
    if "row" in duplicate:
        return _("Likely duplicate of row %(row)d of this file: “%(title)s” (%(score)d %%).",
                 row=duplicate["row"], title=duplicate["title"], score=duplicate["score"])
    return _("Likely duplicate of #%(id)d “%(title)s” of %(org)s (%(score)d %%).",
             id=duplicate["id"], title=duplicate["title"], org=duplicate["organisation"],
             score=duplicate["score"])


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@login_required
@limiter.limit("60 per hour")
def confirm(batch_id: int):
    """Write the dry run's valid rows, with the user's choice for each likely duplicate."""
    row = _batch(batch_id)
    permissions.require(current_user, permissions.Action.EDIT, row)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("imports.batch", batch_id=row.id))
    if row.status != "planned":
        flash(_("This import is not waiting for a confirmation."), "warning")
        return redirect(url_for("imports.batch", batch_id=row.id))
    decisions = {"*": form.all_duplicates.data or "skip"}
    if not form.all_duplicates.data:
        for plan_row in row.plan["rows"]:
            choice = request.form.get(f"decision-{plan_row['row']}", "")
            if plan_row["outcome"] == "duplicate" and choice in services.DECISIONS:
                decisions[str(plan_row["row"])] = choice
    row.decisions = decisions
    row.status = "applying"
    row.job_id = enqueue(db.session, APPLY_TASK, user=current_user, batch_id=row.id).id
    db.session.commit()
    return redirect(url_for("imports.batch", batch_id=row.id))


def _list_action(kind: str) -> dict | None:
    """The "import from a file" button on the outputs' and needs' lists, for who may."""
    if not permissions.may_import(current_user, kind):
        return None
    return {"url": url_for("imports.index")}


def register(app) -> None:
    """Register the blueprint, the duplicate text and the lists' import button."""
    from matchmaker.blocks import register_block

    app.register_blueprint(bp)
    app.jinja_env.globals["import_duplicate_text"] = _duplicate_text
    register_block(app, "imports-list-action", "listing-list-actions",
                   "imports/_list_action.html", _list_action)
