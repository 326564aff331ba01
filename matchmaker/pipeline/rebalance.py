"""Rebalancing the brokers' loads from the operators' overview: each owner's open deals, the
brokers who may take deals over (with their open load and chains), and reassigning several
deals in one go.

**A batch is not all or nothing.** Each ticked deal goes through services.reassign_deal in a
savepoint of its own, with the version the overview showed. A deal that someone changed since
the page was loaded (a broker moved it, another operator reassigned it) is left exactly as it
is and reported by its title; the other deals of the batch are reassigned. An operator ticks
deals one by one while brokers keep working: refusing all of them for one changed deal would
throw away the whole selection for a change that usually has nothing to do with who owns the
others. Anything else that refuses (not an operator, the target not an active broker) refuses
the whole batch before any deal changes.
"""
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from matchmaker import permissions
from matchmaker.auth.models import Broker, User
from matchmaker.chains.models import Chain
from matchmaker.domain import AccountStatus, Role
from matchmaker.errors import PermissionDeniedError, StaleObjectError
from matchmaker.pipeline import services
from matchmaker.pipeline.models import Deal

DEALS_PER_OWNER = 30  # the most urgent open deals of each broker; the list view has them all
BATCH_MAX = 300  # deals in one reassignment


@dataclass(frozen=True)
class TargetBroker:
    """A broker who may take deals over: their open load and chains of specialty."""

    user: User
    open_deals: int
    chains: list[Chain]


@dataclass
class ReassignOutcome:
    """What one batch did: titles of the deals moved, left alone because someone changed
    them meanwhile (stale), or already with the target; and how many were not found."""

    moved: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: int = 0


def open_deals_by_owner(session: Session, owner_ids: Sequence[int], *,
                        limit: int = DEALS_PER_OWNER) -> dict[int, list[Deal]]:
    """Return each owner's most urgent open deals (earliest next step first), at most limit
    each, with their stage and chain (nothing else: the overview shows no parties)."""
    if not owner_ids:
        return {}
    rank = func.row_number().over(partition_by=Deal.owner_id,
                                  order_by=(Deal.next_step_due, Deal.id)).label("rank")
    ranked = select(Deal.id, rank).where(Deal.is_open, Deal.owner_id.in_(owner_ids)).subquery()
    rows = session.scalars(
        select(Deal).join(ranked, ranked.c.id == Deal.id).where(ranked.c.rank <= limit)
        .options(lazyload("*"), joinedload(Deal.stage), joinedload(Deal.chain))
        .order_by(Deal.owner_id, Deal.next_step_due, Deal.id)).all()
    result: dict[int, list[Deal]] = {owner_id: [] for owner_id in owner_ids}
    for deal in rows:
        result[deal.owner_id].append(deal)
    return result


def target_brokers(session: Session) -> list[TargetBroker]:
    """Return the active brokers, least loaded first, with their open load and chains."""
    users = session.scalars(
        select(User).join(Broker, Broker.user_id == User.id)
        .where(User.role == Role.BROKER, User.status == AccountStatus.ACTIVE,
               User.deleted_at.is_(None))
        .options(selectinload(User.broker).selectinload(Broker.chains))).all()
    loads = services.open_loads(session)
    targets = [TargetBroker(user, loads.get(user.id, 0), list(user.broker.chains))
               for user in users]
    return sorted(targets, key=lambda t: (t.open_deals, t.user.display_name, t.user.id))


def reassign_deals(session: Session, picks: Sequence[tuple[int, int]], owner: User, *,
                   actor: User, note: str = "") -> ReassignOutcome:
    """Give each picked deal (its id and the version the operator saw) to owner; see the
    module's docstring for a batch in which some deals changed meanwhile.

    Each reassignment is one history row on its deal (services.reassign_deal). Raises
    PermissionDeniedError unless actor is an operator, and RefusedError if owner is not an
    active broker, before changing anything.
    """
    if not permissions.is_admin(actor):
        raise PermissionDeniedError("reassign")
    if not services.is_active_broker(owner):
        raise services.refuse("not_a_broker", "owner")
    outcome = ReassignOutcome()
    for deal_id, version in dict(picks).items():  # a deal ticked twice is one pick
        deal = session.get(Deal, deal_id)
        if deal is None:
            outcome.missing += 1
            continue
        title = deal.title
        if deal.owner_id == owner.id:
            outcome.unchanged.append(title)
            continue
        try:
            with session.begin_nested():
                services.reassign_deal(session, deal, owner, actor=actor, note=note,
                                       version=version)
        except StaleObjectError:
            outcome.stale.append(title)
        else:
            outcome.moved.append(title)
    return outcome
