"""During and after the event: each meeting's notes and outcome, the deals they start, and
what the event came to.

A positive outcome (follow-up, NDA wanted, negotiation started) is a deal for the pair's need
and output, through pipeline.services: the open deal of that pair gets a new next step (due
FOLLOW_UP_DAYS later), or a new deal is opened with it. The organiser acts on the deal when
the pipeline lets them (an active broker who may see both listings, or who works on the
existing deal); otherwise the platform does (permissions.SYSTEM: the deal is then owned by
the broker the pipeline chooses), since whoever recorded the outcome, a participant maybe,
may not write deals.
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.domain import ActivityKind
from matchmaker.events import labels
from matchmaker.events.models import OUTCOMES, POSITIVE_OUTCOMES, Event, EventMeeting
from matchmaker.events.services import NOTES_MAX, refuse
from matchmaker.permissions import Action
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline
from matchmaker.pipeline.models import Contract, Deal

FOLLOW_UP_DAYS = 7


def record_outcome(session: Session, meeting: EventMeeting, *, actor, outcome: str,
                   notes: str = "") -> Deal | None:
    """Record a meeting's outcome and notes; a positive one starts or updates the pair's
    deal, which is returned."""
    permissions.require(actor, Action.EDIT, meeting)
    if meeting.event.status not in ("scheduled", "held", "closed"):
        raise refuse("outcome_too_early", "outcome")
    if outcome not in OUTCOMES:
        raise refuse("outcome_unknown", "outcome")
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise refuse("notes_too_long", "notes")
    meeting.outcome, meeting.notes, meeting.outcome_at = outcome, notes, clock.now()
    deal = _follow_up(session, meeting, outcome) if outcome in POSITIVE_OUTCOMES else None
    if deal is not None:
        meeting.deal_id = deal.id
    session.flush()
    signals.event_meeting_outcome.send(meeting, session=session, actor=actor, outcome=outcome,
                                       deal=deal)
    return deal


def _may_deal(user, *listings) -> bool:
    return permissions.is_staff(user) and all(
        permissions.can(user, Action.VIEW, listing) for listing in listings)


def _follow_up(session: Session, meeting: EventMeeting, outcome: str) -> Deal:
    event, pairing = meeting.event, meeting.pairing
    need, output = pairing.need, pairing.output
    text = _("Follow up the meeting at %(event)s (%(outcome)s)", event=event.title[:120],
             outcome=labels.OUTCOME[outcome])[:300]
    due = clock.today() + timedelta(days=FOLLOW_UP_DAYS)
    organiser = event.organiser
    deal = session.scalar(select(Deal).where(Deal.need_id == need.id,
                                             Deal.output_id == output.id, Deal.is_open)
                          .order_by(Deal.id))
    if deal is not None:
        agent = (organiser if permissions.can(organiser, Action.EDIT, deal)
                 else permissions.SYSTEM)
        pipeline.set_next_step(session, deal, text, due, actor=agent)
    else:
        agent = organiser if _may_deal(organiser, need, output) else permissions.SYSTEM
        deal = pipeline.create_deal(
            session, actor=agent, need=need, output=output, next_step=text, next_step_due=due,
            owner=organiser if permissions.is_broker(organiser) else None)
    if agent is organiser and meeting.notes:
        pipeline.add_activity(session, deal, ActivityKind.MEETING, meeting.notes, actor=agent)
    return deal


@dataclass(frozen=True)
class EventResults:
    """What came of an event: meetings held, deals started, contracts signed and their value."""

    meetings: int
    held: int
    positive: int
    deals: int
    contracts: int
    contract_value: Decimal  # 万元


def event_results(session: Session, event: Event) -> EventResults:
    """Count the event's meetings, outcomes, deals started and the contracts they signed."""
    meetings = session.scalars(select(EventMeeting).where(EventMeeting.event_id == event.id)).all()
    deal_ids = {m.deal_id for m in meetings if m.deal_id is not None}
    signed = session.execute(
        select(func.count(Contract.id), func.coalesce(func.sum(Contract.total_amount), 0))
        .where(Contract.deal_id.in_(deal_ids), Contract.signed_on.is_not(None))).one()
    return EventResults(
        meetings=len(meetings), held=sum(1 for m in meetings if m.outcome),
        positive=sum(1 for m in meetings if m.outcome in POSITIVE_OUTCOMES),
        deals=len(deal_ids), contracts=signed[0], contract_value=Decimal(str(signed[1])))
