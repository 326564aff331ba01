"""The rows of a list export: the list page's own query (profiles.views and pipeline.views
list_query_from_request, so the same filters, search and visibility rules), and only the
columns every viewer of such a row sees on the page — never the confidential note of an output
(it needs a signed NDA), nor a deal's owner, notes or contract."""
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from matchmaker import labels
from matchmaker.domain import Side
from matchmaker.templating import localized


def _modes(item) -> str:
    return "; ".join(str(labels.TRANSFER_MODE.get(m, m)) for m in item.modes)


def _status(side: Side, item) -> str:
    table = labels.OUTPUT_STATUS if side == Side.OUTPUT else labels.NEED_STATUS
    return str(table.get(item.status, item.status))


def header(side: Side) -> list[str]:
    """Return the column titles of side's export in the reader's language."""
    if side == Side.OUTPUT:
        return [_("ID"), _("Title"), _("Institution"), _("Region"), _("Sector chain"),
                _("Segment"), _("TRL"), _("Transfer modes"), _("Price from (10k yuan)"),
                _("Price to (10k yuan)"), _("Status"), _("Keywords"), _("Abstract"),
                _("Published at")]
    return [_("ID"), _("Title"), _("Enterprise"), _("Region"), _("Sector chain"), _("Segment"),
            _("Minimum TRL"), _("Transfer modes"), _("Budget from (10k yuan)"),
            _("Budget to (10k yuan)"), _("Deadline"), _("Open challenge"), _("Prize (10k yuan)"),
            _("Status"), _("Keywords"), _("Description"), _("Published at")]


def row(side: Side, item) -> list:
    """Return one listing's cells, in header(side)'s order."""
    common = [localized(item.chain), localized(item.segment)]
    if side == Side.OUTPUT:
        return [item.id, item.title, localized(item.institution),
                localized(item.institution.region), *common, item.trl, _modes(item),
                item.price_min, item.price_max, _status(side, item), "; ".join(item.keywords),
                item.abstract, item.published_at]
    region = item.region or item.enterprise.region
    return [item.id, item.title, localized(item.enterprise), localized(region), *common,
            item.min_trl, _modes(item), item.budget_min, item.budget_max, item.deadline,
            _("Yes") if item.is_challenge else _("No"), item.prize, _status(side, item),
            "; ".join(item.keywords), item.description, item.published_at]


def collect(session: Session, side: Side, query, *, limit: int) -> tuple[list[list], int]:
    """Return at most limit rows of query and the number of rows it holds in all."""
    model = query.column_descriptions[0]["entity"]
    items = session.scalars(query.options(selectinload(model.mode_rows)).limit(limit + 1)).all()
    total = len(items)
    if total > limit:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return [row(side, item) for item in items[:limit]], total


def deal_header() -> list[str]:
    """Return the column titles of the deals export (what a row of the deals list shows)."""
    return [_("ID"), _("Title"), _("Stage"), _("Sector chain"), _("Institution"),
            _("Enterprise"), _("Expected value (10k yuan)"), _("Next step"), _("Next step due")]


def deal_row(deal) -> list:
    """Return one deal's cells, in deal_header()'s order."""
    return [deal.id, deal.title, localized(deal.stage), localized(deal.chain),
            deal.output.institution.name if deal.output else "",
            deal.need.enterprise.name if deal.need else "", deal.expected_value,
            deal.next_step if deal.is_open else "", deal.next_step_due if deal.is_open else None]


def collect_deals(session: Session, query, *, limit: int) -> tuple[list[list], int]:
    """Return at most limit deal rows of query and the number of deals it holds in all."""
    deals = session.scalars(query.limit(limit + 1)).unique().all()
    total = len(deals)
    if total > limit:
        total = session.scalar(select(func.count()).select_from(
            query.order_by(None).options().subquery()))
    return [deal_row(deal) for deal in deals[:limit]], total
