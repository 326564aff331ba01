"""What a board page, and its export, show to a viewer: the columns they may see, the rows with
names as public as they may be, and (signed in) the deals behind each position.

Public (anonymous) boards show ranks, names that are public (every institution and enterprise
has a public page; a broker only while their account is active) and counts. Amounts and days
come from technology contracts, which only a deal's parties and brokers read: they are for
signed-in users, as are the links to the records and the day a figure was reached.
"""
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.chains.models import Chain
from matchmaker.rankings import queries
from matchmaker.rankings.formulas import (
    Board,
    Metric,
    Period,
    PeriodKind,
    Row,
    Unit,
    as_decimal,
    rank,
)


def signed_in(viewer) -> bool:
    """Return whether viewer sees the full boards (an active, signed-in account)."""
    return permissions.role_of(viewer) is not None


def period_label(period: Period) -> str:
    """Return the period as people read it, in the current language."""
    if period.kind == PeriodKind.MONTH:
        # "2026年3月" / "March 2026": the locale's own year-month form, no msgid needed.
        return format_skeleton("yMMMM", period.first_day, locale=get_locale())
    if period.kind == PeriodKind.QUARTER:
        return _("Q%(quarter)s %(year)s", quarter=period.number, year=period.year)
    if period.kind == PeriodKind.YEAR:
        return _("Year %(year)s", year=period.year)
    return _("All time")


def figure(metric: Metric, value):
    """Return a row's figure for a metric as a number for a cell (Decimal, int or float)."""
    if metric.unit == Unit.MONEY:
        return as_decimal(value)
    if metric.unit == Unit.DAYS:
        return as_decimal(value, 1).normalize() if value % 1 else int(value)
    return int(value)


@dataclass
class Position:
    rank: int
    name: str  # "" when the name is not public to this viewer
    page_id: int | None  # the public page to link (None: no link)
    figures: list  # one per visible metric
    achieved_on: date | None  # None for the public
    deals: list[tuple[int, str]] = field(default_factory=list)  # (id, title) the viewer opens
    hidden_deals: int = 0  # records behind the position the viewer may not open


@dataclass
class BoardView:
    board: Board
    period: Period
    chain: Chain | None
    full: bool  # the signed-in view
    metrics: list[Metric]
    positions: list[Position]
    hides_values: bool  # some metric is hidden from this (public) viewer


def _name(row: Row, names: dict, full: bool, locale: str) -> tuple[str, int | None]:
    known = names.get(row.party_id)
    if known is None:
        return "", None
    text = (known.name_en or known.name) if locale == "en" else known.name
    if known.is_public:
        return text, known.page_id
    return (text, None) if full else ("", None)


def board_view(session: Session, board: Board, period: Period, chain: Chain | None, viewer,
               *, locale: str = "zh") -> BoardView:
    """Return the board as viewer may see it, for the period and chain."""
    full = signed_in(viewer)
    records = queries.board_records(session, board, period, chain.id if chain else None)
    chain_id = chain.id if chain else None
    records = records.within(period, chain_id)
    names = queries.party_names(session, board.party, board.tally(records))
    rows = rank(board, records, {pid: n.name for pid, n in names.items()})
    metrics = [m for m in board.metrics if full or m.is_public]
    visible = (queries.visible_deals(session, viewer, {d for r in rows for d in r.deal_ids})
               if full else {})
    positions = []
    for row in rows:
        name, page_id = _name(row, names, full, locale)
        mine = sorted((d, visible[d]) for d in row.deal_ids if d in visible)
        positions.append(Position(
            rank=row.rank, name=name, page_id=page_id,
            figures=[figure(m, row.values.get(m.key, 0)) for m in metrics],
            achieved_on=row.achieved_on if full else None,
            deals=mine, hidden_deals=len(row.deal_ids) - len(mine) if full else 0))
    return BoardView(board, period, chain, full, metrics, positions,
                     hides_values=len(metrics) < len(board.metrics))

