"""What the notifications do when other features announce a change (matchmaker.signals):
tell a broker a deal is theirs, tell a listing's owners their output is transferred or their
need solved, and send the account e-mails."""
import logging

from sqlalchemy import delete, select

from matchmaker import signals
from matchmaker.auth.models import User
from matchmaker.domain import AccountStatus, HistoryKind, NeedStatus, OutputStatus, Side
from matchmaker.jobs import enqueue
from matchmaker.notifications.jobs import ACCOUNT_EMAIL_TASK
from matchmaker.notifications.models import (
    CalendarFeed,
    Notification,
    NotificationPreference,
    WecomRobot,
)
from matchmaker.notifications.rules import Kind
from matchmaker.notifications.services import email_enabled, notify
from matchmaker.pipeline.models import Deal

log = logging.getLogger(__name__)


@signals.deal_changed.connect
def tell_new_owner(deal, *, session, actor, kind, changes, **_) -> None:
    """A deal created for, or reassigned to, a broker other than the one acting: tell them.

    The key carries the deal's version, so being assigned the same deal again later is a new
    occasion; the seed's bulk load tells nobody.
    """
    if kind not in (HistoryKind.CREATED, HistoryKind.ASSIGN) or signals.in_bulk_load(session):
        return
    owner = deal.owner
    if owner is None or (actor is not None and actor.id == owner.id):
        return
    notify(session, owner, Kind.ASSIGNED, key=f"{Kind.ASSIGNED}:{deal.id}:{deal.version}:"
           f"u{owner.id}", params={"deal": deal.title},
           link=("pipeline.detail", {"deal_id": deal.id}))


_DONE = {Side.OUTPUT: (OutputStatus.TRANSFERRED, Kind.OUTPUT_TRANSFERRED, "outputs.detail"),
         Side.NEED: (NeedStatus.SOLVED, Kind.NEED_SOLVED, "needs.detail")}


@signals.profile_saved.connect
def tell_listing_owners(listing, *, session, side, change, by_deal=None, **_) -> None:
    """A deal's signed contract made an output transferred or a need solved: tell every
    active member of the organisation that listed it ("with the owner told")."""
    status, kind, endpoint = _DONE[side]
    if change != "status" or by_deal is None or listing.status != status \
            or signals.in_bulk_load(session):
        return
    deal = session.get(Deal, by_deal)
    column = User.institution_id if side == Side.OUTPUT else User.enterprise_id
    org_id = listing.institution_id if side == Side.OUTPUT else listing.enterprise_id
    members = session.scalars(select(User).where(column == org_id,
                                                 User.status == AccountStatus.ACTIVE))
    for user in members:
        notify(session, user, kind, key=f"{kind}:{listing.id}:{by_deal}:u{user.id}",
               params={"listing": listing.title, "deal": deal.title if deal else ""},
               link=(endpoint, {"item_id": listing.id}))


def _members(session, participant):
    """Return the active members of a participant's organisation."""
    if participant.institution_id is not None:
        where = User.institution_id == participant.institution_id
    else:
        where = User.enterprise_id == participant.enterprise_id
    return session.scalars(select(User).where(where, User.status == AccountStatus.ACTIVE))


def _tell_participants(event, participants, kind: Kind, session) -> None:
    """Tell every active member of the participants' organisations about event's schedule,
    once per version of the event (a later change is a new occasion)."""
    if signals.in_bulk_load(session):
        return
    for participant in participants:
        for user in _members(session, participant):
            notify(session, user, kind, key=f"{kind}:{event.id}:{event.version}:u{user.id}",
                   params={"event": event.title},
                   link=("events.agenda", {"event_id": event.id}))


@signals.event_schedule_published.connect
def tell_schedule_published(event, *, session, participants, **_) -> None:
    """The organiser published the meeting schedule: tell the confirmed participants."""
    _tell_participants(event, participants, Kind.SCHEDULE_PUBLISHED, session)


@signals.event_schedule_changed.connect
def tell_schedule_changed(event, *, session, participants, **_) -> None:
    """A change after publication moved, added or dropped meetings: tell only the
    participants whose meetings changed (the solver's diff names them)."""
    _tell_participants(event, participants, Kind.SCHEDULE_CHANGED, session)


@signals.event_meeting_requested.connect
def tell_meeting_requested(req, *, session, **_) -> None:
    """A participant asks another for a meeting: tell the asked organisation's members."""
    if signals.in_bulk_load(session):
        return
    listing = req.output if req.recipient.institution_id is not None else req.need
    params = {"org": req.requester.organisation.name, "event": req.event.title,
              "listing": listing.title, "reason": req.reason}
    for user in _members(session, req.recipient):
        notify(session, user, Kind.MEETING_REQUESTED, params=params,
               key=f"{Kind.MEETING_REQUESTED}:{req.id}:u{user.id}",
               link=("events.detail", {"event_id": req.event_id}))


@signals.event_meeting_request_answered.connect
def tell_meeting_answered(req, *, session, **_) -> None:
    """Tell the asking organisation the answer; tell the organiser of an accepted request,
    which the next schedule places among the first."""
    if signals.in_bulk_load(session):
        return
    accepted = req.status == "accepted"
    kind = Kind.MEETING_ACCEPTED if accepted else Kind.MEETING_DECLINED
    params = {"org": req.recipient.organisation.name, "event": req.event.title,
              "requester": req.requester.organisation.name}
    recipients = list(_members(session, req.requester))
    if accepted:
        recipients.append(req.event.organiser)
    for user in recipients:
        notify(session, user, kind, params=params, key=f"{kind}:{req.id}:u{user.id}",
               link=("events.detail", {"event_id": req.event_id}))


def _account_email(session, user, kind: str) -> None:
    if not email_enabled():
        log.info("e-mail is off (MAIL_SERVER not set): no %s e-mail for user %s", kind,
                 user.id)
        return
    enqueue(session, ACCOUNT_EMAIL_TASK, user_id=user.id, kind=kind)


@signals.account_registered.connect
def send_verification(user, *, session, **_) -> None:
    _account_email(session, user, "verify")


@signals.email_verification_requested.connect
def send_verification_again(user, *, session, **_) -> None:
    _account_email(session, user, "verify")


@signals.account_status_changed.connect
def tell_account_decision(user, *, session, old, new, **_) -> None:
    """Tell the person when an operator approves their account or refuses the request."""
    if new == AccountStatus.ACTIVE and old in (AccountStatus.PENDING, AccountStatus.REJECTED):
        _account_email(session, user, "approved")
    elif new == AccountStatus.REJECTED and old == AccountStatus.PENDING:
        _account_email(session, user, "refused")


@signals.account_deleted.connect
def erase_deleted_account(user, *, session, **_) -> None:
    """A deleted account keeps no notifications, choices, calendar link or WeCom robot
    (PIPL)."""
    for model, column in ((Notification, Notification.recipient_id),
                          (NotificationPreference, NotificationPreference.user_id),
                          (CalendarFeed, CalendarFeed.user_id),
                          (WecomRobot, WecomRobot.user_id)):
        session.execute(delete(model).where(column == user.id))
    session.flush()


@signals.password_reset_requested.connect
def send_reset_link(user, *, session, **_) -> None:
    _account_email(session, user, "reset")
