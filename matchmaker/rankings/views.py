"""Pages of the rankings (打榜): the index of boards, one board with its period and chain, and
its export as xlsx or CSV. Open to everyone: pages.board_view decides what a viewer sees."""
from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from matchmaker.chains.models import Chain
from matchmaker.extensions import db
from matchmaker.pipeline import clock
from matchmaker.rankings import export, pages
from matchmaker.rankings.formulas import (
    BOARDS,
    BOARDS_BY_KEY,
    THEN_FIRST,
    Board,
    Party,
    Period,
    PeriodError,
    PeriodKind,
    recent_periods,
)
from matchmaker.templating import current_language

bp = Blueprint("rankings", __name__, url_prefix="/rankings")

# How many earlier periods of each kind the period menu offers.
MENU_LENGTH = {PeriodKind.MONTH: 24, PeriodKind.QUARTER: 12, PeriodKind.YEAR: 8,
               PeriodKind.ALL: 1}
PARTY_TITLES = {Party.BROKER: _l("Brokers"), Party.INSTITUTION: _l("Institutions"),
                Party.ENTERPRISE: _l("Enterprises")}


def _board(key: str) -> Board:
    board = BOARDS_BY_KEY.get(key)
    if board is None:
        abort(404)
    return board


def _chains() -> list[Chain]:
    return list(db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)))


def _selection(chains: list[Chain], *, quiet: bool = False) -> tuple[Period, Chain | None]:
    """Return the period and chain the query asks for; tell the reader what was not known."""
    today = clock.today()
    period = Period.containing(PeriodKind.YEAR, today)
    text = request.args.get("period", "")[:20]
    if text:
        try:
            period = Period.parse(text)
        except PeriodError:
            if not quiet:
                flash(_("“%(text)s” is not a period (write 2026-03, 2026-Q1, 2026 or all); "
                        "this year is shown.", text=text), "warning")
    chain_key = request.args.get("chain", "")[:40]
    chain = next((c for c in chains if c.key == chain_key), None)
    if chain_key and chain is None and not quiet:
        flash(_("There is no chain “%(key)s”; all chains are shown.", key=chain_key), "warning")
    return period, chain


@bp.route("/")
def index():
    groups = [(party, [b for b in BOARDS if b.party == party]) for party in Party]
    return render_template("rankings/index.html", groups=groups, party_titles=PARTY_TITLES)


@bp.route("/<key>")
def board(key: str):
    board = _board(key)
    chains = _chains()
    period, chain = _selection(chains)
    view = pages.board_view(db.session, board, period, chain, current_user,
                            locale=current_language())
    today = clock.today()
    tabs = [(kind, Period.containing(kind, today)) for kind in PeriodKind]
    menu = recent_periods(period.kind, today, MENU_LENGTH[period.kind])
    if period not in menu:
        menu.append(period)
    return render_template("rankings/board.html", view=view, board=board, chains=chains,
                           tabs=tabs, menu=menu, period_label=pages.period_label,
                           then_first=THEN_FIRST, party_titles=PARTY_TITLES)


@bp.route("/<key>/export.<any(xlsx, csv):fmt>")
def download(key: str, fmt: str):
    board = _board(key)
    period, chain = _selection(_chains(), quiet=True)
    view = pages.board_view(db.session, board, period, chain, current_user,
                            locale=current_language())
    name = export.file_name(view, fmt)
    if fmt == "xlsx":
        body, kind = export.board_xlsx(view), export.XLSX_TYPE
    else:
        body, kind = export.board_csv(view), "text/csv; charset=utf-8"
    return body, 200, {"Content-Type": kind,
                       "Content-Disposition": f'attachment; filename="{name}"'}
