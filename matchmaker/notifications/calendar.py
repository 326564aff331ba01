"""Each broker's private iCalendar feed: their open deals' next steps and their open tasks,
as all-day events that phone calendars subscribe to.

The feed opens without a session: the secret in its URL is the credential. The secret is an
HMAC of SECRET_KEY, the user and a random nonce, so the profile page can show it again while
the database keeps only its SHA-256 (a dump of the table opens no feed); resetting the link
draws a new nonce and the old URL stops working.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.errors import PermissionDeniedError
from matchmaker.notifications.models import CalendarFeed
from matchmaker.notifications.services import path_for
from matchmaker.pipeline.models import Deal, DealTask
from matchmaker.pipeline.queries import visible_condition
from matchmaker.types import utcnow

_TOKEN_MAX = 100  # ours have 43 characters


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


def _event(uid: str, day: date, summary: str, description: str, url: str, *,
           sequence: int = 0) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("sequence", sequence)
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event


def build_feed(session: Session, user: User, *, base_url: str, language: str) -> bytes:
    """Return user's calendar as iCalendar bytes, written in language.

    base_url: the site's address, for the links back to each deal.
    """
    host = urlsplit(base_url).hostname or "matchmaker"
    base = base_url.rstrip("/")
    mine = visible_condition(user)
    deals = session.execute(
        select(Deal.id, Deal.title, Deal.next_step, Deal.next_step_due, Deal.version)
        .where(mine, Deal.is_open, Deal.next_step_due.is_not(None))
        .order_by(Deal.next_step_due, Deal.id)).all()
    tasks = session.execute(
        select(DealTask.id, DealTask.title, DealTask.due_on, Deal.id, Deal.title)
        .join(Deal, Deal.id == DealTask.deal_id)
        .where(DealTask.assignee_id == user.id, DealTask.done_at.is_(None),
               DealTask.due_on.is_not(None), Deal.is_open)
        .order_by(DealTask.due_on, DealTask.id)).all()
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
        for deal_id, title, step, due, version in deals:
            url = base + path_for("pipeline.detail", deal_id=deal_id)
            calendar.add_component(_event(
                f"deal-{deal_id}-next-step@{host}", due,
                _("Next step: %(step)s", step=step), _("Deal: %(deal)s", deal=title), url,
                sequence=version))
        for task_id, title, due, deal_id, deal_title in tasks:
            url = base + path_for("pipeline.detail", deal_id=deal_id)
            calendar.add_component(_event(
                f"task-{task_id}@{host}", due, _("Task: %(task)s", task=title),
                _("Deal: %(deal)s", deal=deal_title), url))
    return calendar.to_ical()

