"""Accounts: sign-up, authentication, passwords, joining an organisation and approval."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker import permissions, signals
from matchmaker.auth import sessions, tokens
from matchmaker.auth.contact import BrokerContact, normalize_contact
from matchmaker.auth.errors import (
    ActivationBlockedError,
    AlreadyDecidedError,
    DuplicateEmailError,
    InvalidLinkError,
    NameTakenError,
    OrganisationExistsError,
    WeakPasswordError,
    WrongPasswordError,
)
from matchmaker.auth.models import COMPETENCIES, Broker, JoinRequest, User
from matchmaker.auth.passwords import password_problem
from matchmaker.auth.privacy import PRIVACY_NOTICE_VERSION
from matchmaker.domain import AccountStatus, JoinRequestStatus, Role
from matchmaker.errors import PermissionDeniedError, ValidationFailedError
from matchmaker.orgs import services as orgs
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.permissions import Action
from matchmaker.types import utcnow

# A real hash of a random string: checking against it costs the same time as a real account,
# so response time does not reveal which e-mail addresses exist.
_DUMMY_HASH = generate_password_hash("timing-equaliser")

ORG_ROLES = {Role.INSTITUTION: Institution, Role.ENTERPRISE: Enterprise}
__all__ = [  # the account errors, re-exported for the views
    "ActivationBlockedError", "AlreadyDecidedError", "DuplicateEmailError", "InvalidLinkError",
    "NameTakenError", "OrganisationExistsError", "WeakPasswordError", "WrongPasswordError",
]


@dataclass
class SignupData:
    email: str
    password: str
    display_name: str
    role: str
    organisation_name: str = ""
    organisation_type: str = ""  # institution type or enterprise tier
    region_name: str = ""
    # Set when the person ticked "ask to join" for the organisation the sign-up page showed:
    # its orgs.services.organisation_key.
    join_organisation: str | None = None
    locale: str | None = None  # the interface language at sign-up: e-mails are written in it


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, method: str | None = None) -> str:
    return generate_password_hash(password, method=method) if method else \
        generate_password_hash(password)


def check_password_policy(password: str, *user_inputs: str) -> None:
    """Raise WeakPasswordError unless password is long and hard enough to guess."""
    reason = password_problem(password, user_inputs=user_inputs)
    if reason is not None:
        raise WeakPasswordError(reason)


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, else None."""
    user = find_user_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _attach_organisation(session: Session, user: User, data: SignupData) -> None:
    """Create the organisation named at sign-up, or, if it exists (or looks like one that
    does), file a request to join it. Never attaches the account to an existing one."""
    region = session.scalar(select(Region).where(Region.name == data.region_name))
    if region is None:
        raise ValidationFailedError({"region": "unknown_region"})
    model = ORG_ROLES[data.role]
    name = data.organisation_name.strip()
    match = orgs.find_existing(session, model, name)
    if match is None:
        org = orgs.create_organisation(session, model, name=name, type_=data.organisation_type,
                                       region=region)
        setattr(user, "institution" if model is Institution else "enterprise", org)
        return
    if data.join_organisation != orgs.organisation_key(match.organisation):
        raise OrganisationExistsError(match)
    user.join_requests.append(JoinRequest(
        institution=match.organisation if model is Institution else None,
        enterprise=match.organisation if model is Enterprise else None,
        requested_name=name, requested_type=data.organisation_type, region=region,
        similarity=match.similarity))


def register_user(session: Session, data: SignupData, *, hash_method: str | None = None) -> User:
    """Create a pending account awaiting an operator's approval, with its consent to the
    current privacy notice; see _attach_organisation for the organisation."""
    if data.role not in (Role.INSTITUTION, Role.ENTERPRISE, Role.BROKER):
        raise ValidationFailedError({"role": "invalid_role"})
    if find_user_by_email(session, data.email):
        raise DuplicateEmailError(data.email)
    check_password_policy(data.password, data.email, data.display_name, data.organisation_name)
    now = utcnow()
    user = User(email=normalize_email(data.email), display_name=data.display_name.strip(),
                password_hash=hash_password(data.password, hash_method), role=data.role,
                status=AccountStatus.PENDING, password_changed_at=now, locale=data.locale,
                privacy_consent_at=now, privacy_notice_version=PRIVACY_NOTICE_VERSION)
    if data.role in ORG_ROLES:
        _attach_organisation(session, user, data)
    else:
        user.broker = Broker()
    session.add(user)
    session.flush()
    signals.account_registered.send(user, session=session)
    return user


def change_password(session: Session, user: User, current: str, new: str, *,
                    hash_method: str | None = None) -> int:
    """Set a new password after checking the current one; end every other session of user.

    Return how many other sessions were ended.
    """
    if not check_password_hash(user.password_hash, current):
        raise WrongPasswordError()
    organisation = user.organisation.name if user.organisation else ""
    check_password_policy(new, user.email, user.display_name, organisation)
    user.password_hash = hash_password(new, hash_method)
    user.password_changed_at = utcnow()
    ended = sessions.revoke_all(session, user, keep=user.current_session)
    session.flush()
    return ended


def set_account_status(session: Session, user: User, status: str) -> User:
    """Approve, reject or disable an account (operator action). Anything but approval ends
    the account's sessions at once."""
    status = AccountStatus(status)
    if user.is_deleted:
        raise ActivationBlockedError("deleted")
    if status == AccountStatus.ACTIVE:
        if user.pending_join_request is not None:
            raise ActivationBlockedError("join_pending")
        if user.role in ORG_ROLES and user.organisation is None:
            raise ActivationBlockedError("no_organisation")
        if user.approved_at is None:
            user.approved_at = utcnow()
    old = user.status
    user.status = status
    if status != AccountStatus.ACTIVE:
        sessions.revoke_all(session, user)
    session.flush()
    if old != status:
        signals.account_status_changed.send(user, session=session, old=old, new=status)
    return user


def create_admin(session: Session, email: str, password: str, name: str,
                 *, hash_method: str | None = None) -> User:
    """Create an active operator account, or reset the password of an existing one."""
    user = find_user_by_email(session, email)
    if user is not None and user.role != Role.ADMIN:
        raise DuplicateEmailError(email)
    check_password_policy(password, email, name)
    if user is None:
        user = User(email=normalize_email(email), role=Role.ADMIN, display_name=name)
        session.add(user)
    user.password_hash = hash_password(password, hash_method)
    user.password_changed_at = utcnow()
    user.status = AccountStatus.ACTIVE
    user.approved_at = user.approved_at or utcnow()
    session.flush()
    sessions.revoke_all(session, user)  # a reset password ends the old sessions
    return user


# --- joining an existing organisation ------------------------------------------------------

def pending_requests_for(session: Session, user: User) -> list[JoinRequest]:
    """Return the pending requests to join user's organisation (for its members)."""
    if not user.is_active or user.organisation is None:
        return []
    column = JoinRequest.institution_id if user.role == Role.INSTITUTION else \
        JoinRequest.enterprise_id
    return list(session.scalars(
        select(JoinRequest).join(JoinRequest.user)
        .where(column == user.organisation.id, JoinRequest.status == JoinRequestStatus.PENDING,
               User.status == AccountStatus.PENDING)
        .order_by(JoinRequest.created_at, JoinRequest.id)))


def decide_join_request(session: Session, request: JoinRequest, decision: str, *,
                        decider: User) -> JoinRequest:
    """Confirm or decline a join request; an operator may instead register the newcomer's
    organisation separately (decision "separate") when the look-alike was a false alarm."""
    decision = JoinRequestStatus(decision)
    if not permissions.can(decider, Action.DECIDE, request) or (
            decision == JoinRequestStatus.SEPARATE and not permissions.is_admin(decider)):
        raise PermissionDeniedError()
    if not request.is_pending or decision == JoinRequestStatus.PENDING:
        raise AlreadyDecidedError()
    user = request.user
    model = type(request.organisation)
    attr = "institution" if model is Institution else "enterprise"
    if decision == JoinRequestStatus.CONFIRMED:
        setattr(user, attr, request.organisation)
    elif decision == JoinRequestStatus.SEPARATE:
        found = orgs.find_existing(session, model, request.requested_name)
        if found is not None and found.exact:
            raise NameTakenError(request.requested_name)
        setattr(user, attr, orgs.create_organisation(
            session, model, name=request.requested_name, type_=request.requested_type,
            region=request.region))
    request.status = decision
    request.decided_at, request.decided_by = utcnow(), decider
    session.flush()
    return request


def update_broker_profile(session: Session, broker: Broker, *, actor, chains, certificate_no: str,
                          organisation: str, bio: str, competencies: dict[str, int],
                          contact: BrokerContact | None = None) -> Broker:
    """Change a broker's own profile (the broker, or an operator); contact None keeps it.

    Raises ValidationFailedError (field → message) for a contact detail auth.contact refuses.
    """
    permissions.require(actor, permissions.Action.EDIT, broker)
    if set(competencies) - set(COMPETENCIES) or any(
            not 1 <= int(level) <= 5 for level in competencies.values()):
        raise ValueError("competency levels are 1 to 5, by COMPETENCIES name")
    if contact is not None:
        contact, problems = normalize_contact(contact)
        if problems:
            raise ValidationFailedError(problems)
        for name, value in vars(contact).items():
            setattr(broker, name, value)
    broker.chains = list(chains)
    broker.certificate_no = certificate_no.strip()[:40]
    broker.organisation = organisation.strip()[:120]
    broker.bio = bio.strip()[:2000]
    for name, level in competencies.items():
        setattr(broker, name, int(level))
    session.flush()
    return broker


# --- e-mailed links: address verification and password reset -------------------------------

def request_password_reset(session: Session, email: str) -> None:
    """Have a reset link e-mailed to the account with this address, if there is one.

    The caller answers the same whether or not it exists. A deleted account has no address.
    """
    user = find_user_by_email(session, email)
    if user is not None and not user.is_deleted:
        signals.password_reset_requested.send(user, session=session)


def _token_user(session: Session, payload: dict) -> User:
    user = session.get(User, payload["u"])
    if user is None or user.is_deleted:
        raise InvalidLinkError("invalid")
    return user


def find_reset_user(session: Session, token: str, *, secret: str, max_age: int) -> User:
    """Return the account a reset token was made for; raise InvalidLinkError when the token
    is forged, expired ("expired") or already used: the password changed since ("used")."""
    try:
        payload = tokens.read_token(secret, tokens.RESET_SALT, token, max_age=max_age)
    except tokens.TokenError as error:
        raise InvalidLinkError(error.reason) from error
    user = _token_user(session, payload)
    if payload.get("p") != tokens.password_fingerprint(user.password_hash):
        raise InvalidLinkError("used")
    return user


def reset_password(session: Session, token: str, new: str, *, secret: str, max_age: int,
                   hash_method: str | None = None) -> User:
    """Set a new password through a reset link and sign out every session of the account.

    The link proved that the person reads the address, so it is verified too.
    """
    user = find_reset_user(session, token, secret=secret, max_age=max_age)
    organisation = user.organisation.name if user.organisation else ""
    check_password_policy(new, user.email, user.display_name, organisation)
    user.password_hash = hash_password(new, hash_method)
    user.password_changed_at = utcnow()
    user.email_verified_at = user.email_verified_at or utcnow()
    sessions.revoke_all(session, user)
    session.flush()
    return user


def verify_email(session: Session, token: str, *, secret: str, max_age: int) -> User:
    """Mark the address a verification token was made for as verified (again is harmless)."""
    try:
        payload = tokens.read_token(secret, tokens.VERIFY_SALT, token, max_age=max_age)
    except tokens.TokenError as error:
        raise InvalidLinkError(error.reason) from error
    user = _token_user(session, payload)
    if payload.get("e") != user.email:
        raise InvalidLinkError("invalid")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.flush()
    return user


def request_email_verification(session: Session, user: User) -> bool:
    """Have the verification link e-mailed again; return False if already verified."""
    if user.email_verified_at is not None or user.is_deleted:
        return False
    signals.email_verification_requested.send(user, session=session)
    return True
