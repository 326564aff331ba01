"""The pairings and schedule pages: who may post what, and the organiser's flow."""
import pytest
from sqlalchemy import func, select

from matchmaker.events import scheduling, services
from matchmaker.events.models import Event, EventMeeting, EventPairing
from tests.conftest import submit
from tests.events.test_views import ROLES, client_for


def _state(db_session, event_id):
    db_session.expire_all()
    event = db_session.get(Event, event_id)
    return (event.status, event.version,
            tuple(db_session.execute(select(EventPairing.id, EventPairing.is_confirmed)
                                     .where(EventPairing.event_id == event_id))),
            tuple(db_session.execute(select(EventMeeting.id, EventMeeting.slot_id,
                                            EventMeeting.is_locked)
                                     .where(EventMeeting.event_id == event_id))))


@pytest.fixture
def scheduled(db_session, fair):
    w = fair.world
    for p in scheduling.propose_pairings(db_session, w.event, actor=w.organiser):
        scheduling.confirm_pairing(db_session, p, actor=w.organiser)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    return fair


@pytest.mark.parametrize("role", ROLES)
def test_schedule_actions_are_the_organisers_and_change_nothing_for_others(
        db_session, scheduled, client, sign_in, role):
    w = scheduled.world
    e = w.event.id
    pairing = scheduling.list_pairings(db_session, w.event)[0]
    meeting = scheduling.list_meetings(db_session, w.event)[0]
    posts = {
        f"/events/{e}/pairings/propose": {},
        f"/events/{e}/pairings": {"need_id": str(scheduled.needs[0].id),
                                  "output_id": str(scheduled.outputs[0].id)},
        f"/events/{e}/pairings/{pairing.id}/unconfirm": {},
        f"/events/{e}/meetings/{meeting.id}/lock": {"locked": "1"},
        f"/events/{e}/schedule": {},
        f"/events/{e}/schedule/publish": {},
    }
    user_client = client_for(role, w, client, sign_in)
    for url, data in posts.items():
        before = _state(db_session, e)
        response = submit(user_client, url, data, form_url="/events/")
        if role in ("organiser", "operator"):
            assert response.status_code == 302, url
            continue
        assert response.status_code == (302 if role == "anonymous" else 403), (url, role)
        assert _state(db_session, e) == before, url


def test_organiser_generates_publishes_and_participants_see_their_agenda(
        db_session, scheduled, sign_in):
    w = scheduled.world
    url = f"/events/{w.event.id}"
    organiser = sign_in(w.organiser)
    page = organiser.get(url).get_data(as_text=True)
    assert page.count('data-testid="meeting-cell"') == 4
    assert submit(organiser, f"{url}/schedule/publish", {}, form_url=url).status_code == 302
    ent = sign_in(w.ent_user)
    page = ent.get(url).get_data(as_text=True)
    assert 'data-testid="agenda-summary"' in page
    assert 'data-testid="schedule-grid"' not in page
    agenda = ent.get(f"{url}/agenda").get_data(as_text=True)
    assert agenda.count('data-testid="agenda-item"') == 2
    assert scheduled.outputs[1].title in agenda
    # another participant's agenda is not the enterprise's to read
    other = scheduled.institutions[1].id
    assert ent.get(f"{url}/agenda?participant={other}").status_code == 404
    assert organiser.get(f"{url}/agenda?participant={other}").status_code == 200


def test_left_out_pairs_show_the_translated_reason(db_session, scheduled, sign_in):
    w = scheduled.world
    scheduling.remove_pairing(db_session, scheduling.list_pairings(db_session, w.event)[0],
                              actor=w.organiser)
    services.set_participant_terms(db_session, scheduled.enterprises[1], actor=w.organiser,
                                   max_meetings=1, booth=None)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    organiser = sign_in(w.organiser)
    page = organiser.get(f"/events/{w.event.id}").get_data(as_text=True)
    assert 'data-testid="unscheduled"' in page
    assert "一方的洽谈场次已达上限。" in page


def test_strangers_have_no_agenda(db_session, scheduled, sign_in):
    w = scheduled.world
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
    assert sign_in(w.stranger).get(f"/events/{w.event.id}/agenda").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(EventMeeting)) >= 4
