"""Reading an uploaded file into rows of cells: xlsx (openpyxl) or CSV in any common encoding.

Pure (no Flask, no database). The file kind is told by its first bytes, not by its name: an
.xlsx is a ZIP archive, an old .xls a compound document (refused with a clear reason), and
anything else must decode as text (UTF-8, with or without BOM, else what charset-normalizer
detects: GBK / GB18030 for Chinese Excel's "CSV"). Problems raise FileProblem with a code
that the caller turns into a message in the user's language.

Merged cells (a 单位 column merged over the rows of one institution, a title over the header)
give every cell of the range the top-left value. Formulas are read as the value Excel last
computed; a formula without one (a file written by a program and never opened in Excel) is
reported per cell, not guessed.
"""
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from matchmaker.imports.columns import HeaderMap, known_count, map_headers

HEADER_SEARCH_ROWS = 10  # the header row is looked for among the first rows
XLSX_MAX_UNPACKED = 200 * 1024 * 1024  # bytes once unzipped (against ZIP bombs)
FORMULA_WITHOUT_VALUE = object()  # a cell whose formula has no computed value


class FileProblem(ValueError):
    """The file as a whole cannot be read; code says why, params fill the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Sheet:
    """The rows of the file under its header row, with their row numbers as shown in Excel."""

    header_row: int  # 1-based row number of the header
    header_cells: list
    headers: HeaderMap
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, cells)
    format: str = "xlsx"  # "xlsx" or "csv"
    encoding: str | None = None  # the CSV's encoding


def read_file(content: bytes, kind: str, *, max_rows: int) -> Sheet:
    """Return the sheet of content (xlsx or CSV) for an import of kind."""
    if not content:
        raise FileProblem("empty")
    if content[:4] == b"PK\x03\x04":
        grid, fmt, encoding = _xlsx_rows(content), "xlsx", None
    elif content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem("old_excel")
    else:
        text, encoding = decode_text(content)
        grid, fmt = _csv_rows(text), "csv"
    return _sheet(grid, kind, fmt=fmt, encoding=encoding, max_rows=max_rows)


def _sheet(grid, kind: str, *, fmt: str, encoding: str | None, max_rows: int) -> Sheet:
    grid = iter(grid)
    head: list[tuple[int, list]] = []
    for number, cells in grid:
        head.append((number, cells))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    scored = [(known_count(kind, cells), -i) for i, (_n, cells) in enumerate(head)]
    if not scored or max(scored)[0] < 2:
        raise FileProblem("no_header")
    best = -max(scored)[1]
    header_row, header_cells = head[best]
    sheet = Sheet(header_row, header_cells, map_headers(kind, header_cells), format=fmt,
                  encoding=encoding)
    for number, cells in [*head[best + 1:], *grid]:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if len(sheet.rows) >= max_rows:
            raise FileProblem("too_many_rows", max=max_rows)
        sheet.rows.append((number, cells))
    if not sheet.rows:
        raise FileProblem("no_rows")
    return sheet


# --- CSV -------------------------------------------------------------------------------------

def decode_text(content: bytes) -> tuple[str, str]:
    """Return (text, encoding) of a CSV file; raise FileProblem("not_a_spreadsheet")."""
    if b"\x00" in content[:4096]:  # UTF-16 exports and binary files alike
        if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
            try:
                return content.decode("utf-16"), "utf-16"
            except UnicodeDecodeError:
                pass
        raise FileProblem("not_a_spreadsheet")
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:  # a BOM promises UTF-8: anything else is broken
            raise FileProblem("not_a_spreadsheet") from error
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content, cp_isolation=["gb18030", "gbk", "big5", "utf_16", "cp1252"]
                      ).best()
    if best is None:
        raise FileProblem("not_a_spreadsheet")
    encoding = best.encoding
    if encoding.replace("_", "").lower() in ("gb2312", "gbk", "hz"):
        encoding = "gb18030"  # the superset: a rare character in a GBK file still decodes
    try:
        return content.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as error:
        raise FileProblem("not_a_spreadsheet") from error


def _csv_rows(text: str):
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1):
            yield number, [c if c.strip() else None for c in cells]
    except csv.Error as error:
        raise FileProblem("bad_csv", reason=str(error)[:200]) from error


# --- xlsx ------------------------------------------------------------------------------------

def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(i.file_size for i in archive.infolist()) > XLSX_MAX_UNPACKED:
                raise FileProblem("too_large_unpacked")
            if "xl/workbook.xml" not in archive.namelist():
                raise FileProblem("not_a_spreadsheet")
        book = load_workbook(io.BytesIO(content), data_only=False)
    except FileProblem:
        raise
    except Exception as error:  # a damaged archive raises anything from zipfile to lxml
        raise FileProblem("not_a_spreadsheet") from error
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise FileProblem("no_header")
    values = {}
    formulas = [(c.row, c.column) for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    if formulas:
        computed = load_workbook(io.BytesIO(content), data_only=True).worksheets[0]
        for row, column in formulas:
            value = computed.cell(row, column).value
            values[(row, column)] = FORMULA_WITHOUT_VALUE if value is None else value
    for merged in list(sheet.merged_cells.ranges):
        top = sheet.cell(merged.min_row, merged.min_col)
        value = values.get((top.row, top.column), top.value)
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                values[(row, column)] = value
    width = sheet.max_column
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row):
        number = row[0].row if row else 0
        cells = []
        for cell in row[:width]:
            value = values.get((cell.row, cell.column), cell.value)
            cells.append(_plain(value))
        yield number, cells


def _plain(value):
    """Return a cell value as str, int, float, date, datetime, bool, None or the marker."""
    if value is FORMULA_WITHOUT_VALUE or value is None:
        return value
    if isinstance(value, (bool, int, float, date, datetime)):
        return value
    text = str(value)
    return text if text.strip() else None
