"""Events' services: the rules, and the refusals with their messages."""
from datetime import datetime, timedelta

import pytest

from matchmaker.errors import NotFoundError, PermissionDeniedError, StaleObjectError
from matchmaker.events import services
from matchmaker.events.services import EventRefusedError
from matchmaker.orgs.models import Enterprise, Institution
from tests.events.conftest import DAY, add_slots, event_data


def test_create_event_makes_a_draft_organised_by_the_broker(world):
    assert world.event.status == "draft"
    assert world.event.organiser_id == world.organiser.id


def test_create_event_refuses_an_enterprise_user(db_session, world):
    with pytest.raises(PermissionDeniedError):
        services.create_event(db_session, event_data(), actor=world.ent_user)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "  "}, "title"),
    ({"ends_on": DAY - timedelta(days=1)}, "ends_on"),
    ({"capacity": 0}, "capacity"),
    ({"tables": 501}, "tables"),
    ({"chain_id": 2**31 - 1}, "chain_id"),
])
def test_create_event_refuses_bad_fields_naming_the_field(db_session, world, overrides, field):
    with pytest.raises(EventRefusedError) as raised:
        services.create_event(db_session, event_data(**overrides), actor=world.organiser)
    assert list(raised.value.reasons) == [field]
    assert raised.value.reasons[field]


def test_update_event_refuses_another_broker_and_an_old_version(db_session, world):
    with pytest.raises(NotFoundError):  # a draft: not even seen
        services.update_event(db_session, world.event, event_data(title="x"),
                              actor=world.other_broker)
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    with pytest.raises(PermissionDeniedError):
        services.update_event(db_session, world.event, event_data(title="x"),
                              actor=world.other_broker)
    version = world.event.version
    services.update_event(db_session, world.event, event_data(title="新标题"),
                          actor=world.organiser, version=version)
    assert world.event.title == "新标题"
    with pytest.raises(StaleObjectError):
        services.update_event(db_session, world.event, event_data(title="再改"),
                              actor=world.operator, version=version)


def test_status_follows_the_transitions(db_session, world):
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    with pytest.raises(EventRefusedError) as raised:
        services.set_event_status(db_session, world.event, "held", actor=world.organiser)
    assert raised.value.code == "status_transition"
    assert world.event.status == "open"


def test_slots_must_fall_on_the_event_day_and_end_after_they_start(db_session, world):
    start = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=9)
    with pytest.raises(EventRefusedError):
        services.add_slot(db_session, world.event, start, start, actor=world.organiser)
    with pytest.raises(EventRefusedError):
        services.add_slot(db_session, world.event, start + timedelta(days=3),
                          start + timedelta(days=3, minutes=20), actor=world.organiser)
    slots = add_slots(db_session, world.event, 2, world.organiser)
    assert [s.id for s in world.event.slots] == [s.id for s in slots]


def test_register_needs_an_open_event_and_own_listings(db_session, world):
    with pytest.raises(NotFoundError):  # a draft
        services.register_participant(db_session, world.event, actor=world.ent_user,
                                      listing_ids=[world.need.id])
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    with pytest.raises(EventRefusedError) as raised:
        services.register_participant(db_session, world.event, actor=world.ent_user,
                                      listing_ids=[world.output.id + 10**6])
    assert raised.value.code == "listing_not_yours"
    participant = services.register_participant(db_session, world.event, actor=world.ent_user,
                                                listing_ids=[world.need.id])
    assert (participant.status, participant.listing_ids) == ("registered", [world.need.id])
    assert participant.enterprise_id == world.ent_user.enterprise_id
    with pytest.raises(EventRefusedError) as raised:
        services.register_participant(db_session, world.event, actor=world.ent_user,
                                      listing_ids=[world.need.id])
    assert raised.value.code == "already_participant"
    services.set_event_status(db_session, world.event, "closed", actor=world.organiser)
    with pytest.raises(EventRefusedError) as raised:
        services.register_participant(db_session, world.event, actor=world.inst_user,
                                      listing_ids=[world.output.id])
    assert raised.value.code == "registration_closed"


def test_brokers_cannot_register(db_session, world):
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    with pytest.raises(EventRefusedError):
        services.register_participant(db_session, world.event, actor=world.other_broker,
                                      listing_ids=[])


def test_confirm_keeps_within_the_capacity(db_session, world):
    services.update_event(db_session, world.event, event_data(capacity=1), actor=world.organiser)
    ent = db_session.get(Enterprise, world.ent_user.enterprise_id)
    inst = db_session.get(Institution, world.inst_user.institution_id)
    first = services.invite_participant(db_session, world.event, ent, actor=world.organiser,
                                        listing_ids=[world.need.id])
    second = services.invite_participant(db_session, world.event, inst, actor=world.organiser,
                                         listing_ids=[world.output.id])
    services.confirm_participant(db_session, first, actor=world.organiser)
    with pytest.raises(EventRefusedError) as raised:
        services.confirm_participant(db_session, second, actor=world.organiser)
    assert raised.value.code == "event_full"
    assert second.status == "invited"


def test_invite_refuses_twice_and_other_brokers(db_session, world):
    ent = db_session.get(Enterprise, world.ent_user.enterprise_id)
    with pytest.raises(NotFoundError):
        services.invite_participant(db_session, world.event, ent, actor=world.other_broker)
    services.invite_participant(db_session, world.event, ent, actor=world.operator)
    with pytest.raises(EventRefusedError) as raised:
        services.invite_participant(db_session, world.event, ent, actor=world.organiser)
    assert raised.value.code == "already_participant"


def test_an_invited_organisation_registers_with_its_listings(db_session, world):
    ent = db_session.get(Enterprise, world.ent_user.enterprise_id)
    invited = services.invite_participant(db_session, world.event, ent, actor=world.organiser)
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    registered = services.register_participant(db_session, world.event, actor=world.ent_user,
                                               listing_ids=[world.need.id])
    assert registered is invited and invited.status == "registered"


def test_blocked_slots_by_the_member_only_and_of_this_event(db_session, world):
    slots = add_slots(db_session, world.event, 3, world.organiser)
    ent = db_session.get(Enterprise, world.ent_user.enterprise_id)
    participant = services.invite_participant(db_session, world.event, ent,
                                              actor=world.organiser)
    with pytest.raises(NotFoundError):
        services.set_blocked_slots(db_session, participant, [slots[0].id], actor=world.stranger)
    with pytest.raises(EventRefusedError):
        services.set_blocked_slots(db_session, participant, [slots[0].id + 1000],
                                   actor=world.ent_user)
    services.set_blocked_slots(db_session, participant, [slots[1].id], actor=world.ent_user)
    assert participant.blocked_slot_ids == [slots[1].id]


def test_list_events_hides_drafts_from_all_but_their_organiser(db_session, world):
    upcoming, _past = services.list_events(db_session, world.ent_user)
    assert world.event not in upcoming
    assert world.event in services.list_events(db_session, world.organiser)[0]
    assert world.event not in services.list_events(db_session, world.other_broker)[0]
    assert world.event in services.list_events(db_session, world.operator)[0]
    services.set_event_status(db_session, world.event, "open", actor=world.organiser)
    assert world.event in services.list_events(db_session, world.ent_user)[0]
    assert world.event not in services.list_events(db_session, None)[0]  # not public
    upcoming, past = services.list_events(db_session, world.ent_user,
                                          today=DAY + timedelta(days=1))
    assert world.event in past and world.event not in upcoming
