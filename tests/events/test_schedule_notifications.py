"""Participants are told when the meeting schedule is published, and only those whose meetings
changed are told about a change after publication (notifications subscribers)."""
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.events import scheduling, services
from matchmaker.notifications.models import Notification
from matchmaker.notifications.rules import Kind


def _members(db_session, participant) -> set[int]:
    column, org = ((User.institution_id, participant.institution_id)
                   if participant.institution_id else
                   (User.enterprise_id, participant.enterprise_id))
    return set(db_session.scalars(select(User.id).where(column == org)))


def _told(db_session, kind: Kind) -> list[Notification]:
    return list(db_session.scalars(select(Notification).where(Notification.kind == str(kind))))


def test_publication_tells_every_participant_and_a_change_only_those_affected(db_session,
                                                                              fair):
    w = fair.world
    for pairing in scheduling.propose_pairings(db_session, w.event, actor=w.organiser):
        scheduling.confirm_pairing(db_session, pairing, actor=w.organiser)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)

    participants = fair.enterprises + fair.institutions
    everyone = set().union(*(_members(db_session, p) for p in participants))
    published = _told(db_session, Kind.SCHEDULE_PUBLISHED)
    assert {n.recipient_id for n in published} == everyone
    assert len(published) == len(everyone)  # once each
    assert all(n.params["event"] == w.event.title and n.link_endpoint == "events.agenda"
               and n.link_args == {"event_id": w.event.id} for n in published)
    assert w.organiser.id not in everyone

    blocked = next(m.slot_id for m in scheduling.list_meetings(db_session, w.event)
                   if m.pairing.need_participant_id == fair.enterprises[0].id)
    services.set_blocked_slots(db_session, fair.enterprises[0], [blocked], actor=w.ent_user)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)

    affected = set(w.event.last_change["participants"])
    assert fair.enterprises[0].id in affected
    expected = set().union(*(_members(db_session, p) for p in participants
                             if p.id in affected))
    changed = _told(db_session, Kind.SCHEDULE_CHANGED)
    assert {n.recipient_id for n in changed} == expected
    unaffected = set().union(set(), *(_members(db_session, p) for p in participants
                                      if p.id not in affected))
    assert unaffected, "the change should leave some participant alone"
    assert not unaffected & {n.recipient_id for n in changed}
