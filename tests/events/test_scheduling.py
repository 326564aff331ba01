"""Pairings and the schedule: proposals from the stored matches, the organiser's choices,
solving, locks, publication and the re-solve after it."""
import pytest

from matchmaker import signals
from matchmaker.errors import NotFoundError, PermissionDeniedError
from matchmaker.events import scheduling, services
from matchmaker.events.services import EventRefusedError
from matchmaker.recommendations.services import match_quality
from tests.pipeline.test_match_quality import store_scores
from tests.recommendations.conftest import settle_jobs


def _confirm_all(db_session, fair):
    pairings = scheduling.propose_pairings(db_session, fair.world.event,
                                           actor=fair.world.organiser)
    for p in pairings:
        scheduling.confirm_pairing(db_session, p, actor=fair.world.organiser)
    return pairings


def test_proposals_come_from_the_stored_matches_best_first(db_session, fair):
    pairings = scheduling.propose_pairings(db_session, fair.world.event,
                                           actor=fair.world.organiser, per_need=1)
    got = {(p.need_id, p.output_id, p.score, p.source, p.is_confirmed) for p in pairings}
    # A pairing's score is its pair's match quality (the need lists: 0.9, 0.8 and 0.7, 0.6).
    assert got == {(fair.needs[0].id, fair.outputs[0].id, match_quality(0.9, 0.9, 1),
                    "matcher", False),
                   (fair.needs[1].id, fair.outputs[0].id, match_quality(0.7, 0.7, 1),
                    "matcher", False)}
    again = scheduling.propose_pairings(db_session, fair.world.event,
                                        actor=fair.world.organiser, per_need=1)
    assert again == []  # nothing twice


def test_proposals_leave_out_pairs_below_the_quality_floor(app, db_session, fair,
                                                          monkeypatch):
    """Quality, not the raw score, decides: needs[0]'s second output and needs[1]'s first
    both score 0.30, but second under a best of 0.35 is a weaker match than first of its
    list; a floor between their qualities proposes only the latter."""
    settle_jobs(app, db_session)  # the factories' refresh first, then the lists below
    (n0, n1), (o0, o1) = fair.needs, fair.outputs
    store_scores(db_session, n0, [(o0, 0.35), (o1, 0.30)])
    store_scores(db_session, n1, [(o0, 0.30), (o1, 0.28)])
    for output in fair.outputs:
        store_scores(db_session, output, [])
    weaker, stronger = match_quality(0.30, 0.35, 2), match_quality(0.30, 0.30, 1)
    assert weaker < stronger
    monkeypatch.setitem(app.config, "MATCH_FLOOR", (weaker + stronger) / 2)
    with app.app_context():
        pairings = scheduling.propose_pairings(db_session, fair.world.event,
                                               actor=fair.world.organiser)
    assert {(p.need_id, p.output_id): p.score for p in pairings} == {
        (n0.id, o0.id): match_quality(0.35, 0.35, 1), (n1.id, o0.id): stronger}


def test_proposals_leave_out_unconfirmed_participants(db_session, fair):
    services.decline_participant(db_session, fair.institutions[0], actor=fair.world.organiser)
    pairings = scheduling.propose_pairings(db_session, fair.world.event,
                                           actor=fair.world.organiser)
    assert {p.output_id for p in pairings} == {fair.outputs[1].id}


def test_add_pairing_refuses_listings_not_brought_and_duplicates(db_session, fair, make_need):
    w = fair.world
    with pytest.raises(EventRefusedError) as raised:
        scheduling.add_pairing(db_session, w.event, make_need(), fair.outputs[0],
                               actor=w.organiser)
    assert raised.value.code == "pairing_not_brought"
    pairing = scheduling.add_pairing(db_session, w.event, fair.needs[0], fair.outputs[1],
                                     actor=w.organiser)
    assert (pairing.is_confirmed, pairing.source, pairing.score) == (
        True, "organiser", match_quality(0.8, 0.9, 2))  # the pair's quality, not its raw score
    with pytest.raises(EventRefusedError) as raised:
        scheduling.add_pairing(db_session, w.event, fair.needs[0], fair.outputs[1],
                               actor=w.organiser)
    assert raised.value.code == "pairing_exists"


def test_pairings_are_the_organisers_only(db_session, fair):
    w = fair.world
    with pytest.raises(PermissionDeniedError):
        scheduling.propose_pairings(db_session, w.event, actor=w.ent_user)
    with pytest.raises(PermissionDeniedError):
        scheduling.add_pairing(db_session, w.event, fair.needs[0], fair.outputs[0],
                               actor=w.other_broker)


def test_generate_refuses_without_slots_or_pairings(db_session, world, fair):
    with pytest.raises(EventRefusedError) as raised:
        scheduling.generate_schedule(db_session, fair.world.event, actor=fair.world.organiser)
    assert raised.value.code == "no_pairings"


def test_schedule_keeps_everyone_in_one_meeting_per_slot_and_out_of_blocked_slots(
        db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    services.set_blocked_slots(db_session, fair.enterprises[0], [fair.slots[0].id],
                               actor=w.ent_user)
    result = scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    meetings = scheduling.list_meetings(db_session, w.event)
    assert len(meetings) == len(result.meetings) == 4  # 2 × 2 pairs in 3 slots
    seen = set()
    for m in meetings:
        for pid in (m.pairing.need_participant_id, m.pairing.output_participant_id):
            assert (pid, m.slot_id) not in seen
            seen.add((pid, m.slot_id))
    assert (fair.enterprises[0].id, fair.slots[0].id) not in seen
    assert w.event.unscheduled == []


def test_unscheduled_pairs_keep_the_solvers_reason(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    services.set_participant_terms(db_session, fair.enterprises[0], actor=w.organiser,
                                   max_meetings=1, booth=None)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    assert [u["reason"] for u in w.event.unscheduled] == ["participant_at_max_meetings"]


def test_a_locked_meeting_stays_where_it_is(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    meeting = scheduling.list_meetings(db_session, w.event)[-1]
    where = (meeting.slot_id, meeting.table_no)
    scheduling.set_meeting_lock(db_session, meeting, True, actor=w.organiser)
    services.set_blocked_slots(db_session, fair.enterprises[1], [], actor=w.organiser)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    db_session.refresh(meeting)
    assert (meeting.slot_id, meeting.table_no, meeting.is_locked) == (*where, True)


def test_publish_then_change_moves_only_what_must_and_announces_it(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    published, changed = [], []
    with signals.event_schedule_published.connected_to(
            lambda e, **kw: published.append({p.id for p in kw["participants"]})), \
            signals.event_schedule_changed.connected_to(
            lambda e, **kw: changed.append({p.id for p in kw["participants"]})):
        scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
        before = {m.id: m.slot_id for m in scheduling.list_meetings(db_session, w.event)}
        blocked_slot = next(m.slot_id for m in scheduling.list_meetings(db_session, w.event)
                            if m.pairing.need_participant_id == fair.enterprises[0].id)
        services.set_blocked_slots(db_session, fair.enterprises[0], [blocked_slot],
                                   actor=w.ent_user)
        scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    assert published == [{p.id for p in fair.enterprises + fair.institutions}]
    assert len(changed) == 1 and fair.enterprises[0].id in changed[0]
    meetings = {m.id: m for m in scheduling.list_meetings(db_session, w.event)}
    moved = {i for i in before if i not in meetings or meetings[i].slot_id != before[i]}
    assert moved
    for i in moved & meetings.keys():
        assert blocked_slot != meetings[i].slot_id or fair.enterprises[0].id not in (
            meetings[i].pairing.need_participant_id, meetings[i].pairing.output_participant_id)
    assert not any(m.slot_id == blocked_slot and m.pairing.need_participant_id
                   == fair.enterprises[0].id for m in meetings.values())
    assert w.event.last_change["participants"] == sorted(changed[0])
    assert w.event.status == "scheduled"


def test_publish_refuses_an_empty_schedule(db_session, fair):
    with pytest.raises(EventRefusedError) as raised:
        scheduling.publish_schedule(db_session, fair.world.event, actor=fair.world.organiser)
    assert raised.value.code == "nothing_to_publish"


def test_the_agenda_is_a_participants_own_meetings_once_published(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    assert scheduling.list_agenda(db_session, w.event, fair.enterprises[0]) == []
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
    agenda = scheduling.list_agenda(db_session, w.event, fair.enterprises[0])
    assert len(agenda) == 2
    assert all(m.pairing.need_participant_id == fair.enterprises[0].id for m in agenda)
    assert [m.slot.starts_at for m in agenda] == sorted(m.slot.starts_at for m in agenda)


def test_a_held_event_schedule_is_frozen(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
    services.set_event_status(db_session, w.event, "held", actor=w.organiser)
    with pytest.raises(EventRefusedError) as raised:
        scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    assert raised.value.code == "schedule_frozen"


def test_other_brokers_cannot_lock(db_session, fair):
    w = fair.world
    _confirm_all(db_session, fair)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    meeting = scheduling.list_meetings(db_session, w.event)[0]
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        scheduling.set_meeting_lock(db_session, meeting, True, actor=w.other_broker)
    assert meeting.is_locked is False


def test_the_request_form_offers_listings_by_their_best_quality(app, db_session, fair):
    """outputs[1] is needs[0]'s second under a best of 0.35 (raw 0.305) and needs[1]'s first
    (raw 0.30): by quality, not raw score, the institution's form offers needs[1] first."""
    settle_jobs(app, db_session)
    (n0, n1), (o0, o1) = fair.needs, fair.outputs
    store_scores(db_session, n0, [(o0, 0.35), (o1, 0.305)])
    store_scores(db_session, n1, [(o1, 0.30)])
    for output in fair.outputs:
        store_scores(db_session, output, [])
    best = scheduling.best_qualities(db_session, [n0.id, n1.id], [o1.id], of_outputs=False)
    assert best == {n0.id: match_quality(0.305, 0.35, 2), n1.id: match_quality(0.30, 0.30, 1)}
    assert best[n1.id] > best[n0.id]
    assert scheduling.best_qualities(db_session, [n0.id, n1.id], [o0.id, o1.id],
                                     of_outputs=True) == {
        o0.id: match_quality(0.35, 0.35, 1), o1.id: match_quality(0.30, 0.30, 1)}
