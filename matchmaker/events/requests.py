"""Meeting requests between an event's participants, as on the B2B matchmaking platforms event
organisers know: a confirmed participant asks another for a meeting about one of its listings
and one of theirs, with a short reason; a member of the other organisation accepts or declines.

An accepted request becomes a confirmed pairing of source "request" (scheduling.
pair_for_request), which the schedule solver places in its first tier, before the matcher's
pairs. Requests are open while the event takes registrations or its schedule is published;
after publication, the organiser rebuilds the schedule to fit an accepted request in (only
what must move moves) and is told of each acceptance.

Each (need, output) pair is requested once per event: a declined request is not asked again.
Like every service: permissions first, flush, never commit; the signals tell the people
concerned (notifications.subscribers).
"""
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.events.models import REASON_MAX, Event, EventMeetingRequest, EventParticipant
from matchmaker.events.scheduling import pair_for_request
from matchmaker.events.services import own_participant, refuse
from matchmaker.permissions import Action
from matchmaker.types import utcnow

OPEN_STATUSES = ("open", "scheduled")


def _confirmed_brought(event: Event) -> tuple[dict[int, EventParticipant],
                                               dict[int, EventParticipant]]:
    """Return {need id: participant} and {output id: participant} of confirmed participants."""
    needs, outputs = {}, {}
    for p in event.participants:
        if p.status == "confirmed":
            for listing_id in p.listing_ids or []:
                (needs if p.enterprise_id else outputs)[int(listing_id)] = p
    return needs, outputs


def request_meeting(session: Session, event: Event, *, actor, own_listing_id: int,
                    their_listing_id: int, reason: str) -> EventMeetingRequest:
    """Ask, for actor's organisation, the participant that brings their_listing_id for a
    meeting about it and own_listing_id (one of the listings actor's organisation brings)."""
    permissions.require(actor, Action.VIEW, event)
    if event.status not in OPEN_STATUSES:
        raise refuse("requests_closed", "event")
    me = own_participant(session, event, actor)
    if me is None or me.status != "confirmed":
        raise refuse("not_confirmed", "event")
    needs, outputs = _confirmed_brought(event)
    own_side, their_side = (needs, outputs) if me.enterprise_id else (outputs, needs)
    if own_side.get(own_listing_id) is not me:
        raise refuse("request_listing_not_brought", "own_listing")
    them = their_side.get(their_listing_id)
    if them is None:
        raise refuse("request_listing_not_brought", "their_listing")
    if them.id == me.id:
        raise refuse("request_own_side", "their_listing")
    reason = (reason or "").strip()
    if not reason:
        raise refuse("reason_required", "reason")
    if len(reason) > REASON_MAX:
        raise refuse("reason_too_long", "reason")
    need_id, output_id = ((own_listing_id, their_listing_id) if me.enterprise_id
                          else (their_listing_id, own_listing_id))
    if session.scalar(select(EventMeetingRequest.id).where(
            EventMeetingRequest.event_id == event.id, EventMeetingRequest.need_id == need_id,
            EventMeetingRequest.output_id == output_id)):
        raise refuse("request_exists", "their_listing")
    req = EventMeetingRequest(event=event, requester=me, recipient=them, need_id=need_id,
                              output_id=output_id, reason=reason, status="pending",
                              requested_by_id=actor.id)
    session.add(req)
    session.flush()
    signals.event_meeting_requested.send(req, session=session, actor=actor)
    return req


def answer_request(session: Session, req: EventMeetingRequest, *, accept: bool,
                   actor) -> EventMeetingRequest:
    """Accept (the pair becomes a confirmed pairing) or decline a pending request; only the
    asked organisation's members may."""
    permissions.require(actor, Action.DECIDE, req)
    if req.status != "pending":
        raise refuse("request_answered", "request")
    event = req.event
    if event.status not in OPEN_STATUSES:
        raise refuse("requests_closed", "event")
    if accept:
        if req.requester.status != "confirmed":
            raise refuse("other_not_confirmed", "request")
        if req.recipient.status != "confirmed":
            raise refuse("not_confirmed", "request")
        needs, outputs = _confirmed_brought(event)
        if req.need_id not in needs or req.output_id not in outputs:
            raise refuse("request_listing_not_brought", "request")
        pair_for_request(session, event, req.need_id, req.output_id)
    req.status = "accepted" if accept else "declined"
    req.answered_by_id, req.answered_at = actor.id, utcnow()
    session.flush()
    signals.event_meeting_request_answered.send(req, session=session, actor=actor)
    return req


def withdraw_request(session: Session, req: EventMeetingRequest, *,
                     actor) -> EventMeetingRequest:
    """Withdraw a request not answered yet (the asking organisation's members)."""
    permissions.require(actor, Action.EDIT, req)
    if req.status != "pending":
        raise refuse("request_answered", "request")
    req.status = "withdrawn"
    req.answered_by_id, req.answered_at = actor.id, utcnow()
    session.flush()
    return req


def get_request(session: Session, event: Event, request_id: int, *,
                viewer) -> EventMeetingRequest:
    """Return the event's request viewer may see; NotFoundError otherwise."""
    req = session.get(EventMeetingRequest, request_id)
    if req is None or req.event_id != event.id:
        raise permissions.NotFoundError(request_id)
    permissions.require(viewer, Action.VIEW, req)
    return req


def list_requests(session: Session, event: Event,
                  participant: EventParticipant | None = None) -> list[EventMeetingRequest]:
    """Return the event's requests (only those participant asks or is asked), newest first."""
    query = select(EventMeetingRequest).where(EventMeetingRequest.event_id == event.id)
    if participant is not None:
        query = query.where(or_(EventMeetingRequest.requester_id == participant.id,
                                EventMeetingRequest.recipient_id == participant.id))
    return list(session.scalars(query.order_by(EventMeetingRequest.id.desc())))
