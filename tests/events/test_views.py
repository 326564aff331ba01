"""Events' pages: who may open and post what (nothing changes on a refusal), and the
organiser's flow through the forms."""
import pytest
from sqlalchemy import func, select

from matchmaker.events import services
from matchmaker.events.models import Event, EventParticipant, EventSlot
from matchmaker.orgs.models import Enterprise
from tests.conftest import submit
from tests.events.conftest import DAY, add_slots

ROLES = ("anonymous", "stranger", "participant", "organiser", "other_broker", "operator")


@pytest.fixture
def open_event(db_session, world):
    """The world's event, open, with two slots and the enterprise invited."""
    add_slots(db_session, world.event, 2, world.organiser)
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    ent = db_session.get(Enterprise, world.ent_user.enterprise_id)
    world.participant = services.invite_participant(db_session, world.event, ent,
                                                    actor=world.organiser,
                                                    listing_ids=[world.need.id])
    return world


def client_for(role, world, client, sign_in):
    user = {"anonymous": None, "stranger": world.stranger, "participant": world.ent_user,
            "organiser": world.organiser, "other_broker": world.other_broker,
            "operator": world.operator}[role]
    return client if user is None else sign_in(user)


def snapshot(db_session, event):
    db_session.expire_all()
    e = db_session.get(Event, event.id)
    return (e.title, e.status, e.version,
            db_session.scalar(select(func.count()).select_from(EventSlot)
                              .where(EventSlot.event_id == e.id)),
            tuple(db_session.execute(select(EventParticipant.id, EventParticipant.status,
                                            EventParticipant.blocked_slot_ids)
                                     .where(EventParticipant.event_id == e.id))))


def organiser_posts(w):
    e = w.event.id
    slot = w.event.slots[0].id
    return {
        f"/events/{e}/edit": {"title": "改名", "starts_on": DAY.isoformat(),
                              "ends_on": DAY.isoformat(), "tables": "3"},
        f"/events/{e}/status": {"status": "draft"},
        f"/events/{e}/slots": {"day": DAY.isoformat(), "starts_at": "15:00", "ends_at": "15:20"},
        f"/events/{e}/slots/{slot}/remove": {},
        f"/events/{e}/invite": {"organisation": f"i:{w.inst_user.institution_id}",
                                "max_meetings": "5"},
        f"/events/{e}/participants/{w.participant.id}/confirm": {},
    }


@pytest.mark.parametrize("role", ROLES)
def test_organiser_forms_refuse_everyone_else_and_change_nothing(
        db_session, open_event, client, sign_in, role):
    w = open_event
    user_client = client_for(role, w, client, sign_in)
    for url, data in organiser_posts(w).items():
        before = snapshot(db_session, w.event)
        response = submit(user_client, url, data, form_url="/events/")
        if role in ("organiser", "operator"):
            assert response.status_code == 302, url
            continue
        expected = 302 if role == "anonymous" else 403
        if "/participants/" in url and role in ("stranger", "other_broker"):
            expected = 404  # another organisation's participation is not even seen
        assert response.status_code == expected, (url, role)
        if role == "anonymous":
            assert "/auth/login" in response.headers["Location"]
        assert snapshot(db_session, w.event) == before, url


@pytest.mark.parametrize("role", ROLES)
def test_edit_page_only_for_the_organiser_and_operators(open_event, client, sign_in, role):
    response = client_for(role, open_event, client, sign_in).get(
        f"/events/{open_event.event.id}/edit")
    assert response.status_code == {"organiser": 200, "operator": 200,
                                     "anonymous": 302}.get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_new_event_page_only_for_brokers_and_operators(world, client, sign_in, role):
    response = client_for(role, world, client, sign_in).get("/events/new")
    assert response.status_code == {"organiser": 200, "operator": 200, "other_broker": 200,
                                    "anonymous": 302}.get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_seen_only_by_its_organiser_and_operators(world, client, sign_in, role):
    response = client_for(role, world, client, sign_in).get(f"/events/{world.event.id}")
    assert response.status_code == (200 if role in ("organiser", "operator") else 404)


@pytest.mark.parametrize("role", ROLES)
def test_an_open_event_page_shows_participants_only_to_its_organiser(
        open_event, client, sign_in, role):
    response = client_for(role, open_event, client, sign_in).get(
        f"/events/{open_event.event.id}")
    if role == "anonymous":
        assert response.status_code == 404  # not public
        return
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ('data-testid="participants"' in page) == (role in ("organiser", "operator"))
    assert ('data-testid="own-participation"' in page) == (role == "participant")


@pytest.mark.parametrize("role", ROLES)
def test_blocked_slots_only_by_the_participant_and_the_organiser(
        db_session, open_event, client, sign_in, role):
    w = open_event
    url = f"/events/{w.event.id}/participants/{w.participant.id}/blocked"
    before = snapshot(db_session, w.event)
    response = submit(client_for(role, w, client, sign_in), url,
                      {"slots": str(w.event.slots[0].id)}, form_url="/events/")
    if role in ("participant", "organiser", "operator"):
        assert response.status_code == 302
        db_session.expire_all()
        assert db_session.get(EventParticipant, w.participant.id).blocked_slot_ids == [
            w.event.slots[0].id]
    else:
        assert response.status_code == {"anonymous": 302}.get(role, 404)
        assert snapshot(db_session, w.event) == before


def test_public_events_are_listed_for_anonymous_visitors(db_session, world, client):
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    assert world.event.title not in client.get("/events/").get_data(as_text=True)
    data = services.EventData(title="公开路演", starts_on=DAY, ends_on=DAY, is_public=True)
    public = services.create_event(db_session, data, actor=world.organiser)
    services.set_event_status(db_session, public, "open", actor=world.organiser)
    page = client.get("/events/").get_data(as_text=True)
    assert "公开路演" in page
    assert client.get(f"/events/{public.id}").status_code == 200


def test_organiser_builds_an_event_and_confirms_a_registration(
        db_session, world, client, sign_in):
    organiser = sign_in(world.organiser)
    response = submit(organiser, "/events/new", {
        "title": "新材料对接会", "starts_on": DAY.isoformat(), "ends_on": DAY.isoformat(),
        "tables": "5", "place": "西安"})
    assert response.status_code == 302
    event_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    url = f"/events/{event_id}"
    assert submit(organiser, f"{url}/slots", {"day": DAY.isoformat(), "starts_at": "09:00",
                                              "ends_at": "09:20"}, form_url=url).status_code == 302
    submit(organiser, f"{url}/status", {"status": "open"}, form_url=url)
    ent = sign_in(world.ent_user)
    page = ent.get(url).get_data(as_text=True)
    assert 'data-testid="register"' in page and world.need.title in page
    assert submit(ent, f"{url}/register", {"listings": str(world.need.id)},
                  form_url=url).status_code == 302
    db_session.expire_all()
    participant = db_session.scalar(select(EventParticipant)
                                    .where(EventParticipant.event_id == event_id))
    assert (participant.status, participant.listing_ids) == ("registered", [world.need.id])
    page = organiser.get(url).get_data(as_text=True)
    assert world.need.title in page
    submit(organiser, f"{url}/participants/{participant.id}/confirm", {}, form_url=url)
    db_session.expire_all()
    assert db_session.get(EventParticipant, participant.id).status == "confirmed"


def test_bad_form_input_names_the_field_and_saves_nothing(world, client, sign_in):
    organiser = sign_in(world.organiser)
    response = submit(organiser, "/events/new", {
        "title": "", "starts_on": "not a date", "ends_on": DAY.isoformat(), "tables": "x"},
        follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "invalid-feedback" in page or "alert-danger" in page
    before = world.event.id
    response = submit(organiser, "/events/new", {
        "title": "倒序", "starts_on": DAY.isoformat(),
        "ends_on": "2000-01-01", "tables": "3"})
    assert response.status_code == 200  # refused: the form again, with the reason
    assert before == world.event.id


def test_unknown_ids_are_404(world, client, sign_in):
    organiser = sign_in(world.organiser)
    assert organiser.get("/events/99999999").status_code == 404
    assert submit(organiser, f"/events/{world.event.id}/participants/99999/confirm", {},
                  form_url="/events/").status_code == 404
