"""How each kind of notification reads: its label (the preferences page) and its message,
rendered from the stored parameters in the reader's language at display time."""
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from matchmaker.notifications.rules import Kind, may_mute

LABELS = {
    Kind.STEP_TOMORROW: _l("A deal's next step is due tomorrow"),
    Kind.STEP_TODAY: _l("A deal's next step is due today"),
    Kind.STEP_OVERDUE: _l("A deal's next step is overdue"),
    Kind.ESCALATION: _l("Escalation: a next step overdue past the grace period"),
    Kind.ESCALATION_SECOND: _l("Second escalation: a next step still overdue"),
    Kind.STALE: _l("A deal has had no activity for too long"),
    Kind.NDA_EXPIRING: _l("A deal's NDA expires soon"),
    Kind.ASSIGNED: _l("A deal is assigned to you"),
    Kind.OUTPUT_TRANSFERRED: _l("Your research output is transferred"),
    Kind.NEED_SOLVED: _l("Your technology need is solved"),
    Kind.SCHEDULE_PUBLISHED: _l("A matchmaking event's meeting schedule is published"),
    Kind.SCHEDULE_CHANGED: _l("Your meetings at a matchmaking event changed"),
    Kind.MEETING_REQUESTED: _l("A participant asks your organisation for a meeting at an event"),
    Kind.MEETING_ACCEPTED: _l("A meeting request at an event is accepted"),
    Kind.MEETING_DECLINED: _l("Your meeting request at an event is declined"),
    Kind.NEW_MATCHES_DIGEST: _l("Weekly digest of new strong matches for your listings"),
    Kind.CONTACT_REQUEST: _l("A visitor of the public showcase asks you about a listing"),
}

MESSAGES = {
    Kind.STEP_TOMORROW: _l("The next step of “%(deal)s” is due tomorrow: %(step)s"),
    Kind.STEP_TODAY: _l("The next step of “%(deal)s” is due today: %(step)s"),
    Kind.STEP_OVERDUE: _l("The next step of “%(deal)s” was due on %(due_on)s: %(step)s"),
    Kind.ESCALATION: _l("Escalation: the next step of “%(deal)s” (broker %(broker)s) was due "
                        "on %(due_on)s and is still open: %(step)s"),
    Kind.ESCALATION_SECOND: _l("Second escalation: the next step of “%(deal)s” (broker "
                               "%(broker)s) was due on %(due_on)s and is still open: "
                               "%(step)s"),
    Kind.STALE: _l("“%(deal)s” has had no activity since %(since_on)s."),
    Kind.NDA_EXPIRING: _l("The NDA of “%(deal)s” expires on %(expires_on)s."),
    Kind.ASSIGNED: _l("You are now the broker in charge of the deal “%(deal)s”."),
    Kind.OUTPUT_TRANSFERRED: _l("Your research output “%(listing)s” is transferred: the deal "
                                "“%(deal)s” has a signed contract."),
    Kind.NEED_SOLVED: _l("Your technology need “%(listing)s” is solved: the deal “%(deal)s” "
                         "has a signed contract."),
    Kind.SCHEDULE_PUBLISHED: _l("The meeting schedule of “%(event)s” is published: your "
                                "agenda shows where and when you meet whom."),
    Kind.SCHEDULE_CHANGED: _l("The meeting schedule of “%(event)s” changed and some of your "
                              "meetings moved, came or went: check your agenda."),
    Kind.MEETING_REQUESTED: _l("%(org)s asks to meet your organisation at “%(event)s” about "
                               "“%(listing)s”: %(reason)s"),
    Kind.MEETING_ACCEPTED: _l("%(org)s accepted the meeting %(requester)s asked for at "
                              "“%(event)s”; it joins the next schedule."),
    Kind.MEETING_DECLINED: _l("%(org)s declined the meeting your organisation asked for at "
                              "“%(event)s”."),
    Kind.NEW_MATCHES_DIGEST: _l("New matches this week: %(count)d of match quality "
                                "%(threshold)d%% or more, for %(listings)d of your listings. "
                                "The best is for “%(best)s”."),
    Kind.CONTACT_REQUEST: _l("A visitor asks about “%(item)s” through the public showcase: "
                             "their request is on your today page."),
}

# Kinds e-mailed unless the person turns e-mail off for them (in-app is always on).
EMAIL_BY_DEFAULT = frozenset(Kind) - {Kind.STALE}

# Kinds for each role on the preferences page (the ones that can reach that role).
BROKER_KINDS = (Kind.ASSIGNED, Kind.STEP_TOMORROW, Kind.STEP_TODAY, Kind.STEP_OVERDUE,
                Kind.STALE, Kind.NDA_EXPIRING, Kind.MEETING_ACCEPTED, Kind.CONTACT_REQUEST)
OPERATOR_KINDS = (Kind.ESCALATION, Kind.ESCALATION_SECOND, *BROKER_KINDS)
EVENT_KINDS = (Kind.SCHEDULE_PUBLISHED, Kind.SCHEDULE_CHANGED, Kind.MEETING_REQUESTED,
               Kind.MEETING_ACCEPTED, Kind.MEETING_DECLINED)
OWNER_KINDS = {"institution": (Kind.NEW_MATCHES_DIGEST, Kind.OUTPUT_TRANSFERRED, *EVENT_KINDS),
               "enterprise": (Kind.NEW_MATCHES_DIGEST, Kind.NEED_SOLVED, *EVENT_KINDS)}


def kinds_for_role(role: str) -> tuple[Kind, ...]:
    """Return the kinds a person of role can receive, in the preferences page's order."""
    if role == "admin":
        return OPERATOR_KINDS
    if role == "broker":
        return BROKER_KINDS
    return OWNER_KINDS.get(role, ())


def label(kind: str) -> str:
    """Return the kind's label in the current language."""
    return str(LABELS[kind]) if kind in LABELS else kind


def _display(name: str, value):
    if name.endswith("_on") and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    return value


def render(kind: str, params: dict) -> str:
    """Return the message of a notification in the current language."""
    template = MESSAGES.get(kind)
    if template is None:
        return kind
    values = {name: _display(name, value) for name, value in (params or {}).items()}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):  # parameters of an older version of the kind
        return label(kind)


__all__ = ["EMAIL_BY_DEFAULT", "LABELS", "MESSAGES", "Kind", "kinds_for_role", "label",
           "may_mute", "render"]
