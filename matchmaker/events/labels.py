"""Translated names of the events' codes: statuses, outcomes, pairing sources, refusals and the
schedule solver's reasons (lazy: rendered in the reader's language)."""
from flask_babel import lazy_gettext as _l

EVENT_STATUS = {
    "draft": _l("Draft"), "open": _l("Open for registration"),
    "scheduled": _l("Schedule published"), "held": _l("Held"), "closed": _l("Closed"),
}
PARTICIPANT_STATUS = {
    "invited": _l("Invited"), "registered": _l("Registered"),
    "confirmed": _l("Confirmed"), "declined": _l("Declined"),
}
PAIRING_SOURCE = {
    "matcher": _l("Matcher"), "request": _l("Meeting request"), "organiser": _l("Organiser"),
}
REQUEST_STATUS = {
    "pending": _l("Awaiting an answer"), "accepted": _l("Accepted"),
    "declined": _l("Declined"), "withdrawn": _l("Withdrawn"),
}
OUTCOME = {
    "no_interest": _l("No interest"), "follow_up": _l("Follow-up"),
    "nda_wanted": _l("NDA wanted"), "negotiation_started": _l("Negotiation started"),
}
# The schedule solver's reasons why a pair does not meet (schedule.data).
UNSCHEDULED_REASON = {
    "no_common_free_slot": _l("The two sides have no free slot in common."),
    "participant_at_max_meetings": _l("One side already has its maximum number of meetings."),
    "table_capacity": _l("Every table is taken in the slots both sides are free."),
    "booth_busy": _l("The booth is taken in the slots both sides are free."),
    "lower_priority": _l("Higher-priority meetings fill the slots both sides are free."),
    "not_selected": _l("Not selected (score too low)."),
    "withdrawn": _l("No longer a pairing."),
}
REFUSAL = {
    "title_required": _l("Give the event a title."),
    "dates_order": _l("The event cannot end before it starts."),
    "capacity_positive": _l("The capacity must be a positive number."),
    "tables_range": _l("The number of tables must be between 0 and 500."),
    "unknown_chain": _l("Choose a chain from the list."),
    "status_transition": _l("The event cannot go to that status from its current one."),
    "no_slots": _l("Add time slots before building the schedule."),
    "slot_times": _l("A slot must end after it starts, on the event's days."),
    "slot_has_meetings": _l("Meetings are scheduled in this slot: remove them first."),
    "already_participant": _l("This organisation is already a participant."),
    "not_an_organisation": _l("Only an institution or an enterprise can take part."),
    "listing_not_yours": _l("Bring only your own organisation's needs or outputs."),
    "listing_required": _l("Choose at least one need or output to bring."),
    "event_full": _l("The event is full: its capacity is reached."),
    "not_registered": _l("Only a registered or invited participant can be confirmed."),
    "registration_closed": _l("Registration for this event is closed."),
    "unknown_slot": _l("That slot is not one of this event's."),
    "max_meetings_range": _l("The maximum number of meetings must be between 1 and 50."),
    "pairing_exists": _l("This pairing already exists."),
    "pairing_not_brought": _l("Both the need and the output must be brought by confirmed "
                              "participants."),
    "schedule_frozen": _l("The event has been held: its schedule no longer changes."),
    "locks_conflict": _l("The locked meetings clash: unlock one of them."),
    "no_pairings": _l("Confirm some pairings before building the schedule."),
    "nothing_to_publish": _l("Build the schedule before publishing it."),
    "outcome_unknown": _l("Choose an outcome from the list."),
    "outcome_too_early": _l("Outcomes are recorded once the schedule is published."),
    "notes_too_long": _l("The notes are too long (at most 5000 characters)."),
    "requests_closed": _l("Meeting requests are open while the event takes registrations "
                          "or its schedule is published, not held."),
    "not_confirmed": _l("Meeting requests are between confirmed participants: the organiser "
                        "has not confirmed your participation yet."),
    "request_listing_not_brought": _l("Choose one of the needs or outputs the participants "
                                      "bring to this event."),
    "request_own_side": _l("Ask another participant: this listing is your own "
                           "organisation's."),
    "reason_required": _l("Say in a sentence why you want to meet."),
    "reason_too_long": _l("The reason is too long (at most 300 characters)."),
    "request_exists": _l("A meeting about these two listings has already been requested."),
    "request_answered": _l("This request has already been answered or withdrawn."),
    "other_not_confirmed": _l("The other organisation is no longer a confirmed participant."),
}
