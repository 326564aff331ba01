"""The files the importer hands out: blank templates (xlsx, CSV) and the annotated report.

Pure (no Flask, no database): the caller passes the allowed values and every text already in
the user's language. Templates are bilingual by design (a sheet goes round an office); the
report speaks the language of the person who ran the dry run.
"""
import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matchmaker.imports.columns import COLUMNS, OUTPUTS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
DUPLICATE_FILL = PatternFill("solid", fgColor="FFE699")
DONE_FILL = PatternFill("solid", fgColor="E2EFDA")
_SHEET_NAMES = {OUTPUTS: "科技成果 Outputs", "needs": "技术需求 Needs"}


def _xlsx(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_xlsx(kind: str, allowed: dict[str, list[str]]) -> bytes:
    """Return the blank xlsx template of kind: a header row in Chinese and English, and a
    guide sheet that explains every column with its allowed values."""
    book = Workbook()
    sheet = book.active
    sheet.title = _SHEET_NAMES[kind]
    for index, column in enumerate(COLUMNS[kind], 1):
        cell = sheet.cell(1, index, column.header)
        cell.font, cell.alignment, cell.fill = _BOLD, _WRAP, _HEAD_FILL
        sheet.column_dimensions[get_column_letter(index)].width = 22 if index > 1 else 14
    sheet.row_dimensions[1].height = 34
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("说明 Guide")
    heads = ("列名", "Column", "必填 Required", "说明", "Notes", "允许值 Allowed values",
             "示例 Example")
    for index, head in enumerate(heads, 1):
        cell = guide.cell(1, index, head)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    for row, column in enumerate(COLUMNS[kind], 2):
        values = (column.zh, column.en, "是 Yes" if column.required else "",
                  column.help_zh, column.help_en, "\n".join(allowed.get(column.key, [])),
                  column.example)
        for index, value in enumerate(values, 1):
            guide.cell(row, index, value).alignment = _WRAP
    for index, width in enumerate((16, 26, 12, 40, 40, 40, 24), 1):
        guide.column_dimensions[get_column_letter(index)].width = width
    guide.freeze_panes = "A2"
    return _xlsx(book)


def template_csv(kind: str, encoding: str) -> bytes:
    """Return the CSV template of kind: one header row "中文/English", in encoding."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([f"{c.zh}/{c.en}" for c in COLUMNS[kind]])
    return buffer.getvalue().encode(encoding)


@dataclass(frozen=True)
class Mark:
    """A note on a cell of the report (column index None: on the row's result cell)."""

    index: int | None
    text: str
    kind: str = "error"  # "error" or "duplicate"


def report_xlsx(header_cells: list, rows: list[tuple[int, list, str, str, list[Mark]]], *,
                result_heads: tuple[str, str], author: str = "matchmaker") -> bytes:
    """Return the dry run's report: the file's rows as read, each with its result and details;
    cells with a problem filled and carrying the reason as a comment.

    rows: (row number in the file, cells, result label, details, marks).
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "Report"
    heads = [result_heads[0], result_heads[1], "#", *[
        "" if c is None else str(c) for c in header_cells]]
    for index, head in enumerate(heads, 1):
        cell = sheet.cell(1, index, head)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    offset = 3
    for out, (number, cells, label, details, marks) in enumerate(rows, 2):
        sheet.cell(out, 1, label)
        sheet.cell(out, 2, details).alignment = _WRAP
        sheet.cell(out, 3, number)
        for index, value in enumerate(cells, 1):
            if value is not None and not isinstance(value, (str, int, float, bool)):
                value = str(value) if not hasattr(value, "isoformat") else value
            sheet.cell(out, offset + index, value if isinstance(value, (str, int, float))
                       or value is None or hasattr(value, "isoformat") else str(value))
        for mark in marks:
            target = (sheet.cell(out, offset + mark.index + 1) if mark.index is not None
                      else sheet.cell(out, 1))
            target.fill = ERROR_FILL if mark.kind == "error" else DUPLICATE_FILL
            previous = target.comment.text + "\n" if target.comment else ""
            target.comment = Comment(previous + mark.text, author)
        if not marks:
            sheet.cell(out, 1).fill = DONE_FILL
    for index, width in enumerate((14, 50, 6), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "D2"
    return _xlsx(book)
