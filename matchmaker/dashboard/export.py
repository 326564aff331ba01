"""A chart's table as CSV (UTF-8 with a BOM, so that Excel reads the Chinese) or as an xlsx
workbook (openpyxl, as events/export.py); the monthly report as one workbook of sheets."""
import csv
from decimal import Decimal
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.styles import Font

from matchmaker.dashboard.tables import ChartTable


def _plain(value):
    """Return value for a cell: numbers as numbers, the rest as text ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def table_csv(table: ChartTable) -> bytes:
    """Return the table as CSV bytes: a header row, then the rows."""
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    writer.writerows([[_plain(v) for v in row] for row in table.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet(book: Workbook, table: ChartTable, title: str, *, first: bool = False) -> None:
    sheet = book.active if first else book.create_sheet()
    sheet.title = title[:31]
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_plain(v) for v in row])
    for index, column in enumerate(table.columns):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = 28 if column.kind == "text" else 16


def workbook_bytes(tables: list[ChartTable], titles: list[str] | None = None) -> bytes:
    """Return a workbook with one sheet per table (titled by titles, else the table keys)."""
    book = Workbook()
    for index, table in enumerate(tables):
        _sheet(book, table, (titles or [t.key for t in tables])[index], first=index == 0)
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()
