"""Write and send the e-mails (called by the jobs in jobs.py): a notification's, and the
account e-mails (verify the address, approved, refused, reset the password).

Each is written in the recipient's stored language (User.locale, else the platform's
default) with flask_babel.force_locale, from the plain-text templates in templates/email/,
rendered straight from the Jinja environment: a job has no request, so the pages' context
processors (the signed-in user, the consent banner) do not apply.
"""
import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from matchmaker.auth import tokens
from matchmaker.auth.models import User
from matchmaker.domain import AccountStatus
from matchmaker.notifications import kinds, mail
from matchmaker.notifications.models import Notification
from matchmaker.notifications.services import is_reachable, link_of, path_for
from matchmaker.types import utcnow

log = logging.getLogger(__name__)

SUBJECT_MAX = 150

ACCOUNT_SUBJECTS = {
    "verify": _l("Please confirm your e-mail address"),
    "reset": _l("Reset your password"),
    "approved": _l("Your account is approved"),
    "refused": _l("Your account request was not approved"),
}


def language_of(user: User) -> str:
    """Return the language to write to user in."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config[
        "BABEL_DEFAULT_LOCALE"]


def _render(template: str, **context) -> str:
    return current_app.jinja_env.get_template(template).render(**context)


def site_name() -> str:
    return _("Qinchuangyuan Tech Matchmaker")


def _deliver(user: User, subject: str, body: str, language: str) -> bool:
    settings = mail.settings_from(current_app.config)
    if settings is None:
        log.info("e-mail is off (MAIL_SERVER not set): not sending %r to user %s", subject,
                 user.id)
        return False
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[:SUBJECT_MAX - 1] + "…"
    mail.send(settings, mail.build_message(settings, to=user.email, subject=subject,
                                           body=body, language=language))
    return True


def send_notification_email(session: Session, notification_id: int) -> bool:
    """E-mail one notification to its recipient, once; return whether a message went out."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.recipient
    if not is_reachable(user):
        return False
    language = language_of(user)
    config = current_app.config
    with force_locale(language):
        message = kinds.render(notification.kind, notification.params)
        body = _render("email/notification.txt", user=user, message=message,
                       url=mail.external_url(config, link_of(notification) or "/"),
                       preferences_url=mail.external_url(
                           config, path_for("notifications.preferences")),
                       site=site_name())
        sent = _deliver(user, f"{site_name()} · {message}", body, language)
    if sent:
        notification.emailed_at = utcnow()
        session.flush()
    return sent


def _account_link(user: User, kind: str) -> str | None:
    secret = current_app.config["SECRET_KEY"]
    if kind == "verify":
        return path_for("auth.verify_email", token=tokens.make_verify_token(secret, user))
    if kind == "reset":
        return path_for("auth.reset_password", token=tokens.make_reset_token(secret, user))
    if kind == "approved":
        return path_for("auth.login")
    return None


def send_account_email(session: Session, user_id: int, kind: str) -> bool:
    """Send an account e-mail of kind (ACCOUNT_SUBJECTS) to the user; return whether sent.

    The link is made now, when the job runs: tokens are never stored (nor in the job's
    arguments), and a reset link's hour starts when the e-mail leaves.
    """
    if kind not in ACCOUNT_SUBJECTS:
        raise ValueError(f"unknown account e-mail {kind!r}")
    user = session.get(User, user_id)
    if user is None or user.is_deleted:
        return False
    if kind == "verify" and user.email_verified_at is not None:
        return False
    if kind == "approved" and user.status != AccountStatus.ACTIVE:
        return False  # changed again before the job ran
    config = current_app.config
    link = _account_link(user, kind)
    language = language_of(user)
    with force_locale(language):
        body = _render(f"email/account_{kind}.txt", user=user, site=site_name(),
                       url=mail.external_url(config, link) if link else None,
                       reset_hours=int(config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600),
                       verify_days=config["EMAIL_VERIFY_MAX_AGE"].days)
        return _deliver(user, f"{site_name()} · {ACCOUNT_SUBJECTS[kind]}", body, language)
