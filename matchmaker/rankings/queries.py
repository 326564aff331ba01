"""Load the boards' records from the database: signed contracts, landings and done service
tickets of a period and chain (a few queries per board, never one per row), the parties'
names and whether they are public, and the deals behind a position that a viewer may open.

Only records count (formulas.py): a contract with an amount above zero, a signing date and both
parties; a landing with its name and date; a ticket marked done. Records of deals marked lost
are left out: the contract fell through, the landing did not hold.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus, Role, TicketStatus
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.pipeline.models import Contract, Deal, ServiceTicket, deal_co_brokers
from matchmaker.pipeline.queries import counted_contract, held_landing, visible_condition
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.rankings.formulas import (
    Board,
    ContractRecord,
    LandingRecord,
    Party,
    Period,
    Records,
    ServiceRecord,
    business_date,
)


def _in_days(column, period: Period):
    """The condition that a Date column's day lies in the period (None: all time)."""
    if period.first_day is None:
        return None
    return (column >= period.first_day) & (column < period.next_first_day)


def _in_times(column, period: Period):
    """The condition that a time column lies in the period, read in business time."""
    start, end = period.utc_bounds()
    if start is None:
        return None
    return (column >= start) & (column < end)


def _where(stmt, *conditions):
    return stmt.where(*(c for c in conditions if c is not None))


def _co_brokers(session: Session, deal_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Return each deal's co-brokers (user ids, in id order), in one query."""
    ids = sorted(set(deal_ids))
    found: defaultdict[int, list[int]] = defaultdict(list)
    if ids:
        rows = session.execute(select(deal_co_brokers.c.deal_id, deal_co_brokers.c.user_id)
                               .where(deal_co_brokers.c.deal_id.in_(ids))
                               .order_by(deal_co_brokers.c.user_id))
        for deal_id, user_id in rows:
            found[deal_id].append(user_id)
    return {deal_id: tuple(users) for deal_id, users in found.items()}


def signed_contracts(session: Session, period: Period,
                     chain_id: int | None = None) -> tuple[ContractRecord, ...]:
    """Return the contracts signed in the period (on the chain's deals, if given)."""
    stmt = (select(Contract.deal_id, Contract.signed_on, Contract.total_amount, Deal.owner_id,
                   Deal.chain_id, Deal.output_id, Deal.need_id, ResearchOutput.institution_id,
                   ResearchOutput.published_at, TechNeed.enterprise_id, TechNeed.is_challenge)
            .join(Deal, Deal.id == Contract.deal_id)
            .outerjoin(ResearchOutput, ResearchOutput.id == Deal.output_id)
            .outerjoin(TechNeed, TechNeed.id == Deal.need_id)
            .where(counted_contract()))
    stmt = _where(stmt, _in_days(Contract.signed_on, period),
                  Deal.chain_id == chain_id if chain_id is not None else None)
    rows = session.execute(stmt).all()
    co = _co_brokers(session, (r.deal_id for r in rows))
    return tuple(ContractRecord(
        deal_id=r.deal_id, signed_on=r.signed_on, value=r.total_amount, owner_id=r.owner_id,
        co_broker_ids=co.get(r.deal_id, ()), institution_id=r.institution_id,
        enterprise_id=r.enterprise_id, output_id=r.output_id, need_id=r.need_id,
        chain_id=r.chain_id, is_challenge=bool(r.is_challenge),
        listed_on=business_date(r.published_at) if r.published_at else None) for r in rows)


def landings(session: Session, period: Period,
             chain_id: int | None = None) -> tuple[LandingRecord, ...]:
    """Return the deals that landed in the period."""
    stmt = (select(Deal.id, Deal.landed_on, Deal.owner_id, Deal.chain_id, Deal.local_conversion)
            .where(held_landing()))
    stmt = _where(stmt, _in_days(Deal.landed_on, period),
                  Deal.chain_id == chain_id if chain_id is not None else None)
    rows = session.execute(stmt).all()
    co = _co_brokers(session, (r.id for r in rows))
    return tuple(LandingRecord(deal_id=r.id, landed_on=r.landed_on, owner_id=r.owner_id,
                               co_broker_ids=co.get(r.id, ()), chain_id=r.chain_id,
                               is_local=bool(r.local_conversion)) for r in rows)


def services_done(session: Session, period: Period,
                  chain_id: int | None = None) -> tuple[ServiceRecord, ...]:
    """Return the service tickets marked done in the period."""
    stmt = (select(ServiceTicket.id, ServiceTicket.deal_id, ServiceTicket.closed_at,
                   Deal.owner_id, Deal.chain_id)
            .join(Deal, Deal.id == ServiceTicket.deal_id)
            .where(Deal.is_open, ServiceTicket.status == TicketStatus.DONE,
                   ServiceTicket.closed_at.is_not(None)))
    stmt = _where(stmt, _in_times(ServiceTicket.closed_at, period),
                  Deal.chain_id == chain_id if chain_id is not None else None)
    rows = session.execute(stmt).all()
    co = _co_brokers(session, (r.deal_id for r in rows))
    return tuple(ServiceRecord(ticket_id=r.id, deal_id=r.deal_id, done_at=r.closed_at,
                               owner_id=r.owner_id, co_broker_ids=co.get(r.deal_id, ()),
                               chain_id=r.chain_id) for r in rows)


def board_records(session: Session, board: Board, period: Period,
                  chain_id: int | None = None) -> Records:
    """Return the records the board reads, for the period and chain: only the kinds it uses."""
    metrics = {m.key for m in board.metrics}
    if metrics & {"landed", "local"}:
        return Records(landings=landings(session, period, chain_id))
    if "services" in metrics:
        return Records(services=services_done(session, period, chain_id))
    return Records(contracts=signed_contracts(session, period, chain_id))


@dataclass(frozen=True)
class PartyName:
    name: str
    name_en: str
    is_public: bool  # the party has a public page (all organisations; active brokers)
    page_id: int | None  # the id of that page (a broker's profile id)


def party_names(session: Session, party: Party, ids: Iterable[int]) -> dict[int, PartyName]:
    """Return the names of the parties on a board, in one query."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    if party == Party.BROKER:
        rows = session.execute(
            select(User.id, User._display_name, User.status, User.deleted_at, User.role,
                   Broker.id.label("broker_id"))
            .outerjoin(Broker, Broker.user_id == User.id).where(User.id.in_(ids)))
        out = {}
        for r in rows:
            public = (r.role == Role.BROKER and r.status == AccountStatus.ACTIVE
                      and r.deleted_at is None and r.broker_id is not None)
            name = r._display_name if r.deleted_at is None else ""
            out[r.id] = PartyName(name, "", public, r.broker_id if public else None)
        return out
    model = Institution if party == Party.INSTITUTION else Enterprise
    rows = session.execute(select(model.id, model.name, model.name_en).where(model.id.in_(ids)))
    return {r.id: PartyName(r.name, r.name_en or "", True, r.id) for r in rows}


def visible_deals(session: Session, viewer, deal_ids: Iterable[int]) -> dict[int, str]:
    """Return id -> title of the deals among deal_ids that viewer may open (one query)."""
    ids = sorted(set(deal_ids))
    if not ids:
        return {}
    rows = session.execute(select(Deal.id, Deal.title)
                           .where(Deal.id.in_(ids), visible_condition(viewer)))
    return dict(rows.all())
