"""The importer's messages in the user's language (codes of the pure modules → text)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.imports.reading import FileProblem
from matchmaker.imports.values import CellError

OUTCOMES = {
    "create": _l("New"),
    "update": _l("Update"),
    "unchanged": _l("Unchanged"),
    "duplicate": _l("Likely duplicate"),
    "error": _l("Error"),
}
APPLIED = {
    "created": _l("Created"),
    "updated": _l("Updated"),
    "unchanged": _l("Unchanged"),
    "skipped": _l("Skipped"),
    "errors": _l("Rows with errors (not imported)"),
}
DECISIONS = {
    "skip": _l("Skip this row"),
    "merge": _l("Merge: update the existing record"),
    "keep": _l("Keep both: create a new record"),
}
KINDS = {"outputs": _l("Research outputs"), "needs": _l("Technology needs")}
BATCH_STATUS = {
    "planning": _l("Checking"),
    "planned": _l("Waiting for confirmation"),
    "applying": _l("Writing"),
    "applied": _l("Imported"),
    "failed": _l("Failed"),
}


def file_problem(error: FileProblem) -> str:
    """Return why the file as a whole cannot be imported."""
    code, params = error.code, error.params
    if code == "empty":
        return _("The file is empty.")
    if code == "old_excel":
        return _("This is an old Excel file (.xls). Save it as .xlsx (Excel Workbook) or CSV and "
                 "upload it again.")
    if code == "too_large":
        return _("The file is too large: at most %(mb)d MB.", mb=params["mb"])
    if code == "too_large_unpacked":
        return _("The workbook is too large once unpacked. Split it into smaller files.")
    if code == "too_many_rows":
        return _("The file has more than %(max)d rows. Split it into smaller files.",
                 max=params["max"])
    if code == "no_header":
        return _("No header row found: the first rows must name the columns (e.g. 成果名称 or "
                 "Title). Start from the template.")
    if code == "no_rows":
        return _("The file has a header row but no data rows.")
    if code == "bad_csv":
        return _("The CSV file cannot be read: %(reason)s", reason=params.get("reason", ""))
    return _("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file.")


def cell_error(error: CellError) -> str:
    """Return why a cell cannot be read."""
    code, p = error.code, error.params
    if code == "formula_without_value":
        return _("The formula in this cell has no computed value. Open and save the file in "
                 "Excel, or paste the values instead of the formula.")
    if code == "unknown_chain":
        return _("“%(value)s” is not a sector chain. Allowed: %(allowed)s.", **p)
    if code == "segment_without_chain":
        return _("A segment needs the sector chain it belongs to.")
    if code == "unknown_segment":
        return _("“%(value)s” is not a segment of this chain. Allowed: %(allowed)s.", **p)
    if code == "unknown_mode":
        return _("“%(value)s” is not a transfer mode. Allowed: %(allowed)s.", **p)
    if code == "unknown_reform":
        return _("“%(value)s” is not a reform status. Allowed: %(allowed)s.", **p)
    if code == "unknown_status":
        return _("“%(value)s” is not a status an import may set. Allowed: %(allowed)s.", **p)
    if code == "unknown_region":
        return _("“%(value)s” is not a region. Allowed: %(allowed)s.", **p)
    if code == "not_a_trl":
        return _("“%(value)s” is not a TRL: write a whole number from 1 to 9.", **p)
    if code == "not_a_date":
        return _("“%(value)s” is not a date: write it like 2027-03-31.", **p)
    if code == "not_yes_no":
        return _("“%(value)s”: write yes or no (是 / 否).", **p)
    return _("This cell cannot be read.")
