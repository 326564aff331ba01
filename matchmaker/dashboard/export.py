"""A chart's table as CSV or as an xlsx workbook (matchmaker.tabular: UTF-8 with a BOM,
formulas neutralised); the monthly report as one workbook of sheets."""
from openpyxl import Workbook

from matchmaker import tabular
from matchmaker.dashboard.tables import ChartTable


def table_csv(table: ChartTable) -> bytes:
    """Return the table as CSV bytes: a header row, then the rows."""
    return tabular.csv_bytes([c.label for c in table.columns], table.rows, exact=False)


def _sheet(book: Workbook, table: ChartTable, title: str, *, first: bool = False) -> None:
    tabular.add_sheet(book, title, [c.label for c in table.columns], table.rows, first=first,
                      widths=[28 if c.kind == "text" else 16 for c in table.columns])


def workbook_bytes(tables: list[ChartTable], titles: list[str] | None = None) -> bytes:
    """Return a workbook with one sheet per table (titled by titles, else the table keys)."""
    book = Workbook()
    for index, table in enumerate(tables):
        _sheet(book, table, (titles or [t.key for t in tables])[index], first=index == 0)
    return tabular.workbook_bytes(book)
