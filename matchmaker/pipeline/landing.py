"""Sign and land a deal, then serve it: NDA, technology contract, landing, service tickets.

Same conventions as services.py (permissions, flush, announce); a complete contract on a deal
in the land phase or later transfers its output and solves its need.
"""
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.domain import (
    HOME_PROVINCE,
    ContractType,
    FinancingKind,
    HistoryKind,
    NdaStatus,
    TicketKind,
    TicketStatus,
)
from matchmaker.orgs.models import Region
from matchmaker.pipeline import clock
from matchmaker.pipeline.models import Contract, Deal, ServiceTicket
from matchmaker.pipeline.writing import (
    announce,
    assign,
    check_choice,
    check_money,
    check_version,
    flush_deal,
    refuse,
    require_edit,
    sync_listing_status,
    touch,
)

# --- service tickets (after landing) --------------------------------------------------------

TICKET_FIELDS = ("title", "status", "due_on", "outcome", "financing_kind", "amount_raised")


def _check_ticket(kind: str, values: dict) -> None:
    check_choice(kind, TicketKind, "kind")
    check_choice(values.get("status"), TicketStatus, "status")
    check_choice(values.get("financing_kind"), FinancingKind, "financing_kind")
    check_money(values.get("amount_raised"), "amount_raised")
    if kind != TicketKind.FINANCING and (values.get("financing_kind")
                                         or values.get("amount_raised") is not None):
        raise refuse("financing_only", "financing_kind")
    if "title" in values and not (values["title"] or "").strip():
        raise refuse("title_required", "title")


def add_ticket(session: Session, deal: Deal, kind: str, title: str, *, actor: User,
               due_on: date | None = None, status: str = TicketStatus.OPEN, outcome: str = "",
               financing_kind: str | None = None,
               amount_raised: Decimal | None = None) -> ServiceTicket:
    """Open a service ticket (policy, registration, legal, IP, financing, …) on the deal."""
    require_edit(actor, deal)
    values = {"title": title, "status": status, "due_on": due_on, "outcome": outcome,
              "financing_kind": financing_kind, "amount_raised": amount_raised}
    _check_ticket(kind, values)
    ticket = ServiceTicket(deal_id=deal.id, kind=kind, created_at=clock.now(),
                           **{**values, "title": title.strip()[:200]})
    if status in (TicketStatus.DONE, TicketStatus.CANCELLED):
        ticket.closed_at = clock.now()
    session.add(ticket)
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.TICKET, [("ticket", None, kind)],
             note=ticket.title)
    return ticket


def update_ticket(session: Session, ticket: ServiceTicket, *, actor: User,
                  **changes) -> ServiceTicket:
    """Change a ticket's fields (TICKET_FIELDS); one history row per changed field."""
    deal = session.get(Deal, ticket.deal_id)
    require_edit(actor, deal)
    unknown = set(changes) - set(TICKET_FIELDS)
    if unknown:
        raise ValueError(f"update_ticket cannot change {sorted(unknown)}")
    _check_ticket(ticket.kind, {**changes})
    changed = assign(ticket, changes)
    if not changed:
        return ticket
    if "status" in changes:
        closed = changes["status"] in (TicketStatus.DONE, TicketStatus.CANCELLED)
        ticket.closed_at = clock.now() if closed else None
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.TICKET, changed,
             note=f"#{ticket.id} {ticket.title}")
    return ticket


# --- NDA, contract, landing -----------------------------------------------------------------

def set_nda(session: Session, deal: Deal, status: str, *, actor: User,
            expires_on: date | None = None) -> Deal:
    """Record the deal's NDA status (none, sent, signed, expired) and expiry date."""
    require_edit(actor, deal)
    check_choice(status, NdaStatus, "nda_status")
    changed = assign(deal, {"nda_status": status, "nda_expires_on": expires_on})
    if not changed:
        return deal
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.NDA, changed)
    return deal


@dataclass
class ContractData:
    contract_type: str
    seller_name: str = ""
    buyer_name: str = ""
    total_amount: Decimal | None = None
    technical_amount: Decimal | None = None
    signed_on: date | None = None
    term_start: date | None = None
    term_end: date | None = None
    name: str = ""
    registration_no: str = ""
    registered_on: date | None = None


def _check_contract(data: ContractData) -> None:
    check_choice(data.contract_type, ContractType, "contract_type")
    check_money(data.total_amount, "total_amount")
    check_money(data.technical_amount, "technical_amount")
    if (data.total_amount is not None and data.technical_amount is not None
            and Decimal(str(data.technical_amount)) > Decimal(str(data.total_amount))):
        raise refuse("amounts_order", "technical_amount")
    if data.term_start and data.term_end and data.term_start > data.term_end:
        raise refuse("term_order", "term_end")


def save_contract(session: Session, deal: Deal, data: ContractData, *, actor: User,
                  version: int | None = None) -> Contract:
    """Create or change the deal's technology contract; one history row per changed field.

    A complete contract (amount, signing date, both parties) on a deal in the land phase or
    later transfers the output and solves the need.
    """
    require_edit(actor, deal)
    check_version(deal, version)
    _check_contract(data)
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    values["seller_name"] = values["seller_name"].strip()[:120]
    values["buyer_name"] = values["buyer_name"].strip()[:120]
    contract = deal.contract
    if contract is None:
        contract = Contract(deal=deal, created_at=clock.now(), **values)
        session.add(contract)
        changed = [(name, None, value) for name, value in values.items()
                   if value not in (None, "")]
    else:
        changed = assign(contract, values)
    if not changed:
        return contract
    contract.updated_at = clock.now()
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.CONTRACT, changed)
    sync_listing_status(session, deal, actor)
    return contract


def mark_landed(session: Session, deal: Deal, *, actor: User, name: str, region: Region,
                landed_on: date, address: str = "", version: int | None = None) -> Deal:
    """Record where the deal landed: the company or project, its region and date.

    Local conversion (就地转化) is derived: the region lies in the home province. Moving
    the deal to "landed" is a separate move_deal, which needs these facts.
    """
    require_edit(actor, deal)
    check_version(deal, version)
    if not name.strip():
        raise refuse("landing_name_missing", "landing_name")
    if region is None:
        raise refuse("landing_location_missing", "landing_region")
    if landed_on is None:
        raise refuse("landing_date_missing", "landed_on")
    changed = assign(deal, {
        "landing_name": name.strip()[:120], "landing_region": region,
        "landing_address": address.strip()[:200], "landed_on": landed_on,
        "local_conversion": region.province == HOME_PROVINCE})
    if not changed:
        return deal
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.FIELD, changed)
    return deal


def expire_ndas(session: Session, *, today: date | None = None) -> list[Deal]:
    """Mark signed NDAs whose expiry date has passed as expired (the platform does it: no
    actor on the history row); return the deals changed."""
    from sqlalchemy import select

    today = today or clock.today()
    deals = session.scalars(select(Deal).where(Deal.nda_status == NdaStatus.SIGNED,
                                               Deal.nda_expires_on < today)).all()
    for deal in deals:
        changed = assign(deal, {"nda_status": NdaStatus.EXPIRED})
        deal.updated_at = clock.now()
        flush_deal(session, deal)
        announce(deal, session, None, HistoryKind.NDA, changed, note="expired_on_date")
    return list(deals)
