"""Pages of the dashboard: the dashboard (targets, charts, tables), the gaps, the targets
editor, the exports and the monthly report. Views are thin: the figures come from actuals,
charts and gaps; the tables from tables; writes go through services."""
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.chains.models import Chain
from matchmaker.dashboard import (
    actuals,
    charts,
    export,
    gaps,
    kpi,
    labels,
    metrics,
    report,
    services,
)
from matchmaker.dashboard import tables as build
from matchmaker.dashboard.forms import TargetForm
from matchmaker.dashboard.models import YEAR_MAX, YEAR_MIN
from matchmaker.errors import PermissionDeniedError, StaleObjectError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.money import plain_number
from matchmaker.permissions import Action
from matchmaker.pipeline import clock
from matchmaker.templating import current_language

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.app_template_filter("kpi_number")
def kpi_number(value) -> str:
    """Return a target or actual as people read it (thousands grouped, no trailing zeros)."""
    return "—" if value is None else format_decimal(value, format="#,##0.####")


@bp.app_template_filter("format_month")
def format_month(day) -> str:
    """Return the month of day: 「2026年11月」, "November 2026"."""
    return format_date(day, "MMMM y" if current_language() == "en" else "y年M月")


@dataclass(frozen=True)
class Page:
    """A dashboard page, for permissions (kind "dashboard")."""

    name: str
    permission_kind = "dashboard"


def _require(name: str) -> None:
    if not permissions.can(current_user, Action.VIEW, Page(name)):
        raise PermissionDeniedError(name)


def _year() -> int:
    """Return the year asked for (?year=), else the current business year."""
    year = request.args.get("year", type=int)
    return year if year is not None and YEAR_MIN <= year <= YEAR_MAX else clock.today().year


def _period(year: int) -> actuals.Period:
    return actuals.Period(year, clock.now())


def chart_tables(year: int) -> list[build.ChartTable]:
    """Return the dashboard's five charts as tables, for the year."""
    period, quality = _period(year), gaps.gap_quality()
    funnel, lost = charts.funnel(db.session)
    return [build.funnel_table(funnel, lost),
            build.chain_table(charts.per_chain(db.session, period), year),
            build.monthly_table(charts.monthly(db.session, period), year),
            build.stage_days_table(charts.median_days(db.session, period), year),
            build.heatmap_table(charts.heatmap(db.session, quality=quality), quality)]


def kpi_rows(year: int):
    return actuals.progress_rows(db.session, _period(year), services.list_targets(db.session,
                                                                                 year))


@bp.route("/")
@login_required
def index():
    _require("dashboard")
    year = _year()
    rows = kpi_rows(year)
    return render_template("dashboard/index.html", year=year, rows=rows,
                           kpi=build.kpi_table(rows, year), tables=chart_tables(year),
                           share=kpi.year_share(year, clock.now()),
                           tolerance=kpi.TOLERANCE, dash_labels=labels,
                           may_edit=permissions.is_admin(current_user))


def _send(table_list: list[build.ChartTable], name: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(export.table_csv(table_list[0]), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return Response(export.workbook_bytes(table_list), headers={
        "Content-Disposition": f"attachment; filename={name}.xlsx"},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/export/<key>.<fmt>")
@login_required
def export_table(key: str, fmt: str):
    """One chart's table (or the targets table, or a gaps list) as CSV or xlsx."""
    _require("gaps" if key.startswith("gaps_") else "dashboard")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    year = _year()
    if key == "kpi":
        table = build.kpi_table(kpi_rows(year), year)
    elif key.startswith("gaps_"):
        table = next((t for t in report.gap_tables(db.session, _chain())
                      if t.key == key), None)
    else:
        table = next((t for t in chart_tables(year) if t.key == key), None)
    if table is None:
        abort(404)
    return _send([table], f"{key}-{year}", fmt)


# --- gaps ----------------------------------------------------------------------------------------

def _chain() -> Chain | None:
    key = request.args.get("chain", "")[:40]
    return db.session.scalar(select(Chain).where(Chain.key == key)) if key else None


@bp.route("/gaps")
@login_required
def gaps_page():
    _require("gaps")
    chain = _chain()
    found = gaps.find_gaps(db.session, chain_id=chain.id if chain else None)
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    return render_template("dashboard/gaps.html", gaps=found, chain=chain, chains=chains)


# --- targets editor --------------------------------------------------------------------------------

def _require_operator() -> None:
    if not permissions.is_admin(current_user):
        raise PermissionDeniedError("targets")


@bp.route("/targets")
@login_required
def targets():
    _require_operator()
    year = _year()
    years = sorted(set(services.list_target_years(db.session)) | {clock.today().year,
                                                                  clock.today().year + 1})
    return render_template("dashboard/targets.html", year=year, years=years,
                           metrics=metrics.METRICS, dash_labels=labels,
                           targets=services.list_targets(db.session, year))


@bp.route("/targets/<int:year>/<metric>", methods=["GET", "POST"])
@login_required
def edit_target(year: int, metric: str):
    _require_operator()
    if metrics.get_metric(metric) is None or not YEAR_MIN <= year <= YEAR_MAX:
        abort(404)
    current = services.find_target(db.session, year, metric)
    form = TargetForm(data={"version": current.version, "target": plain_number(current.target),
                            "note": current.note} if current else {})
    if form.validate_on_submit() and _save_target(form, year, metric):
        return redirect(url_for("dashboard.targets", year=year))
    return render_template("dashboard/target_edit.html", form=form, year=year, metric=metric,
                           current=current, dash_labels=labels, unit=metrics.BY_KEY[metric].unit)


def _save_target(form: TargetForm, year: int, metric: str) -> bool:
    """Save the target; put refusals on the form's fields; commit on success."""
    data = services.TargetData(year, metric, form.target.parsed, form.note.data or "")
    try:
        services.set_target(db.session, data, actor=current_user, version=form.version.data)
    except StaleObjectError:
        db.session.rollback()
        form.form_errors.append(_("Someone else changed this target after you opened the "
                                  "page. It now shows their value: check it and save again."))
        _refresh(form, year, metric)
        return False
    except ValidationFailedError as error:
        db.session.rollback()
        for name, message in error.reasons.items():
            target_field = form[name] if name in form._fields else form.target
            target_field.errors = [*target_field.errors, str(message)]
        return False
    db.session.commit()
    flash(_("Target saved."), "success")
    return True


def _refresh(form: TargetForm, year: int, metric: str) -> None:
    """Show the stored target in the form (after a concurrent edit), with its version."""
    current = services.find_target(db.session, year, metric)
    form.version.data = current.version if current else None
    form.target.raw_data = None
    form.target.data = plain_number(current.target) if current else ""
    form.note.data = current.note if current else ""


# --- monthly report ----------------------------------------------------------------------------

def _month(text: str) -> tuple[int, int]:
    try:
        moment = datetime.strptime(text, "%Y-%m")
    except ValueError:
        abort(404)
    if not YEAR_MIN <= moment.year <= YEAR_MAX:
        abort(404)
    return moment.year, moment.month


@bp.route("/report")
@login_required
def report_latest():
    _require("report")
    today = clock.today()
    return redirect(url_for("dashboard.report_page", month=f"{today.year}-{today.month:02d}"))


@bp.route("/report/<month>")
@login_required
def report_page(month: str):
    _require("report")
    monthly = report.build_report(db.session, *_month(month))
    return render_template("dashboard/report.html", report=monthly, dash_labels=labels,
                           tolerance=kpi.TOLERANCE)


@bp.route("/report/<month>.xlsx")
@login_required
def report_xlsx(month: str):
    _require("report")
    monthly = report.build_report(db.session, *_month(month))
    return _send(monthly.tables, f"report-{monthly.year}-{monthly.month:02d}", "xlsx")
