"""/exports/outputs.xlsx, /exports/needs.csv, /exports/deals.xlsx …: the list pages'
"Export xlsx / CSV" links, which carry the page's query string. Signed-in users only, as the lists are; a list longer
than EXPORT_MAX_ROWS (default 5,000) is cut there with a note saying so, so that one download
never holds a web process for long (narrow the filters for the rest)."""
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook

from matchmaker import tabular
from matchmaker.exports import listings
from matchmaker.extensions import db
from matchmaker.pipeline import views as pipeline_views
from matchmaker.profiles.views import NEEDS, OUTPUTS, list_query_from_request

bp = Blueprint("exports", __name__, url_prefix="/exports")
DEFAULT_MAX_ROWS = 5000
KINDS = {"outputs": OUTPUTS, "needs": NEEDS}


def _note(shown: int, total: int) -> str | None:
    if total <= shown:
        return None
    return _("Only the first %(shown)d of %(total)d rows are exported; narrow the filters or "
             "search to export the rest.", shown=shown, total=total)


def _limit() -> int:
    return current_app.config.get("EXPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


@bp.route("/<any(outputs, needs):kind>.<any(xlsx, csv):fmt>")
@login_required
def listing(kind: str, fmt: str):
    """Send the list of kind as the page shows it to the viewer, as xlsx or CSV."""
    spec = KINDS[kind]
    query = list_query_from_request(spec, current_user)
    rows, total = listings.collect(db.session, spec.side, query, limit=_limit())
    title = _("Research outputs") if kind == "outputs" else _("Technology needs")
    return _download(kind, fmt, title, listings.header(spec.side), rows, total)


@bp.route("/deals.<any(xlsx, csv):fmt>")
@login_required
def deals(fmt: str):
    """Send the deals list as the page shows it to the viewer (its filters), as xlsx or CSV."""
    query = pipeline_views.list_query_from_request(pipeline_views.parse_filters())
    rows, total = listings.collect_deals(db.session, query, limit=_limit())
    return _download("deals", fmt, _("Deals"), listings.deal_header(), rows, total)


def _download(kind: str, fmt: str, title: str, header: list[str], rows: list[list],
              total: int) -> Response:
    note = _note(len(rows), total)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    name = f"{kind}-{stamp}.{fmt}"
    if fmt == "csv":
        body, mimetype = tabular.csv_bytes(header, rows, notes=[note] if note else ()), \
            tabular.CSV_TYPE
    else:
        book = Workbook()
        tabular.add_sheet(book, title, header, rows, first=True,
                          widths=(8, 40, 28, 12, 14, 18))
        if note:
            tabular.add_sheet(book, _("Note"), [_("Note")], [[note]], widths=(100,))
        body, mimetype = tabular.workbook_bytes(book), tabular.XLSX_TYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Export-Rows"] = f"{len(rows)}/{total}"
    return response
