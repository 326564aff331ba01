"""Tables to CSV and xlsx downloads, one way for every export (lists, rankings, dashboard):
CSV in UTF-8 with a byte-order mark so that Excel opens Chinese text correctly, and text that
a spreadsheet would run as a formula (= + - @, or a tab/CR before one) neutralised with a
leading apostrophe (CSV/formula injection, OWASP)."""
import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Return text a spreadsheet shows as text: a leading = + - @ would make it a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def cell(value, *, exact: bool = False):
    """Return value for a cell: numbers as numbers, dates ISO, text neutralised, None as ''.

    exact: keep decimals as they are (CSV writes them digit for digit, "150.00").
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and not exact:
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return safe_text(value)
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence], *,
              notes: Sequence[str] = (), exact: bool = True) -> bytes:
    """Return a header row and rows as CSV bytes (UTF-8 with a BOM); notes follow as lines."""
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(v) for v in header])
    writer.writerows([cell(v, exact=exact) for v in row] for row in rows)
    for note in notes:
        writer.writerow([cell(note)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def add_sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence], *,
              first: bool = False, widths: Sequence[int] = ()) -> None:
    """Add a sheet (or fill the active one when first) with a bold header row and rows."""
    sheet = book.active if first else book.create_sheet()
    sheet.title = title[:31]
    sheet.append([cell(v) for v in header])
    for header_cell in sheet[1]:
        header_cell.font = Font(bold=True)
    for row in rows:
        sheet.append([cell(v) for v in row])
    for index, width in enumerate(widths):
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = width


def workbook_bytes(book: Workbook) -> bytes:
    """Return the workbook as xlsx bytes."""
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()
