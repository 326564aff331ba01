"""Signed links sent by e-mail: address verification and password reset.

Both are itsdangerous tokens signed with the app's SECRET_KEY and stamped with the time they
were made, each kind with its own salt so that one kind never passes for the other. Nothing
is stored: a reset token carries a fingerprint of the password hash it was made for, so it
stops working once the password changed (single use); a verification token carries the
address it verifies, so it stops working if the address changed.
"""
import hashlib
import time

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

VERIFY_SALT = "matchmaker.verify-email"
RESET_SALT = "matchmaker.password-reset"
_TOKEN_MAX = 400  # ours are about 100 characters; longer input is not ours


def current_time() -> int:
    """Return the time tokens are stamped and checked with (tests move it)."""
    return int(time.time())


class _Signer(TimestampSigner):
    def get_timestamp(self) -> int:
        return current_time()


class TokenError(Exception):
    """A link that cannot be used; reason: "invalid" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt, signer=_Signer)


def password_fingerprint(password_hash: str) -> str:
    """Return a short digest of a password hash (never the hash itself in a link)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def make_reset_token(secret: str, user) -> str:
    """Return a password-reset token for user's current password."""
    return _serializer(secret, RESET_SALT).dumps(
        {"u": user.id, "p": password_fingerprint(user.password_hash)})


def make_verify_token(secret: str, user) -> str:
    """Return an address-verification token for user's current e-mail address."""
    return _serializer(secret, VERIFY_SALT).dumps({"u": user.id, "e": user.email})


def read_token(secret: str, salt: str, token: str, *, max_age: int) -> dict:
    """Return the payload of a token of salt's kind; raise TokenError saying why not."""
    if not token or len(token) > _TOKEN_MAX:
        raise TokenError("invalid")
    try:
        payload = _serializer(secret, salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenError("expired") from error
    except (BadSignature, UnicodeError, ValueError) as error:
        raise TokenError("invalid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise TokenError("invalid")
    return payload
