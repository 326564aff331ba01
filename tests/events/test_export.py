"""The schedule as xlsx (read back) and the printable agendas, with who may get them."""
from io import BytesIO

import pytest
from openpyxl import load_workbook

from matchmaker.events import scheduling
from tests.events.test_views import ROLES, client_for


@pytest.fixture
def published(db_session, fair):
    w = fair.world
    for p in scheduling.propose_pairings(db_session, w.event, actor=w.organiser):
        scheduling.confirm_pairing(db_session, p, actor=w.organiser)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
    return fair


def test_the_xlsx_holds_every_meeting_and_the_grid(db_session, published, sign_in):
    w = published.world
    response = sign_in(w.organiser).get(f"/events/{w.event.id}/schedule.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["Content-Type"]
    book = load_workbook(BytesIO(response.data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    meetings = scheduling.list_meetings(db_session, w.event)
    assert len(rows) == 1 + len(meetings) == 5
    assert {(r[3], r[5]) for r in rows[1:]} == {(m.pairing.need.title, m.pairing.output.title)
                                                for m in meetings}
    assert rows[1][0] == meetings[0].slot.label
    grid = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(grid) == 1 + len(w.event.slots)
    filled = [c for row in grid[1:] for c in row[1:] if c]
    assert len(filled) == len(meetings)


@pytest.mark.parametrize("role", ROLES)
def test_the_xlsx_is_the_organisers(published, client, sign_in, role):
    response = client_for(role, published.world, client, sign_in).get(
        f"/events/{published.world.event.id}/schedule.xlsx")
    assert response.status_code == {"organiser": 200, "operator": 200,
                                    "anonymous": 302}.get(role, 403)


def test_a_participant_prints_their_own_agenda_only(db_session, published, sign_in):
    w = published.world
    ent = sign_in(w.ent_user)
    page = ent.get(f"/events/{w.event.id}/agenda/print")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('data-testid="printed-meeting"') == 2 and "@media print" in text
    other = published.institutions[1].id
    assert ent.get(f"/events/{w.event.id}/agenda/print?participant={other}").status_code == 404
    assert ent.get(f"/events/{w.event.id}/agenda/print?participant=all").status_code == 403


def test_the_organiser_prints_every_agenda(published, sign_in):
    w = published.world
    page = sign_in(w.organiser).get(f"/events/{w.event.id}/agenda/print?participant=all")
    text = page.get_data(as_text=True)
    assert text.count('data-testid="printed-agenda"') == 4
    assert text.count('data-testid="printed-meeting"') == 8  # each meeting on both agendas
