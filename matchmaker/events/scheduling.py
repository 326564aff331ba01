"""Pairings and the meeting schedule of an event.

The matcher's stored matches propose pairings among the participants' needs and outputs; the
organiser confirms, removes or adds them. build_problem turns the confirmed participants, the
slots and the pairings into the pure solver's ScheduleProblem (events.schedule: what it
optimises is in its docstring); generate_schedule stores the result as EventMeeting rows,
keeping the rows (and their notes and locks) of the pairs that still meet. After
publication a new solve passes the published meetings, so only what must move moves; the
diff is kept on the event and announced (signals.event_schedule_changed) to the
participants it touches.

Several pairings between the same two participants are one candidate pair for the solver
(two organisations meet once): its score is the best of them, it is confirmed when any is,
and the meeting is about the best confirmed pairing.
"""
from collections import defaultdict
from itertools import product

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.events import schedule as solver
from matchmaker.events.models import Event, EventMeeting, EventPairing, EventParticipant
from matchmaker.events.services import refuse
from matchmaker.permissions import Action
from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.services import is_good_match, pair_qualities
from matchmaker.recommendations.store import current_generation

PROPOSALS_PER_NEED = 5  # the matcher's best outputs proposed for each need brought
EDITABLE_STATUSES = ("draft", "open", "scheduled")


def _confirmed(event: Event) -> list[EventParticipant]:
    return [p for p in event.participants if p.status == "confirmed"]


def _brought(event: Event) -> tuple[dict[int, EventParticipant], dict[int, EventParticipant]]:
    """Return {need id: participant} and {output id: participant} of confirmed participants."""
    needs, outputs = {}, {}
    for p in _confirmed(event):
        for listing_id in p.listing_ids or []:
            (needs if p.enterprise_id else outputs)[int(listing_id)] = p
    return needs, outputs


def _require_editable(actor, event: Event) -> None:
    permissions.require(actor, Action.EDIT, event)
    if event.status not in EDITABLE_STATUSES:
        raise refuse("schedule_frozen", "event")


def list_pairings(session: Session, event: Event) -> list[EventPairing]:
    """Return the event's pairings, confirmed first, then by score."""
    return list(session.scalars(select(EventPairing).where(EventPairing.event_id == event.id)
                                .order_by(EventPairing.is_confirmed.desc(),
                                          EventPairing.score.desc(), EventPairing.id)))


def pairing_qualities(session: Session, pairings: list[EventPairing]) -> dict[int, float]:
    """Return {pairing id: the match quality of its pair} for the pairings whose pair is in a
    current match list (recommendations.services.pair_qualities: the higher of its quality in
    the need's list and in the output's). A pairing whose pair is in no current list (added
    by hand, or the lists have changed since) is left out: its quality is unknown."""
    quality = pair_qualities(session, [(p.need_id, p.output_id) for p in pairings])
    return {p.id: quality[(p.need_id, p.output_id)] for p in pairings
            if (p.need_id, p.output_id) in quality}


def best_qualities(session: Session, need_ids, output_ids, *,
                   of_outputs: bool) -> dict[int, float]:
    """Return {output id (of_outputs) or need id: its best match quality with the listings on
    the other side} (pairs in no current list left out): the meeting-request form offers the
    other side's listings in this order."""
    best: dict[int, float] = {}
    for (need_id, output_id), value in pair_qualities(session,
                                                      product(need_ids, output_ids)).items():
        key = output_id if of_outputs else need_id
        best[key] = max(value, best.get(key, 0.0))
    return best


def propose_pairings(session: Session, event: Event, *, actor,
                     per_need: int = PROPOSALS_PER_NEED) -> list[EventPairing]:
    """Add, for each need the confirmed participants brought, its best good matches among the
    outputs brought (from the current stored matches, both sides' lists); return the new
    pairings. Best by match quality, which compares across needs as raw scores do not (the
    solver weighs pairings of different needs against each other); pairs below the quality
    floor are not proposed (recommendations.services.is_good_match). A pairing's score is its
    pair's quality."""
    _require_editable(actor, event)
    needs, outputs = _brought(event)
    if current_generation(session) is None or not needs or not outputs:
        return []
    quality = pair_qualities(session, product(needs, outputs))
    existing = {(p.need_id, p.output_id) for p in list_pairings(session, event)}
    by_need = defaultdict(list)
    for (need_id, output_id), value in quality.items():
        if is_good_match(value):
            by_need[need_id].append((value, output_id))
    added = []
    for need_id, scored in sorted(by_need.items()):
        for value, output_id in sorted(scored, key=lambda s: (-s[0], s[1]))[:per_need]:
            if (need_id, output_id) in existing:
                continue
            added.append(_add(session, event, need_id, output_id, needs, outputs,
                              score=value, source="matcher", confirmed=False))
    session.flush()
    return added


def _pair_quality(session: Session, need_id: int, output_id: int) -> float:
    """Return the pair's match quality, 0 when it is in no current list."""
    return pair_qualities(session, [(need_id, output_id)]).get((need_id, output_id), 0.0)


def _add(session, event, need_id, output_id, needs, outputs, *, score, source, confirmed):
    pairing = EventPairing(event_id=event.id, need_id=need_id, output_id=output_id,
                           need_participant_id=needs[need_id].id,
                           output_participant_id=outputs[output_id].id,
                           score=min(max(float(score), 0.0), 1.0), source=source,
                           is_confirmed=confirmed)
    session.add(pairing)
    return pairing


def add_pairing(session: Session, event: Event, need: TechNeed, output: ResearchOutput, *,
                actor, source: str = "organiser") -> EventPairing:
    """Add a confirmed pairing the organiser chose (or a meeting request both sides want)."""
    _require_editable(actor, event)
    needs, outputs = _brought(event)
    if need.id not in needs or output.id not in outputs:
        raise refuse("pairing_not_brought", "need_id")
    if session.scalar(select(EventPairing.id).where(
            EventPairing.event_id == event.id, EventPairing.need_id == need.id,
            EventPairing.output_id == output.id)):
        raise refuse("pairing_exists", "need_id")
    pairing = _add(session, event, need.id, output.id, needs, outputs,
                   score=_pair_quality(session, need.id, output.id),
                   source=source, confirmed=True)
    session.flush()
    return pairing


def pair_for_request(session: Session, event: Event, need_id: int,
                     output_id: int) -> EventPairing:
    """Make (need, output) a confirmed pairing of source "request": a meeting both sides
    want, scheduled in the solver's first tier. The caller (events.requests) has checked
    the answer's permission; an existing pairing of the pair is upgraded, not duplicated."""
    pairing = session.scalar(select(EventPairing).where(
        EventPairing.event_id == event.id, EventPairing.need_id == need_id,
        EventPairing.output_id == output_id))
    if pairing is None:
        needs, outputs = _brought(event)
        pairing = _add(session, event, need_id, output_id, needs, outputs,
                       score=_pair_quality(session, need_id, output_id),
                       source="request", confirmed=True)
    pairing.source, pairing.is_confirmed = "request", True
    session.flush()
    return pairing


def confirm_pairing(session: Session, pairing: EventPairing, *, actor,
                    confirmed: bool = True) -> EventPairing:
    """Confirm a proposed pairing (or take the confirmation back)."""
    _require_editable(actor, _event_of(session, pairing))
    pairing.is_confirmed = confirmed
    session.flush()
    return pairing


def remove_pairing(session: Session, pairing: EventPairing, *, actor) -> None:
    """Remove a pairing (and its meeting, if scheduled: the next solve fills the gap)."""
    event = _event_of(session, pairing)
    _require_editable(actor, event)
    key = frozenset((pairing.need_participant_id, pairing.output_participant_id))
    others = [p for p in list_pairings(session, event) if p.id != pairing.id and frozenset(
        (p.need_participant_id, p.output_participant_id)) == key]
    meeting = session.scalar(select(EventMeeting).where(EventMeeting.pairing_id == pairing.id))
    if meeting is not None and others:  # the two still meet, about their next best pairing
        meeting.pairing_id = best_pairings(others)[key].id
    elif meeting is not None:
        session.delete(meeting)
    session.flush()
    session.delete(pairing)
    session.flush()


def _event_of(session: Session, pairing: EventPairing) -> Event:
    return session.get(Event, pairing.event_id)


# --- the schedule -----------------------------------------------------------------------------

def list_meetings(session: Session, event: Event) -> list[EventMeeting]:
    """Return the event's meetings in slot and table order."""
    meetings = session.scalars(select(EventMeeting).where(EventMeeting.event_id == event.id))
    return sorted(meetings, key=lambda m: (m.slot.starts_at, m.booth is not None,
                                           m.table_no or 0, m.booth or "", m.id))


def _host_first(pairing: EventPairing) -> tuple[int, int]:
    """The solver's (a, b): a is the host, the booth holder when one side has a booth."""
    need_p, output_p = pairing.need_participant, pairing.output_participant
    if output_p.booth and not need_p.booth:
        return output_p.id, need_p.id
    return need_p.id, output_p.id


def _as_meeting(meeting: EventMeeting, *, placed: bool = True) -> solver.Meeting:
    a, b = _host_first(meeting.pairing)
    return solver.Meeting(a, b, meeting.slot_id, meeting.table_no if placed else None,
                          meeting.booth if placed else None)


def best_pairings(pairings: list[EventPairing]) -> dict[frozenset, EventPairing]:
    """Return, per pair of participants, the pairing their meeting is about."""
    best: dict[frozenset, EventPairing] = {}
    for p in pairings:
        key = frozenset((p.need_participant_id, p.output_participant_id))
        if key not in best or (p.is_confirmed, p.score) > (best[key].is_confirmed,
                                                          best[key].score):
            best[key] = p
    return best


def build_problem(session: Session, event: Event, *,
                  published: bool = False) -> solver.ScheduleProblem:
    """Return the solver's problem: confirmed participants, slots, pairs, locks (and the
    published meetings when published is True)."""
    people = _confirmed(event)
    ids = {p.id for p in people}
    pairings = [p for p in list_pairings(session, event)
                if {p.need_participant_id, p.output_participant_id} <= ids]
    pairs = []
    for key, pairing in best_pairings(pairings).items():
        same = [p for p in pairings
                if frozenset((p.need_participant_id, p.output_participant_id)) == key]
        a, b = _host_first(pairing)
        pairs.append(solver.CandidatePair(
            a, b, max(p.score for p in same),
            is_request=any(p.source == "request" and p.is_confirmed for p in same),
            is_confirmed=any(p.is_confirmed for p in same)))
    meetings = list_meetings(session, event)
    slot_ids = {s.id for s in event.slots}
    locks = [_as_meeting(m) for m in meetings if m.is_locked]
    return solver.ScheduleProblem(
        participants=[solver.Participant(p.id, p.max_meetings,
                                         frozenset(s for s in p.blocked_slot_ids or []
                                                   if s in slot_ids), p.booth)
                      for p in people],
        slots=[solver.Slot(s.id, s.label) for s in event.slots],
        tables=event.tables, pairs=pairs,
        locked=[m for m in locks if {m.a, m.b} <= ids],
        published=[solver.Meeting(*row) for row in event.published_schedule or []]
        if published else None)


def generate_schedule(session: Session, event: Event, *, actor) -> solver.Schedule:
    """Solve the schedule and store its meetings; after publication, record and announce
    what changed."""
    _require_editable(actor, event)
    if not event.slots:
        raise refuse("no_slots", "slots")
    published = event.status == "scheduled"
    problem = build_problem(session, event, published=published)
    if not problem.pairs and not problem.locked:
        raise refuse("no_pairings", "pairings")
    try:
        result = solver.solve_schedule(problem)
    except solver.ScheduleConflictError:
        raise refuse("locks_conflict", "locked") from None
    except solver.ScheduleInputError:
        raise refuse("no_pairings", "pairings") from None
    _store(session, event, result)
    if published and result.diff is not None and not result.diff.is_empty:
        _announce_change(session, event, result.diff, actor)
    return result


def _store(session: Session, event: Event, result: solver.Schedule) -> None:
    best = best_pairings(list_pairings(session, event))
    existing = {frozenset((m.pairing.need_participant_id, m.pairing.output_participant_id)): m
                for m in list_meetings(session, event)}
    for m in result.meetings:
        row = existing.pop(m.key, None)
        if row is None:
            row = EventMeeting(event_id=event.id, pairing_id=best[m.key].id, notes="")
            session.add(row)
        row.slot_id, row.table_no, row.booth = m.slot, m.table, m.booth
    for row in existing.values():
        session.delete(row)
    event.unscheduled = [{"a": u.a, "b": u.b, "reason": u.reason} for u in result.unscheduled]
    if event.status == "scheduled":
        _snapshot(event, result.meetings)
    session.flush()


def _snapshot(event: Event, meetings) -> None:
    event.published_schedule = [[m.a, m.b, m.slot, m.table, m.booth] for m in meetings]


def _announce_change(session: Session, event: Event, diff: solver.ScheduleDiff, actor) -> None:
    def pairs(meetings):
        return [sorted((m.a, m.b)) for m in meetings]

    event.last_change = {
        "at": clock.now().isoformat(), "moved": pairs(after for _b, after in diff.moved),
        "added": pairs(diff.added), "dropped": pairs(diff.dropped),
        "participants": sorted(diff.participants_affected)}
    session.flush()
    affected = [p for p in event.participants if p.id in diff.participants_affected]
    signals.event_schedule_changed.send(event, session=session, actor=actor,
                                        participants=affected, diff=event.last_change)


def set_meeting_lock(session: Session, meeting: EventMeeting, locked: bool, *,
                     actor) -> EventMeeting:
    """Lock a meeting where it is (the next solve keeps it) or unlock it."""
    _require_editable(actor, meeting.event)
    meeting.is_locked = bool(locked)
    session.flush()
    return meeting


def publish_schedule(session: Session, event: Event, *, actor) -> Event:
    """Publish the schedule: participants see their agendas; announced to all confirmed."""
    permissions.require(actor, Action.EDIT, event)
    if event.status not in ("draft", "open"):
        raise refuse("status_transition", "status")
    if not list_meetings(session, event):
        raise refuse("nothing_to_publish", "schedule")
    event.status, event.published_at = "scheduled", clock.now()
    _snapshot(event, [_as_meeting(m) for m in list_meetings(session, event)])
    session.flush()
    signals.event_schedule_published.send(event, session=session, actor=actor,
                                          participants=_confirmed(event))
    return event


def list_agenda(session: Session, event: Event, participant: EventParticipant
                ) -> list[EventMeeting]:
    """Return one participant's meetings in time order (only once published)."""
    if event.status not in ("scheduled", "held", "closed"):
        return []
    return [m for m in list_meetings(session, event)
            if participant.id in (m.pairing.need_participant_id,
                                  m.pairing.output_participant_id)]
