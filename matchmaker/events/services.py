"""Write matchmaking events: the event, its slots and participants, pairings, the schedule,
and the meetings' outcomes.

Every function is `verb_noun(session, …, actor=…)`: it checks permissions (permissions.py),
flushes and never commits, and announces what the notifications need (signals.py). Refusals
are EventRefusedError, a ValidationFailedError whose reasons are keyed by the field to fix and
say why in the reader's language. The schedule itself is solved by the pure
events.schedule package; this module converts rows to its dataclasses and back.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.chains.models import Chain
from matchmaker.domain import Role
from matchmaker.errors import PermissionDeniedError, StaleObjectError, ValidationFailedError
from matchmaker.events import labels
from matchmaker.events.models import (
    EVENT_STATUSES,
    Event,
    EventMeeting,
    EventParticipant,
    EventSlot,
)
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.permissions import Action
from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed

NOTES_MAX = 5000
# Which status may follow which (the organiser moves the event along by hand; publishing
# the schedule is what makes it "scheduled").
TRANSITIONS = {
    "draft": ("open",), "open": ("draft", "closed"), "scheduled": ("held", "closed"),
    "held": ("closed",), "closed": (),
}


class EventRefusedError(ValidationFailedError):
    """A change the event's rules refuse; codes are labels.REFUSAL's keys."""

    def __init__(self, code: str, field: str | None = None):
        self.code = code
        super().__init__({field or code: str(labels.REFUSAL[code])})


def refuse(code: str, field: str | None = None) -> EventRefusedError:
    """Return the error for one refusal (raise it)."""
    return EventRefusedError(code, field)


# --- events --------------------------------------------------------------------------------

@dataclass
class EventData:
    """What the organiser fills in."""

    title: str
    starts_on: date
    ends_on: date
    description: str = ""
    place: str = ""
    online_link: str = ""
    chain_id: int | None = None
    capacity: int | None = None
    tables: int = 10
    is_public: bool = False


def _check_data(session: Session, data: EventData) -> None:
    if not data.title.strip():
        raise refuse("title_required", "title")
    if data.ends_on < data.starts_on:
        raise refuse("dates_order", "ends_on")
    if data.capacity is not None and data.capacity <= 0:
        raise refuse("capacity_positive", "capacity")
    if not 0 <= data.tables <= 500:
        raise refuse("tables_range", "tables")
    if data.chain_id is not None and session.get(Chain, data.chain_id) is None:
        raise refuse("unknown_chain", "chain_id")


def _assign(event: Event, data: EventData) -> None:
    event.title, event.description = data.title.strip()[:200], data.description.strip()
    event.starts_on, event.ends_on = data.starts_on, data.ends_on
    event.place, event.online_link = data.place.strip()[:200], data.online_link.strip()[:300]
    event.chain_id, event.capacity = data.chain_id, data.capacity
    event.tables, event.is_public = data.tables, bool(data.is_public)


def create_event(session: Session, data: EventData, *, actor) -> Event:
    """Create a draft event organised by actor (a broker or an operator)."""
    if not permissions.may_create(actor, "event"):
        raise PermissionDeniedError("event")
    _check_data(session, data)
    event = Event(organiser_id=actor.id, status="draft", unscheduled=[])
    _assign(event, data)
    session.add(event)
    session.flush()
    return event


def check_version(event: Event, version: int | None) -> None:
    """Raise StaleObjectError when the event changed since the organiser loaded version."""
    if version is not None and event.version != version:
        raise StaleObjectError(event.id)


def update_event(session: Session, event: Event, data: EventData, *, actor,
                 version: int | None = None) -> Event:
    """Change the event's fields; refuse a version older than the stored one."""
    permissions.require(actor, Action.EDIT, event)
    check_version(event, version)
    _check_data(session, data)
    _assign(event, data)
    session.flush()
    return event


def set_event_status(session: Session, event: Event, status: str, *, actor) -> Event:
    """Move the event along TRANSITIONS (open it for registration, mark it held, close it)."""
    permissions.require(actor, Action.EDIT, event)
    if status not in EVENT_STATUSES or status not in TRANSITIONS[event.status]:
        raise refuse("status_transition", "status")
    event.status = status
    session.flush()
    return event


def get_event(session: Session, event_id: int, *, viewer) -> Event:
    """Return the event viewer may see; NotFoundError otherwise."""
    event = session.get(Event, event_id)
    if event is None:
        raise permissions.NotFoundError(event_id)
    permissions.require(viewer, Action.VIEW, event)
    return event


def list_events(session: Session, viewer, *, chain_id: int | None = None,
                today: date | None = None) -> tuple[list[Event], list[Event]]:
    """Return (upcoming, past) events viewer may see, optionally of one chain."""
    today = today or clock.today()
    query = select(Event).order_by(Event.starts_on, Event.id)
    if chain_id is not None:
        query = query.where(Event.chain_id == chain_id)
    if not permissions.is_admin(viewer):
        visible = Event.status != "draft"
        if permissions.is_broker(viewer):
            visible = visible | (Event.organiser_id == viewer.id)
        if permissions.role_of(viewer) is None:
            visible = visible & Event.is_public
        query = query.where(visible)
    events = session.scalars(query).unique().all()
    upcoming = [e for e in events if e.ends_on >= today]
    past = sorted((e for e in events if e.ends_on < today), key=lambda e: e.starts_on,
                  reverse=True)
    return upcoming, past


# --- slots ---------------------------------------------------------------------------------

def add_slot(session: Session, event: Event, starts_at: datetime, ends_at: datetime, *,
             actor) -> EventSlot:
    """Add a time slot on one of the event's days."""
    permissions.require(actor, Action.EDIT, event)
    if (ends_at <= starts_at or not event.starts_on <= starts_at.date() <= event.ends_on
            or ends_at.date() != starts_at.date()):
        raise refuse("slot_times", "starts_at")
    slot = EventSlot(event=event, starts_at=starts_at, ends_at=ends_at)
    session.add(slot)
    session.flush()
    return slot


def remove_slot(session: Session, slot: EventSlot, *, actor) -> None:
    """Remove a slot that has no meeting."""
    permissions.require(actor, Action.EDIT, slot.event)
    if session.scalar(select(func.count(EventMeeting.id)).where(EventMeeting.slot_id == slot.id)):
        raise refuse("slot_has_meetings", "slot")
    slot.event.slots.remove(slot)
    session.flush()


# --- participants --------------------------------------------------------------------------

def _existing(session: Session, event: Event, organisation) -> EventParticipant | None:
    column = (EventParticipant.institution_id if isinstance(organisation, Institution)
              else EventParticipant.enterprise_id)
    return session.scalar(select(EventParticipant).where(
        EventParticipant.event_id == event.id, column == organisation.id))


def _check_listings(session: Session, organisation, listing_ids) -> list[int]:
    ids = sorted({int(i) for i in listing_ids})
    if isinstance(organisation, Institution):
        owned = select(ResearchOutput.id).where(ResearchOutput.institution_id == organisation.id)
    else:
        owned = select(TechNeed.id).where(TechNeed.enterprise_id == organisation.id)
    if ids and set(session.scalars(owned.where(owned.selected_columns[0].in_(ids)))) != set(ids):
        raise refuse("listing_not_yours", "listings")
    return ids


def _check_max(max_meetings: int) -> None:
    if not 1 <= max_meetings <= 50:
        raise refuse("max_meetings_range", "max_meetings")


def invite_participant(session: Session, event: Event, organisation, *, actor,
                       listing_ids=(), max_meetings: int = 6,
                       booth: str | None = None) -> EventParticipant:
    """Invite an institution or enterprise (the organiser), with the listings it brings."""
    permissions.require(actor, Action.EDIT, event)
    if not isinstance(organisation, Institution | Enterprise):
        raise refuse("not_an_organisation", "organisation")
    if _existing(session, event, organisation) is not None:
        raise refuse("already_participant", "organisation")
    _check_max(max_meetings)
    participant = EventParticipant(
        event=event, status="invited", max_meetings=max_meetings,
        booth=(booth or "").strip()[:40] or None, blocked_slot_ids=[],
        listing_ids=_check_listings(session, organisation, listing_ids),
        **{"institution" if isinstance(organisation, Institution) else "enterprise":
           organisation})
    session.add(participant)
    session.flush()
    signals.event_participant_changed.send(participant, session=session, actor=actor,
                                           change="invited")
    return participant


def _organisation_of(session: Session, user):
    if permissions.role_of(user) == Role.INSTITUTION and user.institution_id:
        return session.get(Institution, user.institution_id)
    if permissions.role_of(user) == Role.ENTERPRISE and user.enterprise_id:
        return session.get(Enterprise, user.enterprise_id)
    return None


def register_participant(session: Session, event: Event, *, actor,
                         listing_ids) -> EventParticipant:
    """Register actor's organisation with the listings it brings (an invitation becomes a
    registration); the organiser confirms it."""
    if not permissions.can(actor, Action.REGISTER, event):
        permissions.require(actor, Action.VIEW, event)
        raise refuse("registration_closed", "event")
    organisation = _organisation_of(session, actor)
    if organisation is None:
        raise refuse("not_an_organisation", "organisation")
    ids = _check_listings(session, organisation, listing_ids)
    if not ids:
        raise refuse("listing_required", "listings")
    participant = _existing(session, event, organisation)
    if participant is not None and participant.status not in ("invited", "declined"):
        raise refuse("already_participant", "organisation")
    if participant is None:
        participant = EventParticipant(event=event, blocked_slot_ids=[], **{
            "institution" if isinstance(organisation, Institution) else "enterprise":
            organisation})
        session.add(participant)
    participant.status, participant.listing_ids = "registered", ids
    session.flush()
    signals.event_participant_changed.send(participant, session=session, actor=actor,
                                           change="registered")
    return participant


def confirm_participant(session: Session, participant: EventParticipant, *,
                        actor) -> EventParticipant:
    """Confirm a registered or invited participant, within the event's capacity."""
    event = participant.event
    permissions.require(actor, Action.EDIT, event)
    if participant.status not in ("registered", "invited"):
        raise refuse("not_registered", "participant")
    confirmed = sum(1 for p in event.participants if p.status == "confirmed")
    if event.capacity is not None and confirmed >= event.capacity:
        raise refuse("event_full", "participant")
    participant.status = "confirmed"
    session.flush()
    signals.event_participant_changed.send(participant, session=session, actor=actor,
                                           change="confirmed")
    return participant


def decline_participant(session: Session, participant: EventParticipant, *,
                        actor) -> EventParticipant:
    """Decline a participant (the organiser) or withdraw one's own participation."""
    permissions.require(actor, Action.EDIT, participant)
    participant.status = "declined"
    session.flush()
    signals.event_participant_changed.send(participant, session=session, actor=actor,
                                           change="declined")
    return participant


def set_blocked_slots(session: Session, participant: EventParticipant, slot_ids, *,
                      actor) -> EventParticipant:
    """Mark the slots the participant is not available in (its members or the organiser)."""
    permissions.require(actor, Action.EDIT, participant)
    known = {s.id for s in participant.event.slots}
    ids = sorted({int(i) for i in slot_ids})
    if not set(ids) <= known:
        raise refuse("unknown_slot", "blocked_slots")
    participant.blocked_slot_ids = ids
    session.flush()
    return participant


def set_participant_terms(session: Session, participant: EventParticipant, *, actor,
                          max_meetings: int, booth: str | None) -> EventParticipant:
    """Set a participant's maximum number of meetings and booth (the organiser)."""
    permissions.require(actor, Action.EDIT, participant.event)
    _check_max(max_meetings)
    participant.max_meetings = max_meetings
    participant.booth = (booth or "").strip()[:40] or None
    session.flush()
    return participant


def own_participant(session: Session, event: Event, viewer) -> EventParticipant | None:
    """Return viewer's organisation's participation in the event, if any."""
    organisation = _organisation_of(session, viewer)
    return _existing(session, event, organisation) if organisation is not None else None
