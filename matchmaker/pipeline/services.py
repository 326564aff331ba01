"""Write deals: create, edit, move, follow up, serve, contract, and introductions.

Every function is `verb_noun(session, …, actor=…)`: it checks permissions (permissions.py),
asks the rules (rules.py), flushes and never commits, then announces what happened
(signals.deal_changed); pipeline.subscribers turns that into history rows.

**Deals own a listing's market status.** A deal entering the land phase (introduced onwards)
puts its published output "under negotiation" and its published need "matched"; a signed
contract (amount, date, both parties) on a deal in the land phase or later makes the output
"transferred" and the need "solved"; a deal that goes back to mining or is lost, with no
other deal of that listing still in the land phase, puts it back to "published". The owner
of a listing can no longer set those statuses by hand (domain.OUTPUT_TRANSITIONS): they may
still withdraw an output or close a need, which leaves its open deals open (the broker
decides whether the deal is lost) and writes a history row on each of them. Each status the
pipeline sets is a history row on the deal and a profile_saved signal (by_deal=…), which the
coming notifications use to tell the owner.

**Optimistic locking.** Deal.version is SQLAlchemy's version_id_col: any change to a deal,
its contract, activities or tickets bumps it. Services that edit what a user saw take the
version the user loaded and refuse an older one (StaleObjectError); two transactions racing
past that check are caught by the versioned UPDATE itself (StaleDataError → StaleObjectError).
"""
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matchmaker import permissions, signals
from matchmaker.auth.models import Broker, User
from matchmaker.chains.models import Chain
from matchmaker.domain import (
    HOME_PROVINCE,
    ActivityKind,
    ContractType,
    FinancingKind,
    HistoryKind,
    IntroductionStatus,
    LostReason,
    NdaStatus,
    NeedStatus,
    OutputStatus,
    PaymentKind,
    Phase,
    ReformStatus,
    Requirement,
    Role,
    StageKey,
    TicketKind,
    TicketStatus,
    TransferMode,
)
from matchmaker.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleObjectError,
    ValidationFailedError,
)
from matchmaker.orgs.models import Region
from matchmaker.pipeline import clock, rules, subscribers  # noqa: F401  (history rows)
from matchmaker.pipeline.labels import refusal_message
from matchmaker.pipeline.models import (
    Activity,
    Contract,
    Deal,
    DealStage,
    DealTask,
    IntroductionRequest,
    ServiceTicket,
)
from matchmaker.pipeline.queries import (  # noqa: F401  (one import place for the UI)
    BoardColumn,
    BrokerLoadRow,
    DealFilters,
    OperatorFigures,
    Today,
    board_summary,
    deal_facts,
    deal_flags,
    list_activities,
    list_deals_query,
    list_history,
    list_introductions,
    list_stages,
    list_tasks,
    list_tickets,
    open_loads,
    operator_figures,
    stage_def,
    today_lists,
)
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.services import apply_deal_status
from matchmaker.recommendations.models import StoredMatch


class RefusedError(ValidationFailedError):
    """A pipeline change the rules refuse; refusals hold the codes, reasons their messages
    (keyed by the field to fix, else by the code), in the reader's language."""

    def __init__(self, refusals: list[rules.Refusal]):
        self.refusals = refusals
        self.codes = [r.code for r in refusals]
        super().__init__({r.field or r.code: refusal_message(r.code) for r in refusals})


def _refuse(code: str, field: str | None = None) -> RefusedError:
    return RefusedError([rules.Refusal(code, field)])


# --- helpers -------------------------------------------------------------------------------

def _flush(session: Session, deal: Deal | None = None) -> None:
    """Flush; a deal saved by someone else since it was loaded is a StaleObjectError."""
    deal_id = deal.id if deal is not None else None  # not readable after a failed flush
    try:
        session.flush()
    except StaleDataError as error:
        raise StaleObjectError(deal_id) from error


def _check_version(deal: Deal, version: int | None) -> None:
    if version is not None and deal.version != version:
        raise StaleObjectError(deal.id)


def _require_edit(actor: User | None, deal: Deal) -> None:
    permissions.require(actor, permissions.Action.EDIT, deal)


def _require_open(deal: Deal) -> None:
    if not deal.is_open:
        raise _refuse("deal_closed")


def _touch(deal: Deal) -> None:
    """Mark the deal changed now (bumps its version) and active (resets the stale clock)."""
    moment = clock.now()
    deal.updated_at = moment
    deal.last_activity_at = moment


def _text(value) -> str | None:
    """Return how a value is written in a history row."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "id"):
        return str(value.id)
    return str(value)


def _announce(deal: Deal, session: Session, actor: User | None, kind: HistoryKind,
              changes=(), note: str = "") -> None:
    signals.deal_changed.send(
        deal, session=session, actor=actor, kind=kind, at=clock.now(), note=note,
        changes=[(name, _text(old), _text(new)) for name, old, new in changes])


def _assign(obj, values: dict) -> list[tuple[str, object, object]]:
    """Set the attributes of values that differ; return (name, old, new) per change."""
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if isinstance(old, Decimal) and new is not None:
            new = Decimal(str(new))
        if old != new:
            setattr(obj, name, new)
            changes.append((name, old, new))
    return changes


def _check_choice(value, enum, field: str) -> None:
    if value is not None and value not in {item.value for item in enum}:
        raise _refuse("unknown_value", field)


def _check_money(value, field: str) -> None:
    if value is not None and Decimal(str(value)) < 0:
        raise _refuse("value_negative", field)


def _is_active_broker(user: User | None) -> bool:
    return permissions.is_broker(user)


# --- stages ----------------------------------------------------------------------------------

def get_stage(session: Session, key: str) -> DealStage:
    """Return the stage with key; raise NotFoundError if there is none."""
    stage = session.scalar(select(DealStage).where(DealStage.key == key))
    if stage is None:
        raise NotFoundError(key)
    return stage


@dataclass
class StageData:
    phase: str
    position: int
    name_zh: str
    name_en: str
    default_probability: int = 0
    stale_after_days: int | None = None
    requirements: tuple[str, ...] = ()
    is_active: bool = True


def save_stage(session: Session, key: str, data: StageData, *, actor: User) -> DealStage:
    """Create or change the stage key (operators only): rename it, move it, add a sub-step."""
    if not permissions.is_admin(actor):
        raise PermissionDeniedError(key)
    _check_choice(data.phase, Phase, "phase")
    for requirement in data.requirements:
        _check_choice(requirement, Requirement, "requirements")
    if not 0 <= data.default_probability <= 100:
        raise _refuse("probability_range", "default_probability")
    if not data.name_zh.strip() or not data.name_en.strip():
        raise _refuse("title_required", "name_zh")
    stage = session.scalar(select(DealStage).where(DealStage.key == key))
    if stage is None:
        stage = DealStage(key=key)
        session.add(stage)
    for item in fields(data):
        setattr(stage, item.name, getattr(data, item.name))
    stage.requirements = list(data.requirements)
    session.flush()
    return stage


# --- facts for the rules ----------------------------------------------------------------------

def may_see_confidential(viewer: User | None, deal: Deal, output: ResearchOutput | None = None,
                         *, today: date | None = None) -> bool:
    """Return whether viewer may read the confidential note of the deal's output.

    The institution, operators and the deal's brokers always may; the enterprise of the
    deal's need only while the deal's NDA is signed and unexpired; nobody else (including
    members of other enterprises, and anyone outside a deal).
    """
    output = output or deal.output
    if output is None or output.id != deal.output_id:
        return False
    return rules.may_see_confidential(
        is_output_side=permissions.member_of_institution(viewer, output.institution_id),
        is_staff=permissions.is_admin(viewer) or permissions.works_on_deal(viewer, deal),
        is_counterparty=permissions.member_of_enterprise(viewer, deal.enterprise_id),
        nda_status=deal.nda_status, nda_expires_on=deal.nda_expires_on,
        today=today or clock.today())


# --- listing status, owned by deals -----------------------------------------------------------

def _landing_deals_of(session: Session, column, listing_id: int, except_id: int) -> int:
    land_stage_ids = select(DealStage.id).where(
        DealStage.phase.in_([Phase.LAND, Phase.SERVE, Phase.SHOWCASE]))
    return session.scalar(select(func.count(Deal.id)).where(
        column == listing_id, Deal.id != except_id, Deal.is_open,
        Deal.stage_id.in_(land_stage_ids))) or 0


def _sync_listing_status(session: Session, deal: Deal, actor: User | None, *,
                         record: bool = True) -> None:
    """Set the deal's output and need statuses to what the deal now says (see module doc)."""
    stage = stage_def(deal.stage)
    signed = (deal.is_open and rules.is_landing_or_later(stage)
              and deal.contract is not None and deal_facts(deal).contract.is_complete)
    landing = deal.is_open and rules.is_landing_or_later(stage)
    for listing, column, (back, landing_status, done) in (
            (deal.output, Deal.output_id, (OutputStatus.PUBLISHED, OutputStatus.UNDER_NEGOTIATION,
                                           OutputStatus.TRANSFERRED)),
            (deal.need, Deal.need_id, (NeedStatus.PUBLISHED, NeedStatus.MATCHED,
                                       NeedStatus.SOLVED))):
        if listing is None:
            continue
        if signed:
            wanted = done
        elif landing:
            wanted = landing_status
        elif listing.status == landing_status and not _landing_deals_of(
                session, column, listing.id, deal.id):
            wanted = back
        else:
            continue
        old = listing.status
        if apply_deal_status(session, listing, wanted, deal_id=deal.id) and record:
            name = "output_status" if isinstance(listing, ResearchOutput) else "need_status"
            _announce(deal, session, actor, HistoryKind.FIELD, [(name, old, wanted)],
                      note="owner_told")


def sync_listing_statuses(session: Session, deal: Deal) -> None:
    """Re-apply the statuses the deal already set on its listings, without new history rows
    (the seed loader calls it after the listings' own loader reset them from their files)."""
    _sync_listing_status(session, deal, None, record=False)


# --- deals -----------------------------------------------------------------------------------

def get_deal(session: Session, deal_id: int, *, viewer: User | None) -> Deal:
    """Return the deal if viewer may see it; raise NotFoundError otherwise."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFoundError(deal_id)
    permissions.require(viewer, permissions.Action.VIEW, deal)
    return deal


def choose_owner(session: Session, chain_id: int | None) -> User | None:
    """Return the broker a new deal goes to: chain specialty, then lowest open load."""
    brokers = session.scalars(select(Broker).join(Broker.user).where(
        User.role == Role.BROKER, User.status == "active")).all()
    loads = open_loads(session)
    chosen = rules.choose_broker(
        (rules.BrokerLoad(b.user_id, frozenset(c.id for c in b.chains), loads.get(b.user_id, 0))
         for b in brokers), chain_id)
    return session.get(User, chosen) if chosen is not None else None


def _default_title(output: ResearchOutput | None, need: TechNeed | None) -> str:
    if output is not None and need is not None:
        return f"{output.title[:90]} → {need.enterprise.name}"[:200]
    return (output or need).title[:200]


def create_deal(session: Session, *, actor: User, next_step: str, next_step_due: date,
                output: ResearchOutput | None = None, need: TechNeed | None = None,
                owner: User | None = None, title: str = "", stage_key: str = StageKey.DISCOVERED,
                expected_value: Decimal | None = None, transfer_mode: str | None = None,
                match: StoredMatch | None = None, ref: str | None = None) -> Deal:
    """Open a deal on an output and/or a need (or on a stored match, with its snapshot).

    A broker owns what they create unless they name another broker; an operator names the
    owner or lets the platform choose (chain specialty, lowest open load).
    """
    if not permissions.may_create(actor, "deal"):
        raise PermissionDeniedError("deal")
    if match is not None:
        output, need = output or session.get(ResearchOutput, match.output_id), \
            need or session.get(TechNeed, match.need_id)
    if output is None and need is None:
        raise _refuse("listing_required", "output")
    for listing in (output, need):
        if listing is not None:
            permissions.require(actor, permissions.Action.VIEW, listing)
    if not next_step.strip() or next_step_due is None:
        raise _refuse("next_step_required", "next_step")
    _check_choice(transfer_mode, TransferMode, "transfer_mode")
    _check_money(expected_value, "expected_value")
    chain = (output.chain if output is not None and output.chain else
             need.chain if need is not None else None)
    if owner is None:
        owner = actor if permissions.is_broker(actor) else choose_owner(
            session, chain.id if chain else None)
    if not _is_active_broker(owner):
        raise _refuse("not_a_broker", "owner")
    stage = get_stage(session, stage_key)
    refusals = rules.check_start(stage_def(stage), (stage_def(s) for s in list_stages(session)))
    if refusals:
        raise RefusedError(refusals)
    moment = clock.now()
    deal = Deal(output=output, need=need, owner=owner, chain=chain, stage=stage, ref=ref,
                title=(title.strip() or _default_title(output, need))[:200],
                expected_value=expected_value, transfer_mode=transfer_mode,
                next_step=next_step.strip()[:300], next_step_due=next_step_due,
                reform_status=output.reform_status if output is not None else None,
                stage_entered_at=moment, last_activity_at=moment, created_at=moment,
                updated_at=moment)
    if match is not None:
        deal.match_score, deal.match_parts = match.score, dict(match.parts or {})
        deal.match_explanation = dict(match.explanation or {})
    session.add(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.CREATED, [("stage", None, stage.key)])
    _sync_listing_status(session, deal, actor)
    return deal


# What update_deal may change, and how each value is checked.
EDITABLE = {
    "title": None, "expected_value": "money", "probability": "percent",
    "transfer_mode": TransferMode, "ip_checked": bool, "team_willing": bool,
    "reform_status": ReformStatus, "price": "money", "payment_kind": PaymentKind,
    "terms_note": None, "showcase_material": None,
}


def _check_edit(name: str, value) -> None:
    check = EDITABLE.get(name, KeyError)
    if check is KeyError:
        raise ValueError(f"update_deal cannot change {name!r}")
    if check == "money":
        _check_money(value, name)
    elif check == "percent" and value is not None and not 0 <= int(value) <= 100:
        raise _refuse("probability_range", name)
    elif isinstance(check, type) and issubclass(check, (TransferMode, ReformStatus,
                                                        PaymentKind)):
        _check_choice(value, check, name)
    elif name == "title" and not (value or "").strip():
        raise _refuse("title_required", name)


def update_deal(session: Session, deal: Deal, *, actor: User, version: int | None,
                **changes) -> Deal:
    """Change the deal's fields (EDITABLE); one history row per field that changed.

    Raises StaleObjectError if the deal changed since version was read.
    """
    _require_edit(actor, deal)
    _check_version(deal, version)
    for name, value in changes.items():
        _check_edit(name, value)
    changed = _assign(deal, changes)
    if not changed:
        return deal
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.FIELD, changed)
    return deal


def move_deal(session: Session, deal: Deal, stage_key: str, *, actor: User, reason: str = "",
              lost_reason: str | None = None, version: int | None = None) -> Deal:
    """Move the deal to stage_key if the rules allow it; raise RefusedError saying why not."""
    _require_edit(actor, deal)
    _check_version(deal, version)
    target = session.scalar(select(DealStage).where(DealStage.key == stage_key))
    if target is None:
        raise _refuse("unknown_stage", "stage")
    _check_choice(lost_reason, LostReason, "lost_reason")
    source, goal = stage_def(deal.stage), stage_def(target)
    passed = rules.stages_between((stage_def(s) for s in list_stages(session)), source, goal)
    refusals = rules.check_move(deal_facts(deal), source, goal, reason=reason,
                                lost_reason=lost_reason, passed=passed)
    if refusals:
        raise RefusedError(refusals)
    old_key, moment = deal.stage.key, clock.now()
    deal.stage, deal.stage_entered_at = target, moment
    _touch(deal)
    changes = []
    if goal.is_lost:
        changes = _assign(deal, {"is_open": False, "lost_reason": lost_reason,
                                 "lost_note": reason.strip()})
    elif source.is_lost:
        changes = _assign(deal, {"is_open": True, "lost_reason": None})
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.STAGE, [("stage", old_key, target.key)],
              note=reason.strip())
    if changes:
        _announce(deal, session, actor, HistoryKind.FIELD,
                  [c for c in changes if c[0] == "lost_reason"])
    _sync_listing_status(session, deal, actor)
    return deal


def set_next_step(session: Session, deal: Deal, text: str, due: date, *, actor: User,
                  version: int | None = None) -> Deal:
    """Replace the deal's one next step and its due date."""
    _require_edit(actor, deal)
    _check_version(deal, version)
    if not text.strip() or due is None:
        raise _refuse("next_step_required", "next_step")
    changed = _assign(deal, {"next_step": text.strip()[:300], "next_step_due": due})
    if not changed:
        return deal
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.NEXT_STEP, changed)
    return deal


def snooze_deal(session: Session, deal: Deal, until: date | None, reason: str = "", *,
                actor: User) -> Deal:
    """Silence the stale flag until a date (inclusive) with a reason; None lifts it."""
    _require_edit(actor, deal)
    if until is not None and until <= clock.today():
        raise _refuse("snooze_in_past", "snoozed_until")
    if until is not None and not reason.strip():
        raise _refuse("reason_required", "snooze_reason")
    changed = _assign(deal, {"snoozed_until": until,
                             "snooze_reason": reason.strip()[:300] if until else ""})
    if not changed:
        return deal
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.SNOOZE,
              [c for c in changed if c[0] == "snoozed_until"], note=reason.strip())
    return deal


def add_activity(session: Session, deal: Deal, kind: str, body: str, *, actor: User,
                 happened_at: datetime | None = None) -> Activity:
    """Record a call, visit, meeting, e-mail or note (brokers) or a comment (all parties)."""
    _check_choice(kind, ActivityKind, "kind")
    action = (permissions.Action.COMMENT if kind == ActivityKind.COMMENT
              else permissions.Action.EDIT)
    permissions.require(actor, action, deal)
    if not body.strip():
        raise _refuse("text_required", "body")
    activity = Activity(deal_id=deal.id, kind=kind, author=actor, body=body.strip(),
                        happened_at=happened_at or clock.now(), created_at=clock.now())
    session.add(activity)
    _touch(deal)
    _flush(session, deal)
    history = HistoryKind.COMMENT if kind == ActivityKind.COMMENT else HistoryKind.ACTIVITY
    _announce(deal, session, actor, history, [(kind, None, body.strip()[:500])])
    return activity


def add_task(session: Session, deal: Deal, title: str, due_on: date | None, *, actor: User,
             assignee: User | None = None) -> DealTask:
    """Add a to-do with a due date to the deal."""
    _require_edit(actor, deal)
    if not title.strip():
        raise _refuse("title_required", "title")
    task = DealTask(deal_id=deal.id, title=title.strip()[:200], due_on=due_on,
                    assignee_id=(assignee or actor).id, created_by_id=actor.id,
                    created_at=clock.now())
    session.add(task)
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.TASK, [("task", None, task.title)],
              note=_text(due_on) or "")
    return task


def complete_task(session: Session, task: DealTask, *, actor: User) -> DealTask:
    """Mark a task done (once)."""
    deal = session.get(Deal, task.deal_id)
    _require_edit(actor, deal)
    if task.done_at is not None:
        return task
    task.done_at = clock.now()
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.TASK, [("done", False, True)], note=task.title)
    return task


# --- service tickets (after landing) --------------------------------------------------------

TICKET_FIELDS = ("title", "status", "due_on", "outcome", "financing_kind", "amount_raised")


def _check_ticket(kind: str, values: dict) -> None:
    _check_choice(kind, TicketKind, "kind")
    _check_choice(values.get("status"), TicketStatus, "status")
    _check_choice(values.get("financing_kind"), FinancingKind, "financing_kind")
    _check_money(values.get("amount_raised"), "amount_raised")
    if kind != TicketKind.FINANCING and (values.get("financing_kind")
                                         or values.get("amount_raised") is not None):
        raise _refuse("financing_only", "financing_kind")
    if "title" in values and not (values["title"] or "").strip():
        raise _refuse("title_required", "title")


def add_ticket(session: Session, deal: Deal, kind: str, title: str, *, actor: User,
               due_on: date | None = None, status: str = TicketStatus.OPEN, outcome: str = "",
               financing_kind: str | None = None,
               amount_raised: Decimal | None = None) -> ServiceTicket:
    """Open a service ticket (policy, registration, legal, IP, financing, …) on the deal."""
    _require_edit(actor, deal)
    values = {"title": title, "status": status, "due_on": due_on, "outcome": outcome,
              "financing_kind": financing_kind, "amount_raised": amount_raised}
    _check_ticket(kind, values)
    ticket = ServiceTicket(deal_id=deal.id, kind=kind, created_at=clock.now(),
                           **{**values, "title": title.strip()[:200]})
    if status in (TicketStatus.DONE, TicketStatus.CANCELLED):
        ticket.closed_at = clock.now()
    session.add(ticket)
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.TICKET, [("ticket", None, kind)],
              note=ticket.title)
    return ticket


def update_ticket(session: Session, ticket: ServiceTicket, *, actor: User,
                  **changes) -> ServiceTicket:
    """Change a ticket's fields (TICKET_FIELDS); one history row per changed field."""
    deal = session.get(Deal, ticket.deal_id)
    _require_edit(actor, deal)
    unknown = set(changes) - set(TICKET_FIELDS)
    if unknown:
        raise ValueError(f"update_ticket cannot change {sorted(unknown)}")
    _check_ticket(ticket.kind, {**changes})
    changed = _assign(ticket, changes)
    if not changed:
        return ticket
    if "status" in changes:
        closed = changes["status"] in (TicketStatus.DONE, TicketStatus.CANCELLED)
        ticket.closed_at = clock.now() if closed else None
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.TICKET, changed,
              note=f"#{ticket.id} {ticket.title}")
    return ticket


# --- NDA, contract, landing -----------------------------------------------------------------

def set_nda(session: Session, deal: Deal, status: str, *, actor: User,
            expires_on: date | None = None) -> Deal:
    """Record the deal's NDA status (none, sent, signed, expired) and expiry date."""
    _require_edit(actor, deal)
    _check_choice(status, NdaStatus, "nda_status")
    changed = _assign(deal, {"nda_status": status, "nda_expires_on": expires_on})
    if not changed:
        return deal
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.NDA, changed)
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
    _check_choice(data.contract_type, ContractType, "contract_type")
    _check_money(data.total_amount, "total_amount")
    _check_money(data.technical_amount, "technical_amount")
    if (data.total_amount is not None and data.technical_amount is not None
            and Decimal(str(data.technical_amount)) > Decimal(str(data.total_amount))):
        raise _refuse("amounts_order", "technical_amount")
    if data.term_start and data.term_end and data.term_start > data.term_end:
        raise _refuse("term_order", "term_end")


def save_contract(session: Session, deal: Deal, data: ContractData, *, actor: User,
                  version: int | None = None) -> Contract:
    """Create or change the deal's technology contract; one history row per changed field.

    A complete contract (amount, signing date, both parties) on a deal in the land phase or
    later transfers the output and solves the need.
    """
    _require_edit(actor, deal)
    _check_version(deal, version)
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
        changed = _assign(contract, values)
    if not changed:
        return contract
    contract.updated_at = clock.now()
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.CONTRACT, changed)
    _sync_listing_status(session, deal, actor)
    return contract


def mark_landed(session: Session, deal: Deal, *, actor: User, name: str, region: Region,
                landed_on: date, address: str = "", version: int | None = None) -> Deal:
    """Record where the deal landed: the company or project, its region and date.

    Local conversion (就地转化) is derived: the region lies in the home province. Moving
    the deal to "landed" is a separate move_deal, which needs these facts.
    """
    _require_edit(actor, deal)
    _check_version(deal, version)
    if not name.strip():
        raise _refuse("landing_name_missing", "landing_name")
    if region is None:
        raise _refuse("landing_location_missing", "landing_region")
    if landed_on is None:
        raise _refuse("landing_date_missing", "landed_on")
    changed = _assign(deal, {
        "landing_name": name.strip()[:120], "landing_region": region,
        "landing_address": address.strip()[:200], "landed_on": landed_on,
        "local_conversion": region.province == HOME_PROVINCE})
    if not changed:
        return deal
    _touch(deal)
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.FIELD, changed)
    return deal


# --- people on the deal ------------------------------------------------------------------------

def add_co_broker(session: Session, deal: Deal, broker: User, *, actor: User) -> Deal:
    """Let another broker work on the deal."""
    _require_edit(actor, deal)
    if not _is_active_broker(broker):
        raise _refuse("not_a_broker", "co_broker")
    if broker.id == deal.owner_id:
        raise _refuse("owner_cannot_be_co_broker", "co_broker")
    if broker.id in deal.co_broker_ids:
        raise _refuse("already_co_broker", "co_broker")
    deal.co_brokers.append(broker)
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.CO_BROKER, [("co_broker", None, broker.id)],
              note=broker.display_name)
    return deal


def remove_co_broker(session: Session, deal: Deal, broker: User, *, actor: User) -> Deal:
    """Take a co-broker off the deal."""
    _require_edit(actor, deal)
    if broker.id not in deal.co_broker_ids:
        raise _refuse("not_co_broker", "co_broker")
    # By id: User's == compares sign-in session tokens (flask-login's UserMixin).
    deal.co_brokers = [user for user in deal.co_brokers if user.id != broker.id]
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.CO_BROKER, [("co_broker", broker.id, None)],
              note=broker.display_name)
    return deal


def reassign_deal(session: Session, deal: Deal, owner: User, *, actor: User,
                  note: str = "") -> Deal:
    """Give the deal to another broker (operators only); a co-broker who takes it over
    stops being a co-broker."""
    if not permissions.is_admin(actor):
        permissions.require(actor, permissions.Action.VIEW, deal)
        raise PermissionDeniedError(deal.id)
    if not _is_active_broker(owner):
        raise _refuse("not_a_broker", "owner")
    if owner.id == deal.owner_id:
        return deal
    old = deal.owner
    if owner.id in deal.co_broker_ids:
        deal.co_brokers = [user for user in deal.co_brokers if user.id != owner.id]
    deal.owner = owner
    deal.updated_at = clock.now()
    _flush(session, deal)
    _announce(deal, session, actor, HistoryKind.ASSIGN, [("owner", old.id, owner.id)],
              note=note.strip())
    return deal


# --- introductions ------------------------------------------------------------------------------

def _introduction_broker(session: Session, need: TechNeed, output: ResearchOutput) -> User | None:
    """The broker already working on this need or output (newest open deal), else the chain's
    least loaded broker."""
    assigned = session.scalar(
        select(Deal).where(Deal.is_open, (Deal.need_id == need.id) | (Deal.output_id == output.id))
        .order_by((Deal.need_id == need.id).desc(), Deal.id.desc()).limit(1))
    if assigned is not None and _is_active_broker(assigned.owner):
        return assigned.owner
    chain = need.chain or output.chain
    return choose_owner(session, chain.id if chain else None)


def ask_introduction(session: Session, *, need: TechNeed, output: ResearchOutput, actor: User,
                     message: str = "") -> IntroductionRequest:
    """Ask a broker to introduce the other side of a match (enterprise or institution)."""
    if need is None or output is None:
        raise _refuse("pair_required", "output")
    if not (permissions.can(actor, permissions.Action.ASK_INTRODUCTION, need)
            or permissions.can(actor, permissions.Action.ASK_INTRODUCTION, output)):
        raise PermissionDeniedError("introduction")
    for listing in (need, output):
        permissions.require(actor, permissions.Action.VIEW, listing)
    waiting = session.scalar(select(IntroductionRequest).where(
        IntroductionRequest.need_id == need.id, IntroductionRequest.output_id == output.id,
        IntroductionRequest.requested_by_id == actor.id,
        IntroductionRequest.status == IntroductionStatus.PENDING))
    if waiting is not None:  # asking twice is one request
        return waiting
    broker = _introduction_broker(session, need, output)
    if broker is None:
        raise _refuse("no_broker", "broker")
    request = IntroductionRequest(need=need, output=output, requested_by=actor, broker=broker,
                                  message=message.strip(), created_at=clock.now())
    session.add(request)
    session.flush()
    signals.introduction_changed.send(request, session=session, change="requested")
    return request


def accept_introduction(session: Session, request: IntroductionRequest, *, actor: User,
                        next_step: str, next_step_due: date) -> Deal:
    """Accept the request: a deal on the pair at "introduced", owned by the broker it went to
    (or, when an operator accepts it, that broker)."""
    permissions.require(actor, permissions.Action.DECIDE, request)
    if request.status != IntroductionStatus.PENDING:
        raise _refuse("already_decided")
    owner = request.broker if _is_active_broker(request.broker) else None
    deal = create_deal(session, actor=actor, output=request.output, need=request.need,
                       owner=owner, stage_key=StageKey.INTRODUCED, next_step=next_step,
                       next_step_due=next_step_due)
    request.status, request.deal = IntroductionStatus.ACCEPTED, deal
    request.decided_at, request.decided_by_id = clock.now(), actor.id
    session.flush()
    if request.message:
        add_activity(session, deal, ActivityKind.NOTE, request.message, actor=actor)
    signals.introduction_changed.send(request, session=session, change="accepted")
    return deal


def decline_introduction(session: Session, request: IntroductionRequest, *, actor: User,
                         note: str) -> IntroductionRequest:
    """Decline the request with a reason the requester reads."""
    permissions.require(actor, permissions.Action.DECIDE, request)
    if request.status != IntroductionStatus.PENDING:
        raise _refuse("already_decided")
    if not note.strip():
        raise _refuse("reason_required", "note")
    request.status, request.decision_note = IntroductionStatus.DECLINED, note.strip()
    request.decided_at, request.decided_by_id = clock.now(), actor.id
    session.flush()
    signals.introduction_changed.send(request, session=session, change="declined")
    return request


def find_chain(session: Session, key: str) -> Chain | None:
    """Return the chain with key, or None."""
    return session.scalar(select(Chain).where(Chain.key == key))
