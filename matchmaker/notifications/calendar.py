"""Each broker's private iCalendar feed, which phone calendars subscribe to:

- their open deals' next steps and their open tasks, as all-day events (reminders, not busy);
- the matchmaking events they organise (open, scheduled or held, with slots): one timed
  block per event day, from the day's first slot to its last;
- the scheduled meetings about their deals (an event scheduled or held): the meeting's
  pairing is the (need, output) pair of an open deal they own, or the meeting's outcome
  started or updated a deal they own (EventMeeting.deal_id).

Slot times are the event's local wall-clock times (naive, Asia/Shanghai, as the agenda prints
them): the feed writes them with TZID=Asia/Shanghai and its VTIMEZONE, so a calendar in
another time zone still shows them at the right moment.

A meeting's UID is keyed on the two participants, not on the meeting row: the solver meets
two organisations once per event, and events.scheduling._store keeps a pair's row across
re-solves but deletes and recreates it when the pair drops out and comes back; keyed on the
participants, the calendar updates the same entry (its SEQUENCE is the event's version,
which every stored schedule raises).

The feed opens without a session: the secret in its URL is the credential. The secret is an
HMAC of SECRET_KEY, the user and a random nonce, so the profile page can show it again while
the database keeps only its SHA-256 (a dump of the table opens no feed); resetting the link
draws a new nonce and the old URL stops working.
"""
import base64
import hashlib
import hmac
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.errors import PermissionDeniedError
from matchmaker.events.models import Event as MatchmakingEvent
from matchmaker.events.models import EventMeeting, EventPairing, EventParticipant, EventSlot
from matchmaker.notifications.models import CalendarFeed
from matchmaker.notifications.services import path_for
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.pipeline.models import Deal, DealTask
from matchmaker.pipeline.queries import visible_condition
from matchmaker.types import utcnow

_TOKEN_MAX = 100  # ours have 43 characters
EVENT_TZ = ZoneInfo("Asia/Shanghai")  # the events' slot times are wall-clock times there
BLOCK_STATUSES = ("open", "scheduled", "held")  # an organiser's events shown as blocks
MEETING_STATUSES = ("scheduled", "held")  # events whose meetings are shown


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(feed: CalendarFeed, secret: str) -> str:
    """Return the secret of feed's URL."""
    digest = hmac.new(secret.encode(), f"calendar-feed:{feed.user_id}:{feed.nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def find_feed(session: Session, user: User) -> CalendarFeed | None:
    """Return user's feed, if they made one."""
    return session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def reset_feed(session: Session, user: User, *, actor, secret: str) -> CalendarFeed:
    """Make user's feed, or give it a new secret (the old URL stops working at once).

    Only the broker themselves may: the URL opens their calendar without a password.
    """
    if not (permissions.is_broker(actor) and actor.id == user.id):
        raise PermissionDeniedError("calendar feed")
    feed = find_feed(session, user) or CalendarFeed(user_id=user.id)
    feed.nonce = secrets.token_hex(16)
    feed.token_hash = _hash(feed_token(feed, secret))
    feed.created_at = utcnow()
    session.add(feed)
    session.flush()
    return feed


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active broker whose feed has this secret, else None."""
    if not token or len(token) > _TOKEN_MAX:
        return None
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or not permissions.is_broker(feed.user):
        return None
    return feed.user


def _event(uid: str, start: date | datetime, end: date | datetime, summary: str,
           description: str, url: str, *, sequence: int = 0, location: str = "") -> Event:
    """Return a VEVENT: all-day (dates: a reminder, not busy) or timed (local times: busy)."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("sequence", sequence)
    event.add("transp", "OPAQUE" if isinstance(start, datetime) else "TRANSPARENT")
    return event


def _local(moment: datetime) -> datetime:
    """Return a slot's naive wall-clock time as an aware time in the events' zone."""
    return moment.replace(tzinfo=EVENT_TZ)


def _deal_entries(session: Session, user: User, base: str, host: str) -> list[Event]:
    """Return the next steps of user's open deals and their open tasks (all-day)."""
    deals = session.execute(
        select(Deal.id, Deal.title, Deal.next_step, Deal.next_step_due, Deal.version)
        .where(visible_condition(user), Deal.is_open, Deal.next_step_due.is_not(None))
        .order_by(Deal.next_step_due, Deal.id)).all()
    tasks = session.execute(
        select(DealTask.id, DealTask.title, DealTask.due_on, Deal.id, Deal.title)
        .join(Deal, Deal.id == DealTask.deal_id)
        .where(DealTask.assignee_id == user.id, DealTask.done_at.is_(None),
               DealTask.due_on.is_not(None), Deal.is_open)
        .order_by(DealTask.due_on, DealTask.id)).all()
    found = []
    for deal_id, title, step, due, version in deals:
        url = base + path_for("pipeline.detail", deal_id=deal_id)
        found.append(_event(
            f"deal-{deal_id}-next-step@{host}", due, due + timedelta(days=1),
            _("Next step: %(step)s", step=step), _("Deal: %(deal)s", deal=title), url,
            sequence=version))
    for task_id, title, due, deal_id, deal_title in tasks:
        url = base + path_for("pipeline.detail", deal_id=deal_id)
        found.append(_event(
            f"task-{task_id}@{host}", due, due + timedelta(days=1),
            _("Task: %(task)s", task=title), _("Deal: %(deal)s", deal=deal_title), url))
    return found


def _event_blocks(session: Session, user: User, base: str, host: str) -> list[Event]:
    """Return one block per day of each event user organises, first slot to last."""
    rows = session.execute(
        select(MatchmakingEvent.id, MatchmakingEvent.title, MatchmakingEvent.place,
               MatchmakingEvent.online_link, MatchmakingEvent.version, EventSlot.starts_at,
               EventSlot.ends_at)
        .join(EventSlot, EventSlot.event_id == MatchmakingEvent.id)
        .where(MatchmakingEvent.organiser_id == user.id,
               MatchmakingEvent.status.in_(BLOCK_STATUSES))
        .order_by(MatchmakingEvent.id, EventSlot.starts_at)).all()
    days: dict[tuple, list[tuple[datetime, datetime]]] = defaultdict(list)
    for event_id, title, place, link, version, starts_at, ends_at in rows:
        days[(event_id, title, place, link, version, starts_at.date())].append(
            (starts_at, ends_at))
    found = []
    for (event_id, title, place, link, version, day), slots in days.items():
        description = _("Online: %(link)s", link=link) if place and link else ""
        found.append(_event(
            f"event-{event_id}-{day.isoformat()}@{host}",
            _local(min(start for start, _end in slots)), _local(max(end for _s, end in slots)),
            _("Matchmaking event: %(event)s", event=title), description,
            base + path_for("events.detail", event_id=event_id), sequence=version,
            location=place or link))
    return found


def _meeting_place(table_no: int | None, booth: str | None) -> str:
    if booth:
        return _("Booth %(name)s", name=booth)
    if table_no is not None:
        return _("Table %(n)d", n=table_no)
    return ""


def _meeting_entries(session: Session, user: User, base: str, host: str) -> list[Event]:
    """Return the scheduled meetings about user's deals (one query)."""
    need_side, output_side = aliased(EventParticipant), aliased(EventParticipant)
    own_open_pair = select(Deal.id).where(
        Deal.owner_id == user.id, Deal.is_open, Deal.need_id == EventPairing.need_id,
        Deal.output_id == EventPairing.output_id).exists()
    own_deal = EventMeeting.deal_id.in_(select(Deal.id).where(Deal.owner_id == user.id))
    rows = session.execute(
        select(MatchmakingEvent.id, MatchmakingEvent.title, MatchmakingEvent.place,
               MatchmakingEvent.version, EventSlot.starts_at, EventSlot.ends_at,
               EventMeeting.table_no, EventMeeting.booth, need_side.id, output_side.id,
               Enterprise.name, Institution.name)
        .select_from(EventMeeting)
        .join(MatchmakingEvent, MatchmakingEvent.id == EventMeeting.event_id)
        .join(EventSlot, EventSlot.id == EventMeeting.slot_id)
        .join(EventPairing, EventPairing.id == EventMeeting.pairing_id)
        .join(need_side, need_side.id == EventPairing.need_participant_id)
        .join(output_side, output_side.id == EventPairing.output_participant_id)
        .join(Enterprise, Enterprise.id == need_side.enterprise_id)
        .join(Institution, Institution.id == output_side.institution_id)
        .where(MatchmakingEvent.status.in_(MEETING_STATUSES), or_(own_open_pair, own_deal))
        .order_by(EventSlot.starts_at, EventMeeting.id)).all()
    found = []
    for (event_id, title, place, version, starts_at, ends_at, table_no, booth, need_pid,
         output_pid, enterprise, institution) in rows:
        spot = _meeting_place(table_no, booth)
        found.append(_event(
            f"event-{event_id}-meeting-{need_pid}-{output_pid}@{host}", _local(starts_at),
            _local(ends_at),
            _("Meeting: %(enterprise)s × %(institution)s", enterprise=enterprise,
              institution=institution),
            _("%(event)s: %(place)s", event=title, place=spot) if spot else title,
            base + path_for("events.detail", event_id=event_id), sequence=version,
            location=" · ".join(part for part in (spot, place) if part)))
    return found


def build_feed(session: Session, user: User, *, base_url: str, language: str) -> bytes:
    """Return user's calendar as iCalendar bytes, written in language.

    base_url: the site's address, for the links back to each deal and event.
    """
    host = urlsplit(base_url).hostname or "matchmaker"
    base = base_url.rstrip("/")
    with force_locale(language):
        calendar = Calendar()
        calendar.add("prodid", "-//Qinchuangyuan Tech Matchmaker//matchmaker//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Matchmaker: my deals"))
        calendar.add("x-wr-timezone", "Asia/Shanghai")
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
        for entry in (*_deal_entries(session, user, base, host),
                      *_event_blocks(session, user, base, host),
                      *_meeting_entries(session, user, base, host)):
            calendar.add_component(entry)
        calendar.add_missing_timezones()  # the VTIMEZONE of Asia/Shanghai, when timed
    return calendar.to_ical()
