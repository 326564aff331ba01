"""Server-side sign-in sessions.

Flask keeps its session in a signed cookie, so a copy of an old cookie (or of the remember-me
cookie) would stay valid after sign-out. Instead the cookies carry a random token (through
User.get_id) and the session is valid only while its row in user_sessions is: signing out,
changing the password, deleting the account or an operator disabling it revokes rows, and the
copies stop working. Only a SHA-256 of the token is stored, so a database dump does not hand
out sessions.
"""
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from matchmaker.auth.models import User, UserSession
from matchmaker.types import utcnow

TOKEN_BYTES = 32
_TOKEN_MAX = 100  # token_urlsafe(32) has 43 characters; longer input is not ours


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("MicroMessenger/", "WeChat"),
             ("QQBrowser/", "QQ Browser"), ("UCBrowser/", "UC Browser"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Version/", "Safari"))
_SYSTEMS = (("HarmonyOS", "HarmonyOS"), ("Windows", "Windows"), ("Android", "Android"),
            ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def summarize_user_agent(user_agent: str) -> str:
    """Return a short "browser version · system" label for the session list; the full
    User-Agent string is not kept (data minimisation)."""
    browser = next((f"{name} {m.group(1)}" for marker, name in _BROWSERS
                    if (m := re.search(re.escape(marker) + r"(\d+)", user_agent))), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)[:120]


def start_session(session: Session, user: User, *, remember: bool, user_agent: str = "",
                  keep_for: timedelta) -> UserSession:
    """Open a session for user (at sign-in) and set user.session_token to its new token.

    Sessions of anyone that ended (or went unused) more than keep_for ago are removed on the
    way, so that the table keeps only what the privacy notice says it keeps.
    """
    cutoff = utcnow() - keep_for
    session.execute(delete(UserSession).where(
        or_(UserSession.revoked_at < cutoff, UserSession.last_seen_at < cutoff)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = UserSession(user=user, token_hash=_hash(token), remember=remember,
                         user_agent=summarize_user_agent(user_agent))
    session.add(record)
    session.flush()
    user.session_token, user.current_session = token, record
    return record


def is_expired(record: UserSession, *, idle: timedelta, remembered: timedelta,
               now: datetime | None = None) -> bool:
    """A session ends after `idle` without a request (`remembered` when the person ticked
    "keep me signed in"), and in any case `remembered` after sign-in."""
    now = now or utcnow()
    limit = remembered if record.remember else idle
    return (now - _aware(record.last_seen_at) > limit
            or now - _aware(record.created_at) > remembered)


def resolve(session: Session, token: str, *, idle: timedelta,
            remembered: timedelta) -> User | None:
    """Return the active user of the live session with this token, else None."""
    if not token or len(token) > _TOKEN_MAX:
        return None
    record = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    if is_expired(record, idle=idle, remembered=remembered):
        return None
    user = record.user
    user.session_token, user.current_session = token, record
    return user


def touch(record: UserSession, *, every: timedelta) -> bool:
    """Move last_seen_at to now if it is older than every; return whether it changed (then the
    caller commits). Throttled so that a page view is not a write."""
    now = utcnow()
    if now - _aware(record.last_seen_at) < every:
        return False
    record.last_seen_at = now
    return True


def revoke_session(session: Session, record: UserSession) -> None:
    """End one session."""
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    session.flush()


def revoke_all(session: Session, user: User, *, keep: UserSession | None = None) -> int:
    """End every live session of user except keep; return how many were ended."""
    stmt = (update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return session.execute(stmt).rowcount


def list_live(session: Session, user: User, *, idle: timedelta,
              remembered: timedelta) -> list[UserSession]:
    """Return user's sessions that are neither revoked nor expired, most recent first."""
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()
    return [r for r in rows if not is_expired(r, idle=idle, remembered=remembered)]
