"""Technology contracts as an xlsx sheet in the layout of 技术合同认定登记 (the register a
technology-market office keeps): one row per contract, amounts in 万元, a total at the foot.

Headers follow the reader's language (Chinese by default, as the register is filed)."""
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from io import BytesIO

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.pipeline import clock
from matchmaker.pipeline.labels import CONTRACT_TYPE
from matchmaker.pipeline.models import Contract, Deal
from matchmaker.pipeline.queries import DealFilters, list_deals_query

TITLE = _l("Technology contract registration (技术合同认定登记)")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _label(mapping: dict, value) -> str:
    return str(mapping[value]) if value in mapping else (value or "")


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# (header, width, value of a contract) in the register's order.
COLUMNS = [
    (_l("No."), 6, lambda c, n: n),
    (_l("Registration no."), 20, lambda c, n: c.registration_no or None),
    (_l("Contract name"), 36, lambda c, n: c.name or c.deal.title),
    (_l("Contract type"), 12, lambda c, n: _label(CONTRACT_TYPE, c.contract_type)),
    (_l("Seller (transferor / contractor)"), 28, lambda c, n: c.seller_name),
    (_l("Buyer (transferee / client)"), 28, lambda c, n: c.buyer_name),
    (_l("Total amount (10k yuan)"), 14, lambda c, n: _money(c.total_amount)),
    (_l("Technical-transaction amount (10k yuan)"), 14, lambda c, n: _money(c.technical_amount)),
    (_l("Signed on"), 12, lambda c, n: c.signed_on),
    (_l("Term from"), 12, lambda c, n: c.term_start),
    (_l("Term to"), 12, lambda c, n: c.term_end),
    (_l("Registered on"), 12, lambda c, n: c.registered_on),
    (_l("Sector chain"), 12, lambda c, n: c.deal.chain.name_zh if c.deal.chain else ""),
    (_l("Research output"), 30, lambda c, n: c.deal.output.title if c.deal.output else ""),
    (_l("Technology need"), 30, lambda c, n: c.deal.need.title if c.deal.need else ""),
    (_l("Landed in"), 12,
     lambda c, n: c.deal.landing_region.name if c.deal.landing_region else ""),
    (_l("Local conversion"), 10,
     lambda c, n: {True: str(_l("Yes")), False: str(_l("No"))}.get(c.deal.local_conversion, "")),
    (_l("Broker"), 12, lambda c, n: c.deal.owner.display_name),
]
TOTALS = (6, 7)  # 0-based columns summed in the foot row


def contracts_workbook(contracts: Iterable[Contract], *, today: date | None = None) -> Workbook:
    """Return a workbook with one sheet: title, export date, headers, one row per contract,
    and the total of both amounts."""
    book = Workbook()
    sheet = book.active
    sheet.title = "技术合同"
    width = len(COLUMNS)
    sheet.append([str(TITLE)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([str(_l("Exported on")), today or clock.today()])
    sheet["B2"].number_format = DATE_FORMAT
    sheet.append([str(header) for header, _w, _v in COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    first = 4
    count = 0
    for count, contract in enumerate(contracts, start=1):
        sheet.append([value(contract, count) for _h, _w, value in COLUMNS])
    last = first + count - 1
    foot = [None] * width
    foot[0] = str(_l("Total"))
    for column in TOTALS:
        letter = get_column_letter(column + 1)
        foot[column] = f"=SUM({letter}{first}:{letter}{last})" if count else 0
    sheet.append(foot)
    for row in sheet.iter_rows(min_row=first, max_row=last + 1):
        for index, cell in enumerate(row):
            if index in TOTALS:
                cell.number_format = MONEY_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    for index, (_h, column_width, _v) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = "A4"
    return book


def list_exportable_contracts(session: Session, viewer,
                              filters: DealFilters | None = None) -> list[Contract]:
    """Return the contracts of the deals viewer sees (filters apply), by signing date."""
    filters = filters or DealFilters(include_lost=True)
    deal_ids = list_deals_query(viewer, filters).with_only_columns(Deal.id).order_by(None)
    return list(session.scalars(select(Contract).where(Contract.deal_id.in_(deal_ids))
                                .order_by(Contract.signed_on.nulls_last(), Contract.id)))


def export_contracts_xlsx(session: Session, viewer, filters: DealFilters | None = None) -> bytes:
    """Return the xlsx file of the contracts viewer may see."""
    stream = BytesIO()
    contracts_workbook(list_exportable_contracts(session, viewer, filters)).save(stream)
    return stream.getvalue()
