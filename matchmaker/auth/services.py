"""Accounts: sign-up, authentication and approval by an operator."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus, Role
from matchmaker.errors import MatchmakerError, ValidationFailedError
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.types import utcnow

# A real hash of a random string: checking against it costs the same time as a real account,
# so response time does not reveal which e-mail addresses exist.
_DUMMY_HASH = generate_password_hash("timing-equaliser")


class DuplicateEmailError(MatchmakerError):
    """An account with this e-mail address already exists."""


@dataclass
class SignupData:
    email: str
    password: str
    display_name: str
    role: str
    organisation_name: str = ""
    organisation_type: str = ""  # institution type or enterprise tier
    region_name: str = ""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, method: str | None = None) -> str:
    return generate_password_hash(password, method=method) if method else \
        generate_password_hash(password)


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, else None."""
    user = find_user_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _find_or_create_org(session: Session, data: SignupData):
    region = session.scalar(select(Region).where(Region.name == data.region_name))
    if region is None:
        raise ValidationFailedError({"region": "unknown_region"})
    model = Institution if data.role == Role.INSTITUTION else Enterprise
    name = data.organisation_name.strip()
    org = session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if org is not None:
        return org
    if model is Institution:
        org = Institution(name=name, type=data.organisation_type, region=region, aliases=[])
    else:
        org = Enterprise(name=name, tier=data.organisation_type, size="small", region=region,
                         aliases=[])
    session.add(org)
    return org


def register_user(session: Session, data: SignupData, *, hash_method: str | None = None) -> User:
    """Create a pending account (and its organisation if new) awaiting an operator's approval."""
    if data.role not in (Role.INSTITUTION, Role.ENTERPRISE, Role.BROKER):
        raise ValidationFailedError({"role": "invalid_role"})
    if find_user_by_email(session, data.email):
        raise DuplicateEmailError(data.email)
    user = User(email=normalize_email(data.email), display_name=data.display_name.strip(),
                password_hash=hash_password(data.password, hash_method), role=data.role,
                status=AccountStatus.PENDING)
    if data.role == Role.INSTITUTION:
        user.institution = _find_or_create_org(session, data)
    elif data.role == Role.ENTERPRISE:
        user.enterprise = _find_or_create_org(session, data)
    else:
        user.broker = Broker()
    session.add(user)
    session.flush()
    return user


def set_account_status(session: Session, user: User, status: str) -> User:
    """Approve, reject or disable an account (operator action)."""
    user.status = AccountStatus(status)
    if status == AccountStatus.ACTIVE and user.approved_at is None:
        user.approved_at = utcnow()
    session.flush()
    return user


def create_admin(session: Session, email: str, password: str, name: str,
                 *, hash_method: str | None = None) -> User:
    """Create an active operator account, or reset the password of an existing one."""
    user = find_user_by_email(session, email)
    if user is not None and user.role != Role.ADMIN:
        raise DuplicateEmailError(email)
    if user is None:
        user = User(email=normalize_email(email), role=Role.ADMIN, display_name=name)
        session.add(user)
    user.password_hash = hash_password(password, hash_method)
    user.status = AccountStatus.ACTIVE
    user.approved_at = user.approved_at or utcnow()
    session.flush()
    return user
