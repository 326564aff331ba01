"""Personal information (China's PIPL): the notice version, the export of a person's own data
and the deletion of an account.

Features above auth (match feedback, listings) add their part of the export through
register_exporter; auth never imports them.
"""
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from matchmaker import signals
from matchmaker.auth.contact import FIELDS as CONTACT_FIELDS
from matchmaker.auth.errors import LastOperatorError, WrongPasswordError
from matchmaker.auth.models import JoinRequest, User, UserSession
from matchmaker.domain import AccountStatus, JoinRequestStatus, Role
from matchmaker.types import utcnow

# Bump when templates/main/privacy.html changes in substance; consent records the version.
PRIVACY_NOTICE_VERSION = "2026-12-06.2"
# Placeholder e-mail of a deleted account: the .invalid top-level domain can never deliver
# (RFC 2606), and the id keeps it unique.
DELETED_EMAIL = "deleted-{id}@deleted.invalid"
UNUSABLE_PASSWORD = "!deleted"  # not a werkzeug hash: no password ever matches it

Exporter = Callable[[Session, User], Any]
_exporters: dict[str, Exporter] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    """Add a section to every personal-data export: exporter(session, user) returns plain
    JSON-able data (lists, dicts, strings, numbers, datetimes)."""
    _exporters[name] = exporter


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _organisation(org) -> dict | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "name_en": org.name_en,
            "kind": type(org).__name__.lower()}


def _account(user: User) -> dict:
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "role": user.role, "status": user.status, "locale": user.locale,
        "created_at": _iso(user.created_at), "approved_at": _iso(user.approved_at),
        "password_changed_at": _iso(user.password_changed_at),
        "email_verified_at": _iso(user.email_verified_at),
    }


def _broker(user: User) -> dict | None:
    broker = user.broker
    if broker is None:
        return None
    return {"certificate_no": broker.certificate_no, "organisation": broker.organisation,
            "bio": broker.bio, "competencies": broker.competencies,
            "chains": [chain.key for chain in broker.chains],
            "contact": {name: getattr(broker, name) for name in CONTACT_FIELDS}}


def _join_requests(user: User) -> list[dict]:
    return [{"organisation": _organisation(r.organisation), "name_given": r.requested_name,
             "status": r.status, "created_at": _iso(r.created_at),
             "decided_at": _iso(r.decided_at)} for r in user.join_requests]


def _sessions(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                           .order_by(UserSession.id)).all()
    return [{"created_at": _iso(r.created_at), "last_seen_at": _iso(r.last_seen_at),
             "browser": r.user_agent, "remember": r.remember, "revoked_at": _iso(r.revoked_at),
             "current": r is user.current_session} for r in rows]


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def export_personal_data(session: Session, user: User) -> dict:
    """Return everything the platform holds about user as a JSON-able dict."""
    data = {
        "exported_at": _iso(utcnow()),
        "account": _account(user),
        "organisation": _organisation(user.organisation),
        "join_requests": _join_requests(user),
        "broker_profile": _broker(user),
        "consents": [{"privacy_notice_version": user.privacy_notice_version,
                      "given_at": _iso(user.privacy_consent_at)}]
        if user.privacy_consent_at else [],
        "sessions": _sessions(session, user),
    }
    for name, exporter in sorted(_exporters.items()):
        data[name] = _plain(exporter(session, user))
    return data


def consent_due(user: User) -> bool:
    """Return whether user has not yet accepted the current privacy notice."""
    return user.privacy_notice_version != PRIVACY_NOTICE_VERSION


def record_consent(session: Session, user: User) -> None:
    """Record that user accepted the current privacy notice now."""
    user.privacy_consent_at = utcnow()
    user.privacy_notice_version = PRIVACY_NOTICE_VERSION
    session.flush()


def _is_last_operator(session: Session, user: User) -> bool:
    if user.role != Role.ADMIN or not user.is_active:
        return False
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE, User.id != user.id))
    return not others


def delete_account(session: Session, user: User, password: str) -> User:
    """Erase user's personal fields and close the account for good (PIPL right to deletion).

    The row stays, anonymised, so that the organisation's outputs and needs and shared history
    such as match feedback keep their author as "deleted user".
    """
    if not check_password_hash(user.password_hash, password):
        raise WrongPasswordError()
    if _is_last_operator(session, user):
        raise LastOperatorError()
    user.email = DELETED_EMAIL.format(id=user.id)
    user.display_name = ""
    user.password_hash = UNUSABLE_PASSWORD
    user.locale = None
    user.email_verified_at = None
    user.status = AccountStatus.DISABLED
    user.deleted_at = utcnow()
    if user.broker is not None:
        broker = user.broker
        broker.certificate_no = broker.organisation = broker.bio = ""
        for name in CONTACT_FIELDS:
            setattr(broker, name, "")
        broker.chains = []
        for name in broker.competencies:
            setattr(broker, name, 1)
    session.execute(delete(JoinRequest).where(JoinRequest.user_id == user.id,
                                              JoinRequest.status == JoinRequestStatus.PENDING))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()
    session.expire(user, ["join_requests"])
    signals.account_deleted.send(user, session=session)
    return user
