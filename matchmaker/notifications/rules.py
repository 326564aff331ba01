"""Which reminders a deal calls for on a given day, in plain Python (no Flask, no ORM).

- the next step is due tomorrow, today, or is overdue → the owning broker;
- overdue longer than the grace period (a setting, optionally per stage) → an escalation to
  the operators; still open a further period later → a second escalation to the leads (the
  configured lead operators, else every operator);
- the deal is stale (pipeline.rules.is_stale: idle longer than its stage allows, unsnoozed)
  → the owning broker;
- its signed NDA expires within the warning window → the owning broker.

Each reminder names its occasion in a key (kind, deal and the date that makes it a new
occasion: the due date, the last activity, the NDA's expiry); services.py adds the recipient
and stores the key as unique, so a reminder is recorded once however often the job runs.
A job that runs late still sends what is due that day: a step due yesterday gets the overdue
reminder, not a belated "due tomorrow".
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from matchmaker.domain import NdaStatus
from matchmaker.pipeline import rules as pipeline_rules


class Kind(StrEnum):
    """What a notification is about (stored in notifications.kind)."""

    STEP_TOMORROW = "next_step_tomorrow"
    STEP_TODAY = "next_step_today"
    STEP_OVERDUE = "next_step_overdue"
    ESCALATION = "escalation"
    ESCALATION_SECOND = "escalation_second"
    STALE = "deal_stale"
    NDA_EXPIRING = "nda_expiring"
    ASSIGNED = "deal_assigned"
    OUTPUT_TRANSFERRED = "output_transferred"
    NEED_SOLVED = "need_solved"
    SCHEDULE_PUBLISHED = "event_schedule_published"
    SCHEDULE_CHANGED = "event_schedule_changed"
    MEETING_REQUESTED = "meeting_requested"
    MEETING_ACCEPTED = "meeting_request_accepted"
    MEETING_DECLINED = "meeting_request_declined"
    NEW_MATCHES_DIGEST = "new_matches_digest"
    CONTACT_REQUEST = "contact_request"  # a showcase visitor asks the broker on duty


# Escalations to operators cannot be muted: the platform's promise that a slipping deal
# reaches someone who can act does not depend on that someone's settings.
UNMUTABLE = frozenset({Kind.ESCALATION, Kind.ESCALATION_SECOND})


def may_mute(kind: str) -> bool:
    """Return whether a person may mute kind."""
    return kind not in UNMUTABLE


class Audience(StrEnum):
    OWNER = "owner"  # the deal's owning broker
    OPERATORS = "operators"  # every active operator
    LEADS = "leads"  # the configured lead operators (every operator when none is set)


@dataclass(frozen=True)
class ReminderSettings:
    """How long a slipping next step waits before each escalation, and the NDA window."""

    escalate_after_days: int = 3  # overdue longer than this → the operators
    second_level_after_days: int = 4  # and still open this much longer → the leads
    nda_warning_days: int = 14  # a signed NDA expiring within this many days → the owner
    # Stage key → grace days, for stages that move slower (e.g. contract negotiation).
    escalate_after_by_stage: Mapping[str, int] = field(default_factory=dict)

    def grace_for(self, stage_key: str) -> int:
        """Return the grace period of a deal at stage_key."""
        return self.escalate_after_by_stage.get(stage_key, self.escalate_after_days)


@dataclass(frozen=True)
class DealSnapshot:
    """What the rules need to know about one deal."""

    deal_id: int
    owner_id: int
    facts: pipeline_rules.DealFacts  # next step due, last activity, snooze, open
    stage: pipeline_rules.StageDef
    nda_status: str = NdaStatus.NONE
    nda_expires_on: date | None = None


@dataclass(frozen=True)
class Reminder:
    """One reminder the rules call for: its kind, who gets it, and its occasion's key."""

    kind: Kind
    audience: Audience
    deal_id: int
    key: str
    dates: Mapping[str, date] = field(default_factory=dict)  # shown in the message


def _step_reminders(deal: DealSnapshot, today: date,
                    settings: ReminderSettings) -> list[Reminder]:
    due = deal.facts.next_step_due
    if due is None:
        return []
    occasion = f"{deal.deal_id}:{due.isoformat()}"
    dates = {"due_on": due}
    if due == today + timedelta(days=1):
        return [Reminder(Kind.STEP_TOMORROW, Audience.OWNER, deal.deal_id,
                         f"{Kind.STEP_TOMORROW}:{occasion}", dates)]
    if due == today:
        return [Reminder(Kind.STEP_TODAY, Audience.OWNER, deal.deal_id,
                         f"{Kind.STEP_TODAY}:{occasion}", dates)]
    if due > today:
        return []
    found = [Reminder(Kind.STEP_OVERDUE, Audience.OWNER, deal.deal_id,
                      f"{Kind.STEP_OVERDUE}:{occasion}", dates)]
    late = (today - due).days
    grace = settings.grace_for(deal.stage.key)
    if late > grace:
        found.append(Reminder(Kind.ESCALATION, Audience.OPERATORS, deal.deal_id,
                              f"{Kind.ESCALATION}:{occasion}", dates))
    if late > grace + settings.second_level_after_days:
        found.append(Reminder(Kind.ESCALATION_SECOND, Audience.LEADS, deal.deal_id,
                              f"{Kind.ESCALATION_SECOND}:{occasion}", dates))
    return found


def _stale_reminders(deal: DealSnapshot, today: date) -> list[Reminder]:
    last = deal.facts.last_activity_on
    if last is None or not pipeline_rules.is_stale(deal.facts, deal.stage, today):
        return []
    return [Reminder(Kind.STALE, Audience.OWNER, deal.deal_id,
                     f"{Kind.STALE}:{deal.deal_id}:{last.isoformat()}", {"since_on": last})]


def _nda_reminders(deal: DealSnapshot, today: date,
                   settings: ReminderSettings) -> list[Reminder]:
    expires = deal.nda_expires_on
    if deal.nda_status != NdaStatus.SIGNED or expires is None:
        return []
    if not 0 <= (expires - today).days <= settings.nda_warning_days:
        return []
    return [Reminder(Kind.NDA_EXPIRING, Audience.OWNER, deal.deal_id,
                     f"{Kind.NDA_EXPIRING}:{deal.deal_id}:{expires.isoformat()}",
                     {"expires_on": expires})]


def deal_reminders(deal: DealSnapshot, today: date,
                   settings: ReminderSettings | None = None) -> list[Reminder]:
    """Return the reminders deal calls for on today (none for a closed deal)."""
    settings = settings or ReminderSettings()
    if not deal.facts.is_open:
        return []
    return [*_step_reminders(deal, today, settings), *_stale_reminders(deal, today),
            *_nda_reminders(deal, today, settings)]


# --- the weekly digest of new matches (notifications/digest.py) ---------------------------------

@dataclass(frozen=True)
class DigestLine:
    """One new match for a digest: the owner's listing, the pair and its match quality."""

    listing_id: int
    listing_title: str
    need_id: int
    output_id: int
    quality: float


@dataclass(frozen=True)
class DigestSummary:
    """What a digest message says: how many matches, on how many listings, and the best."""

    count: int
    listings: int
    best: DigestLine


def summarise_digest(lines: Sequence[DigestLine]) -> DigestSummary | None:
    """Return the summary of a digest's lines, or None for no line (nothing to send).

    The best is the highest match quality; ties go to the lowest listing id, then the lowest pair,
    so that two runs over the same lines name the same listing.
    """
    if not lines:
        return None
    best = min(lines, key=lambda line: (-line.quality, line.listing_id, line.need_id,
                                        line.output_id))
    return DigestSummary(len(lines), len({line.listing_id for line in lines}), best)


def digest_key(today: date, user_id: int) -> str:
    """Return the dedupe key of user's digest in the ISO week of today (one a week)."""
    year, week, _day = today.isocalendar()
    return f"{Kind.NEW_MATCHES_DIGEST}:{year}-W{week:02d}:u{user_id}"


def recipient_key(reminder_key: str, user_id: int) -> str:
    """Return the dedupe key of a reminder for one recipient."""
    return f"{reminder_key}:u{user_id}"
