"""Make, find, use and revoke personal API tokens (functions flush, never commit).

A token reads "mm_" + 8 characters of prefix + "_" + a secret; the prefix is stored in clear
to tell tokens apart on the tokens page, the whole token only as its SHA-256 digest.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.api.models import SCOPES, ApiToken
from matchmaker.errors import NotFoundError, ValidationFailedError
from matchmaker.types import utcnow

TOKEN_MAX_CHARS = 120  # ours are 47; longer input is not ours
LAST_USED_EVERY = timedelta(minutes=1)  # how often last_used_at is written


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the token itself (shown once, never stored)."""

    row: ApiToken
    secret: str


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, user, *, name: str, scope: str, days: int,
                 max_days: int) -> NewToken:
    """Make a token for user valid for days (1..max_days); raise ValidationFailedError."""
    name = (name or "").strip()
    reasons = {}
    if not name or len(name) > 80:
        reasons["name"] = "token_name"
    if scope not in SCOPES:
        reasons["scope"] = "token_scope"
    if not isinstance(days, int) or not 1 <= days <= max_days:
        reasons["days"] = "token_days"
    if reasons:
        raise ValidationFailedError(reasons)
    prefix = secrets.token_hex(4)
    raw = f"mm_{prefix}_{secrets.token_urlsafe(27)}"
    row = ApiToken(user_id=user.id, name=name, prefix=f"mm_{prefix}", token_hash=digest(raw),
                   scope=scope, expires_at=utcnow() + timedelta(days=days))
    session.add(row)
    session.flush()
    return NewToken(row, raw)


def list_tokens(session: Session, user) -> list[ApiToken]:
    """Return user's tokens, newest first (revoked and expired ones included)."""
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                           .order_by(ApiToken.id.desc())).all()


def revoke_token(session: Session, user, token_id: int) -> ApiToken:
    """Revoke one of user's tokens (nobody else's: NotFoundError)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def is_usable(row: ApiToken, now: datetime) -> bool:
    """Return whether row still signs its user in: not revoked, not expired, active user."""
    return (row.revoked_at is None and aware(row.expires_at) > now
            and permissions.role_of(row.user) is not None)


def authenticate(session: Session, raw: str | None) -> ApiToken | None:
    """Return the usable token raw stands for, recording its use; None for anything else."""
    if not raw or len(raw) > TOKEN_MAX_CHARS or not raw.isascii():
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    now = utcnow()
    if row is None or not is_usable(row, now):
        return None
    if row.last_used_at is None or now - aware(row.last_used_at) >= LAST_USED_EVERY:
        row.last_used_at = now
    return row
