"""The schedule as an xlsx workbook: one row per meeting, and the grid of slots × places."""
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from matchmaker.events import labels
from matchmaker.events.models import Event, EventMeeting


def _place(meeting: EventMeeting) -> str:
    if meeting.booth:
        return _("Booth %(name)s", name=meeting.booth)
    return _("Table %(n)d", n=meeting.table_no)


def schedule_workbook(event: Event, meetings: list[EventMeeting]) -> Workbook:
    """Return the workbook of the event's meetings (in slot order) and its grid."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Meetings")[:31]
    sheet.append([_("Slot"), _("Place"), _("Enterprise"), _("Need"), _("Institution"),
                  _("Output"), _("Locked"), _("Outcome")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for m in meetings:
        p = m.pairing
        sheet.append([m.slot.label, _place(m), p.need_participant.organisation.name,
                      p.need.title, p.output_participant.organisation.name, p.output.title,
                      _("Yes") if m.is_locked else "",
                      str(labels.OUTCOME[m.outcome]) if m.outcome else ""])
    for column, width in zip("ABCDEFGH", (16, 10, 24, 36, 24, 36, 8, 14), strict=True):
        sheet.column_dimensions[column].width = width
    grid = book.create_sheet(_("Grid")[:31])
    places = sorted({_place(m) for m in meetings}, key=lambda s: (len(s), s))
    grid.append([_("Slot"), *places])
    cells = {(m.slot_id, _place(m)): m for m in meetings}
    for slot in event.slots:
        row = [slot.label]
        for place in places:
            m = cells.get((slot.id, place))
            row.append(f"{m.pairing.need_participant.organisation.name} × "
                       f"{m.pairing.output_participant.organisation.name}" if m else "")
        grid.append(row)
    return book


def schedule_xlsx(event: Event, meetings: list[EventMeeting]) -> bytes:
    """Return the schedule workbook as bytes."""
    stream = BytesIO()
    schedule_workbook(event, meetings).save(stream)
    return stream.getvalue()
