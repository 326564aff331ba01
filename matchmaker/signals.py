"""What the services announce (blinker signals, as Flask itself uses).

Services send a signal after they flushed a change; subscribers (match refresh today; history,
notifications and KPIs next) react inside the same transaction, e.g. by enqueueing a job that
runs once the transaction commits. Senders never know who listens.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from blinker import Namespace

_signals = Namespace()

# sender: the ResearchOutput or TechNeed; kwargs: session, side (domain.Side), change
# ("created", "updated" or "status").
profile_saved = _signals.signal("profile-saved")
# sender: the Chain; kwargs: session. Also sent when one of its segments is saved or deleted.
chain_saved = _signals.signal("chain-saved")

_BULK = "matchmaker.bulk_load"


@contextmanager
def bulk_load(session) -> Iterator[None]:
    """Mark what session saves inside the block as one bulk load (the seed, an import).

    Services still send every signal; a subscriber that recomputes something for the whole
    platform (the match refresh) may skip while in_bulk_load(session), because the loader's
    caller asks for it once at the end (`flask seed` queues a rebuild when listings changed).
    """
    session.info[_BULK] = session.info.get(_BULK, 0) + 1
    try:
        yield
    finally:
        session.info[_BULK] -= 1


def in_bulk_load(session) -> bool:
    """Return whether session is inside bulk_load()."""
    return session.info.get(_BULK, 0) > 0

# --- the pipeline ------------------------------------------------------------------------
# sender: the Deal; kwargs: session, actor (User or None), kind (domain.HistoryKind), changes
# (a list of (field, old, new) tuples; [] for an event without a field), note (text), at (the
# service's clock time). Sent by every pipeline service after its flush; pipeline.subscribers
# writes the history rows, the coming notifications and KPIs subscribe too.
deal_changed = _signals.signal("deal-changed")
# sender: the IntroductionRequest; kwargs: session, change ("requested", "accepted",
# "declined"). For the coming notifications (the broker it went to, the requester).
introduction_changed = _signals.signal("introduction-changed")

# sender: the DealStage; kwargs: session, actor (User or None), action (domain.StageAction),
# changes (a list of (field, old, new) tuples, values as text), at. Sent by the stage services
# (pipeline/stages.py) after their flush; pipeline.subscribers writes the stage_changes rows.
stage_changed = _signals.signal("stage-changed")

# --- accounts ------------------------------------------------------------------------------
# sender: the new User (pending); kwargs: session. Sent by auth.services.register_user; the
# notifications send the address-verification e-mail.
account_registered = _signals.signal("account-registered")
# sender: the User; kwargs: session, old (the previous AccountStatus), new. Sent by
# auth.services.set_account_status when the status changed; the notifications tell the person
# when an operator approves or refuses the account.
account_status_changed = _signals.signal("account-status-changed")
# sender: the User whose address was given on the forgotten-password page; kwargs: session.
# Nothing is sent for an unknown address (the page answers the same either way).
password_reset_requested = _signals.signal("password-reset-requested")
# sender: the User; kwargs: session. Asked again from the account page.
email_verification_requested = _signals.signal("email-verification-requested")
# sender: the User whose account was just deleted (personal fields erased); kwargs: session.
# Features above auth erase what they hold about the person (notifications, calendar link).
account_deleted = _signals.signal("account-deleted")

# --- matchmaking events --------------------------------------------------------------------
# sender: the Event; kwargs: session, actor, participants (the EventParticipants concerned).
# For the coming notifications (each participant's members get their agenda or its change).
# event_schedule_published: the organiser published the schedule (participants: all confirmed).
event_schedule_published = _signals.signal("event-schedule-published")
# event_schedule_changed: a re-solve after publication changed some meetings; also kwargs diff
# (the Event.last_change dict); participants: only those whose meetings moved, came or went.
event_schedule_changed = _signals.signal("event-schedule-changed")
# sender: the EventParticipant; kwargs: session, actor, change ("invited", "registered",
# "confirmed", "declined").
event_participant_changed = _signals.signal("event-participant-changed")
# sender: the EventMeeting; kwargs: session, actor, outcome, deal (the deal it started or
# updated, or None).
event_meeting_outcome = _signals.signal("event-meeting-outcome")
# sender: the EventMeetingRequest; kwargs: session, actor. Its recipient's members are told.
event_meeting_requested = _signals.signal("event-meeting-requested")
# sender: the EventMeetingRequest (accepted or declined); kwargs: session, actor. The asking
# side is told the answer; the organiser is told of an accepted one (a pairing to schedule).
event_meeting_request_answered = _signals.signal("event-meeting-request-answered")

# --- media ---------------------------------------------------------------------------------
# sender: the Story; kwargs: session, actor, change ("published" or "unpublished"). Sent by
# media.stories after its flush; the showcase and the rankings may subscribe (a broker's
# published landed-project stories).
story_changed = _signals.signal("story-changed")
