"""Record notifications (once per dedupe key, as each recipient chose), read and mark them,
keep each person's choices, and run the daily reminders.

Like every service: flush, never commit; the view or job owns the transaction.
"""
import logging
from dataclasses import dataclass
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.domain import AccountStatus, Role
from matchmaker.errors import NotFoundError
from matchmaker.jobs import enqueue
from matchmaker.notifications import kinds, mail
from matchmaker.notifications import rules as reminder_rules
from matchmaker.notifications.models import Notification, NotificationPreference, WecomRobot
from matchmaker.notifications.rules import Audience, Kind
from matchmaker.pipeline import clock
from matchmaker.pipeline import rules as pipeline_rules
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.pipeline.queries import stage_def
from matchmaker.types import utcnow

log = logging.getLogger(__name__)

EMAIL_TASK = "notifications.email"
WECOM_TASK = "notifications.wecom"


def path_for(endpoint: str, **values) -> str:
    """Return the path of an endpoint inside the app (works in jobs, outside any request)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def link_of(notification: Notification) -> str:
    """Return the path of what notification is about ("" if it links nowhere any more)."""
    if not notification.link_endpoint:
        return ""
    try:
        return path_for(notification.link_endpoint, **(notification.link_args or {}))
    except (BuildError, TypeError, ValueError):
        return ""


def is_reachable(user: User | None) -> bool:
    """Return whether user can be told anything: an active account that was not deleted."""
    return (user is not None and user.status == AccountStatus.ACTIVE
            and user.deleted_at is None)


# --- choices per kind ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """A person's choice for one kind: e-mail or not, muted or not, posted to their WeCom
    group or not (when they have one)."""

    email: bool
    muted: bool
    wecom: bool = False


def default_choice(kind: str) -> Choice:
    by_default = kind in kinds.EMAIL_BY_DEFAULT
    return Choice(email=by_default, muted=False, wecom=by_default)


def load_choices(session: Session, user_ids) -> dict[tuple[int, str], Choice]:
    """Return the stored choices of these users by (user id, kind)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = session.scalars(select(NotificationPreference)
                           .where(NotificationPreference.user_id.in_(ids))).all()
    return {(r.user_id, r.kind): Choice(r.email, r.muted, r.wecom) for r in rows}


def choices_of(session: Session, user: User) -> dict[str, Choice]:
    """Return user's choice for every kind of their role (defaults where none is stored)."""
    stored = load_choices(session, [user.id])
    return {kind: stored.get((user.id, kind), default_choice(kind))
            for kind in kinds.kinds_for_role(user.role)}


def save_choices(session: Session, user: User, choices: dict[str, Choice]) -> None:
    """Store user's choices; a kind outside their role is ignored, an escalation stays
    unmuted whatever is asked."""
    allowed = set(kinds.kinds_for_role(user.role))
    stored = {r.kind: r for r in session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id))}
    for kind, choice in choices.items():
        if kind not in allowed:
            continue
        row = stored.get(kind) or NotificationPreference(user_id=user.id, kind=kind)
        row.email, row.wecom = choice.email, choice.wecom
        row.muted = choice.muted and reminder_rules.may_mute(kind)
        session.add(row)
    session.flush()


# --- recording ----------------------------------------------------------------------------------

def _insert(session: Session, values: dict) -> int | None:
    """Insert a notification unless its dedupe key exists; return the new id or None.

    ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike): two runs of the reminder job racing
    each other record the reminder once, and neither fails.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Notification).values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Notification.id))
    return session.execute(stmt).scalar()


def wecom_enabled() -> bool:
    """Return whether the WeCom channel is on (WECOM_WEBHOOK_URL is set)."""
    return has_app_context() and bool(current_app.config.get("WECOM_WEBHOOK_URL"))


def email_enabled() -> bool:
    """Return whether e-mail is configured (outside an app there are no settings: off)."""
    return has_app_context() and mail.is_enabled(current_app.config)


def notify(session: Session, recipient: User, kind: str, *, key: str, params: dict,
           link: tuple[str, dict] | None = None,
           choices: dict[tuple[int, str], Choice] | None = None) -> int | None:
    """Tell recipient something once per key: record it for the notification centre and
    queue its e-mail and its WeCom post when they want them. Return the new notification's id, or None when it
    was muted, already recorded, or the account cannot be reached.

    link: (endpoint, arguments) of the page about it. choices: the recipients' stored
    choices (load_choices), when the caller has them.
    """
    if not is_reachable(recipient):
        return None
    if choices is None:
        choices = load_choices(session, [recipient.id])
    choice = choices.get((recipient.id, kind), default_choice(kind))
    if choice.muted and reminder_rules.may_mute(kind):
        return None
    endpoint, args = link or ("", {})
    new_id = _insert(session, {"recipient_id": recipient.id, "kind": str(kind),
                               "params": params, "link_endpoint": endpoint, "link_args": args,
                               "dedupe_key": key[:200], "created_at": utcnow()})
    if new_id is not None and choice.email:
        if email_enabled():
            enqueue(session, EMAIL_TASK, notification_id=new_id)
        else:
            log.info("e-mail is off (MAIL_SERVER not set): notification %s stays in-app",
                     new_id)
    if new_id is not None and choice.wecom and wecom_enabled() \
            and session.get(WecomRobot, recipient.id) is not None:
        enqueue(session, WECOM_TASK, notification_id=new_id)
    return new_id


# --- reading ------------------------------------------------------------------------------------

def list_query(user: User) -> Select:
    """Return a SELECT of user's notifications, newest first."""
    return (select(Notification).where(Notification.recipient_id == user.id)
            .order_by(Notification.id.desc()))


def unread_count(session: Session, user: User) -> int:
    """Return how many of user's notifications are unread (one indexed COUNT)."""
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def get_notification(session: Session, notification_id: int, *, viewer) -> Notification:
    """Return the notification if viewer is its recipient; NotFoundError otherwise."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFoundError(notification_id)
    permissions.require(viewer, permissions.Action.VIEW, row)
    return row


def mark_read(session: Session, notification: Notification, *, actor) -> Notification:
    """Mark one notification read (its recipient only)."""
    permissions.require(actor, permissions.Action.EDIT, notification)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of user read; return how many."""
    return session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount


# --- the daily reminders ------------------------------------------------------------------------

def reminder_settings(config) -> reminder_rules.ReminderSettings:
    """Return the reminder settings of a Flask config."""
    return reminder_rules.ReminderSettings(
        escalate_after_days=config["ESCALATION_GRACE_DAYS"],
        second_level_after_days=config["ESCALATION_SECOND_LEVEL_DAYS"],
        nda_warning_days=config["NDA_EXPIRY_WARNING_DAYS"],
        escalate_after_by_stage=dict(config.get("ESCALATION_GRACE_BY_STAGE") or {}))


def _snapshots(session: Session) -> list[tuple[reminder_rules.DealSnapshot, tuple]]:
    """Return each open deal's snapshot for the rules, with (title, next step) for messages.

    One narrow query: the job reads every open deal once a day, not each deal's relations.
    """
    rows = session.execute(
        select(Deal.id, Deal.owner_id, Deal.title, Deal.next_step, Deal.next_step_due,
               Deal.last_activity_at, Deal.snoozed_until, Deal.nda_status, Deal.nda_expires_on,
               DealStage).join(DealStage, DealStage.id == Deal.stage_id)
        .where(Deal.is_open).order_by(Deal.id)).all()
    stages: dict[int, pipeline_rules.StageDef] = {}
    found = []
    for (deal_id, owner_id, title, step, due, last, snoozed, nda, nda_until, stage) in rows:
        if stage.id not in stages:
            stages[stage.id] = stage_def(stage)
        facts = pipeline_rules.DealFacts(
            stage_key=stage.key, is_open=True, next_step_due=due, snoozed_until=snoozed,
            last_activity_on=clock.business_date(last) if last else None)
        found.append((reminder_rules.DealSnapshot(deal_id, owner_id, facts, stages[stage.id],
                                                  nda, nda_until), (title, step)))
    return found


def _audiences(session: Session, config) -> dict[Audience, list[User]]:
    operators = list(session.scalars(select(User).where(
        User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE,
        User.deleted_at.is_(None)).order_by(User.id)))
    leads = [u for u in operators if u.email in set(config.get("ESCALATION_LEADS") or ())]
    return {Audience.OPERATORS: operators, Audience.LEADS: leads or operators}


def send_reminders(session: Session, *, today: date | None = None) -> dict:
    """Record the reminders every open deal calls for on today (rules.deal_reminders).

    Safe to run again, or late: each reminder's dedupe key is recorded once.
    Return counts for the job's result.
    """
    today = today or clock.today()
    config = current_app.config
    settings = reminder_settings(config)
    planned = [(snap, texts, reminder) for snap, texts in _snapshots(session)
               for reminder in reminder_rules.deal_reminders(snap, today, settings)]
    audiences = _audiences(session, config)
    owner_ids = {snap.owner_id for snap, _texts, _r in planned}
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(owner_ids)))} \
        if owner_ids else {}
    everyone = [*owners, *(u.id for group in audiences.values() for u in group)]
    choices = load_choices(session, everyone)
    recorded = 0
    for snap, (title, step), reminder in planned:
        owner = owners.get(snap.owner_id)
        recipients = [owner] if reminder.audience == Audience.OWNER else \
            audiences[reminder.audience]
        params = {"deal": title, "step": step,
                  "broker": owner.display_name if owner else "",
                  **{name: day.isoformat() for name, day in reminder.dates.items()}}
        link = ("pipeline.detail", {"deal_id": snap.deal_id})
        for user in recipients:
            if user is None:
                continue
            if notify(session, user, reminder.kind, params=params, link=link, choices=choices,
                      key=reminder_rules.recipient_key(reminder.key, user.id)):
                recorded += 1
    return {"deals": len({snap.deal_id for snap, _t, _r in planned}), "recorded": recorded,
            "day": today.isoformat()}


__all__ = ["Choice", "Kind", "choices_of", "email_enabled", "get_notification", "link_of",
           "list_query", "mark_all_read", "mark_read", "notify", "path_for", "save_choices",
           "send_reminders", "unread_count"]
