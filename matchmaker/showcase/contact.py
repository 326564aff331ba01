"""Contact requests: store a visitor's question first, then route it to the broker on duty
(duty.py) and tell them in the app; the broker marks it handled from their today page."""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus, Role
from matchmaker.errors import NotFoundError
from matchmaker.notifications.rules import Kind
from matchmaker.notifications.services import notify
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.showcase import duty
from matchmaker.showcase.models import ContactRequest
from matchmaker.showcase.public import is_visible
from matchmaker.types import utcnow

# Bump when the contact notice on the form (templates/showcase/_contact.html) changes in
# substance; each request records the version its visitor agreed to.
CONTACT_NOTICE_VERSION = "2026-12-06"
TODAY_LIMIT = 50  # requests listed on a today page (the oldest first)


@dataclass(frozen=True)
class ContactData:
    name: str
    organisation: str
    email: str
    phone: str
    message: str
    locale: str = "zh"


def hash_address(address: str, secret: str) -> str:
    """Return a keyed hash of a client address: repeated senders can be told apart, but the
    address cannot be read back (nor found by hashing every address without the key)."""
    return hmac.new(secret.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


def _open_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(ContactRequest.broker_id, func.count())
                           .where(ContactRequest.status == "open",
                                  ContactRequest.broker_id.is_not(None))
                           .group_by(ContactRequest.broker_id)).all()
    return dict(rows)


def _active(role: Role):
    return (User.role == role) & (User.status == AccountStatus.ACTIVE) & \
        User.deleted_at.is_(None)


def choose_on_duty(session: Session, chain_id: int | None) -> User | None:
    """Return who is on duty for chain_id (see duty.py), or None when nobody can be."""
    counts = _open_counts(session)
    brokers = session.scalars(select(Broker).join(Broker.user).where(_active(Role.BROKER))).all()
    operators = session.scalars(select(User.id).where(_active(Role.ADMIN))).all()
    chosen = duty.on_duty(
        (duty.Candidate(b.user_id, frozenset(c.id for c in b.chains), counts.get(b.user_id, 0))
         for b in brokers),
        (duty.Candidate(uid, open_requests=counts.get(uid, 0)) for uid in operators),
        chain_id)
    return session.get(User, chosen) if chosen is not None else None


def create_contact_request(session: Session, listing: ResearchOutput | TechNeed,
                           data: ContactData, *, ip_hash: str) -> ContactRequest:
    """Store a visitor's request about a public listing, route it and tell its broker.

    Raises NotFoundError when the listing is not public (a visitor may only ask about what
    the showcase shows). The row is flushed before routing, so a failure to find anyone
    leaves it stored and unassigned rather than lost.
    """
    if not is_visible(listing):
        raise NotFoundError(listing.id)
    now = utcnow()
    request = ContactRequest(
        side=str(listing.side), item_id=listing.id, item_title=listing.title[:200],
        chain_id=listing.chain_id, name=data.name, organisation=data.organisation,
        email=data.email, phone=data.phone, message=data.message, locale=data.locale,
        consent_at=now, notice_version=CONTACT_NOTICE_VERSION, ip_hash=ip_hash,
        created_at=now, status="open")
    session.add(request)
    session.flush()
    broker = choose_on_duty(session, listing.chain_id)
    if broker is not None:
        request.broker_id = broker.id
        session.flush()
        notify(session, broker, Kind.CONTACT_REQUEST, key=f"contact_request:{request.id}",
               params={"item": request.item_title}, link=("pipeline.today", {}))
    return request


def mark_contact_request_handled(session: Session, request: ContactRequest, *,
                                 actor) -> ContactRequest:
    """Mark a request handled (the broker answered the visitor); handling twice is a no-op."""
    permissions.require(actor, Action.EDIT, request)
    if request.status != "handled":
        request.status = "handled"
        request.handled_at = utcnow()
        request.handled_by_id = getattr(actor, "id", None)
        session.flush()
    return request


def get_contact_request(session: Session, request_id: int, *, viewer) -> ContactRequest:
    """Return the request if viewer may see it; raise NotFoundError otherwise."""
    request = session.get(ContactRequest, request_id)
    if request is None:
        raise NotFoundError(request_id)
    permissions.require(viewer, Action.VIEW, request)
    return request


def open_requests_query(viewer) -> Select:
    """Return a SELECT of the open requests on viewer's today page, oldest first: a broker's
    own; an operator's own and those nobody could be given."""
    mine = ContactRequest.broker_id == viewer.id
    if permissions.is_admin(viewer):
        mine = or_(mine, ContactRequest.broker_id.is_(None))
    return (select(ContactRequest).where(ContactRequest.status == "open", mine)
            .order_by(ContactRequest.created_at, ContactRequest.id))


def list_open_requests(session: Session, viewer) -> tuple[list[ContactRequest], int]:
    """Return up to TODAY_LIMIT open requests for viewer's today page, and how many there are."""
    stmt = open_requests_query(viewer)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.limit(TODAY_LIMIT))), total or 0


def erase_handled_requests(session: Session, *, days: int,
                           now: datetime | None = None) -> int:
    """Erase the requests handled more than days ago (the visitor's personal data goes with
    them); open requests stay until a broker handles them. Return how many were erased."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return session.execute(delete(ContactRequest).where(
        ContactRequest.status == "handled", ContactRequest.handled_at < cutoff)).rowcount
