"""Personal API tokens: a user's bearer credentials for the REST API (/api/v1).

Only a SHA-256 digest of the token and a short prefix (to tell tokens apart on the tokens
page) are kept: the token itself is shown once, when it is made. A token has 32 random bytes,
so a fast digest is enough (no password-style slow hashing is needed against guessing).
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.types import utcnow

SCOPES = ("read", "write")  # write includes read


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def may_write(self) -> bool:
        return self.scope == "write"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
