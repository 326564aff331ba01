"""A board as an xlsx workbook (the board, then its formula) or a CSV file: what the viewer
sees on the page, nothing more (pages.board_view decides)."""
from flask_babel import gettext as _
from openpyxl import Workbook

from matchmaker import tabular
from matchmaker.rankings.formulas import THEN_FIRST
from matchmaker.rankings.pages import BoardView, period_label
from matchmaker.tabular import XLSX_TYPE  # noqa: F401  (views.py names it here)
from matchmaker.templating import localized


def file_name(view: BoardView, fmt: str) -> str:
    """Return the download's name: rankings-<board>-<period>[-<chain>].<fmt> (ASCII)."""
    parts = ["rankings", view.board.key, view.period.key]
    if view.chain is not None:
        parts.append(view.chain.key)
    return "-".join(parts) + f".{fmt}"


def header(view: BoardView) -> list[str]:
    """Return the table's column titles in the reader's language."""
    columns = [_("Rank"), _("Name on the board"), *(_(m.label) for m in view.metrics)]
    if view.full:
        columns += [_("Reached on"), _("Records")]
    return columns


def rows(view: BoardView) -> list[list]:
    """Return the table's rows: a name that is not public reads "not public"."""
    out = []
    for p in view.positions:
        row = [p.rank, p.name if p.name else _("Name not public"), *p.figures]
        if view.full:
            row += [p.achieved_on.isoformat() if p.achieved_on else "",
                    len(p.deals) + p.hidden_deals]
        out.append(row)
    return out


def board_workbook(view: BoardView) -> Workbook:
    """Return the workbook: sheet 1 the board, sheet 2 the period, chain, formula and tie rule."""
    book = Workbook()
    tabular.add_sheet(book, _("Ranking"), header(view), rows(view), first=True, widths=(8, 36))
    about = book.create_sheet(_("Formula")[:31])
    chain = localized(view.chain) if view.chain is not None else _("All chains")
    for label, value in ((_("Ranking"), _(view.board.title)), (_("Period"), period_label(view.period)),
                         (_("Chain"), chain), (_("Formula"), _(view.board.formula)),
                         (_("Ties"), f"{_(view.board.tie_rule)} {_(THEN_FIRST)}")):
        about.append([label, value])
    about.column_dimensions["B"].width = 100
    return book


def board_xlsx(view: BoardView) -> bytes:
    """Return the board's workbook as bytes."""
    return tabular.workbook_bytes(board_workbook(view))


def board_csv(view: BoardView) -> bytes:
    """Return the board as CSV in UTF-8 with a byte-order mark (Excel reads the Chinese)."""
    return tabular.csv_bytes(header(view), rows(view))
