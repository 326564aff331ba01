"""Write deals: create, edit, move, follow up, co-brokers and introductions (NDA, contract,
landing and service tickets live in landing.py, the stages in stages.py, the reads in
queries.py; all are importable from here, the UI's one import place).

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
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.auth.models import Broker, User
from matchmaker.domain import (
    ActivityKind,
    HistoryKind,
    IntroductionStatus,
    LostReason,
    PaymentKind,
    ReformStatus,
    Role,
    StageKey,
    TransferMode,
)
from matchmaker.errors import (
    NotFoundError,
    PermissionDeniedError,
)
from matchmaker.pipeline import clock, rules, subscribers  # noqa: F401  (history rows)
from matchmaker.pipeline.landing import (  # noqa: F401  (one import place for the UI)
    TICKET_FIELDS,
    ContractData,
    add_ticket,
    mark_landed,
    save_contract,
    set_nda,
    update_ticket,
)
from matchmaker.pipeline.models import (
    Activity,
    Deal,
    DealTask,
    IntroductionRequest,
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
from matchmaker.pipeline.stages import (  # noqa: F401  (one import place for the UI)
    StageData,
    StageRow,
    add_stage,
    get_stage,
    list_stage_changes,
    move_stage,
    open_deal_counts,
    save_stage,
    stage_for_deal,
    stage_table,
    update_stage,
)
from matchmaker.pipeline.writing import (  # noqa: F401  (RefusedError: for callers too)
    RefusedError,
    announce,
    assign,
    check_choice,
    check_money,
    check_version,
    flush_deal,
    history_text,
    is_active_broker,
    refuse,
    require_edit,
    sync_listing_status,
    sync_listing_statuses,
    touch,
)
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import StoredMatch
from matchmaker.recommendations.services import stored_match_qualities

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
                match: StoredMatch | None = None, match_quality: float | None = None,
                ref: str | None = None) -> Deal:
    """Open a deal on an output and/or a need (or on a stored match, with its snapshot: raw
    score, parts, explanation and match quality; match_quality is the quality the broker was
    shown, by default the match's own in its list).

    A broker owns what they create unless they name another broker; an operator names the
    owner or lets the platform choose (chain specialty, lowest open load).
    """
    if not permissions.may_create(actor, "deal"):
        raise PermissionDeniedError("deal")
    if match is not None:
        output, need = output or session.get(ResearchOutput, match.output_id), \
            need or session.get(TechNeed, match.need_id)
    if output is None and need is None:
        raise refuse("listing_required", "output")
    for listing in (output, need):
        if listing is not None:
            permissions.require(actor, permissions.Action.VIEW, listing)
    if not next_step.strip() or next_step_due is None:
        raise refuse("next_step_required", "next_step")
    check_choice(transfer_mode, TransferMode, "transfer_mode")
    check_money(expected_value, "expected_value")
    chain = (output.chain if output is not None and output.chain else
             need.chain if need is not None else None)
    if owner is None:
        owner = actor if permissions.is_broker(actor) else choose_owner(
            session, chain.id if chain else None)
    if not is_active_broker(owner):
        raise refuse("not_a_broker", "owner")
    stage = stage_for_deal(session, stage_key)
    if stage is None:
        raise NotFoundError(stage_key)
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
        deal.match_quality = (stored_match_qualities(session, [match])[match.id]
                              if match_quality is None else match_quality)
    session.add(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.CREATED, [("stage", None, stage.key)])
    sync_listing_status(session, deal, actor)
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
        check_money(value, name)
    elif check == "percent" and value is not None and not 0 <= int(value) <= 100:
        raise refuse("probability_range", name)
    elif isinstance(check, type) and issubclass(check, (TransferMode, ReformStatus,
                                                        PaymentKind)):
        check_choice(value, check, name)
    elif name == "title" and not (value or "").strip():
        raise refuse("title_required", name)


def update_deal(session: Session, deal: Deal, *, actor: User, version: int | None,
                **changes) -> Deal:
    """Change the deal's fields (EDITABLE); one history row per field that changed.

    Raises StaleObjectError if the deal changed since version was read.
    """
    require_edit(actor, deal)
    check_version(deal, version)
    for name, value in changes.items():
        _check_edit(name, value)
    changed = assign(deal, changes)
    if not changed:
        return deal
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.FIELD, changed)
    return deal


def move_deal(session: Session, deal: Deal, stage_key: str, *, actor: User, reason: str = "",
              lost_reason: str | None = None, version: int | None = None) -> Deal:
    """Move the deal to stage_key if the rules allow it; raise RefusedError saying why not."""
    require_edit(actor, deal)
    check_version(deal, version)
    target = stage_for_deal(session, stage_key)
    if target is None:
        raise refuse("unknown_stage", "stage")
    check_choice(lost_reason, LostReason, "lost_reason")
    source, goal = stage_def(deal.stage), stage_def(target)
    passed = rules.stages_between((stage_def(s) for s in list_stages(session)), source, goal)
    refusals = rules.check_move(deal_facts(deal), source, goal, reason=reason,
                                lost_reason=lost_reason, passed=passed)
    if refusals:
        raise RefusedError(refusals)
    old_key, moment = deal.stage.key, clock.now()
    deal.stage, deal.stage_entered_at = target, moment
    touch(deal)
    changes = []
    if goal.is_lost:
        changes = assign(deal, {"is_open": False, "lost_reason": lost_reason,
                                 "lost_note": reason.strip()})
    elif source.is_lost:
        changes = assign(deal, {"is_open": True, "lost_reason": None})
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.STAGE, [("stage", old_key, target.key)],
             note=reason.strip())
    if changes:
        announce(deal, session, actor, HistoryKind.FIELD,
                 [c for c in changes if c[0] == "lost_reason"])
    sync_listing_status(session, deal, actor)
    return deal


def set_next_step(session: Session, deal: Deal, text: str, due: date, *, actor: User,
                  version: int | None = None) -> Deal:
    """Replace the deal's one next step and its due date."""
    require_edit(actor, deal)
    check_version(deal, version)
    if not text.strip() or due is None:
        raise refuse("next_step_required", "next_step")
    changed = assign(deal, {"next_step": text.strip()[:300], "next_step_due": due})
    if not changed:
        return deal
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.NEXT_STEP, changed)
    return deal


def snooze_deal(session: Session, deal: Deal, until: date | None, reason: str = "", *,
                actor: User) -> Deal:
    """Silence the stale flag until a date (inclusive) with a reason; None lifts it."""
    require_edit(actor, deal)
    if until is not None and until <= clock.today():
        raise refuse("snooze_in_past", "snoozed_until")
    if until is not None and not reason.strip():
        raise refuse("reason_required", "snooze_reason")
    changed = assign(deal, {"snoozed_until": until,
                             "snooze_reason": reason.strip()[:300] if until else ""})
    if not changed:
        return deal
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.SNOOZE,
             [c for c in changed if c[0] == "snoozed_until"], note=reason.strip())
    return deal


def add_activity(session: Session, deal: Deal, kind: str, body: str, *, actor: User,
                 happened_at: datetime | None = None) -> Activity:
    """Record a call, visit, meeting, e-mail or note (brokers) or a comment (all parties)."""
    check_choice(kind, ActivityKind, "kind")
    action = (permissions.Action.COMMENT if kind == ActivityKind.COMMENT
              else permissions.Action.EDIT)
    permissions.require(actor, action, deal)
    if not body.strip():
        raise refuse("text_required", "body")
    activity = Activity(deal_id=deal.id, kind=kind, author=actor, body=body.strip(),
                        happened_at=happened_at or clock.now(), created_at=clock.now())
    session.add(activity)
    touch(deal)
    flush_deal(session, deal)
    history = HistoryKind.COMMENT if kind == ActivityKind.COMMENT else HistoryKind.ACTIVITY
    announce(deal, session, actor, history, [(kind, None, body.strip()[:500])])
    return activity


def add_task(session: Session, deal: Deal, title: str, due_on: date | None, *, actor: User,
             assignee: User | None = None) -> DealTask:
    """Add a to-do with a due date to the deal."""
    require_edit(actor, deal)
    if not title.strip():
        raise refuse("title_required", "title")
    task = DealTask(deal_id=deal.id, title=title.strip()[:200], due_on=due_on,
                    assignee_id=(assignee or actor).id, created_by_id=actor.id,
                    created_at=clock.now())
    session.add(task)
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.TASK, [("task", None, task.title)],
             note=history_text(due_on) or "")
    return task


def complete_task(session: Session, task: DealTask, *, actor: User) -> DealTask:
    """Mark a task done (once)."""
    deal = session.get(Deal, task.deal_id)
    require_edit(actor, deal)
    if task.done_at is not None:
        return task
    task.done_at = clock.now()
    touch(deal)
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.TASK, [("done", False, True)], note=task.title)
    return task


# --- people on the deal ------------------------------------------------------------------------

def add_co_broker(session: Session, deal: Deal, broker: User, *, actor: User) -> Deal:
    """Let another broker work on the deal."""
    require_edit(actor, deal)
    if not is_active_broker(broker):
        raise refuse("not_a_broker", "co_broker")
    if broker.id == deal.owner_id:
        raise refuse("owner_cannot_be_co_broker", "co_broker")
    if broker.id in deal.co_broker_ids:
        raise refuse("already_co_broker", "co_broker")
    deal.co_brokers.append(broker)
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.CO_BROKER, [("co_broker", None, broker.id)],
             note=broker.display_name)
    return deal


def remove_co_broker(session: Session, deal: Deal, broker: User, *, actor: User) -> Deal:
    """Take a co-broker off the deal."""
    require_edit(actor, deal)
    if broker.id not in deal.co_broker_ids:
        raise refuse("not_co_broker", "co_broker")
    # By id: User's == compares sign-in session tokens (flask-login's UserMixin).
    deal.co_brokers = [user for user in deal.co_brokers if user.id != broker.id]
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.CO_BROKER, [("co_broker", broker.id, None)],
             note=broker.display_name)
    return deal


def reassign_deal(session: Session, deal: Deal, owner: User, *, actor: User,
                  note: str = "", version: int | None = None) -> Deal:
    """Give the deal to another broker (operators only); a co-broker who takes it over
    stops being a co-broker.

    Raises StaleObjectError if the deal changed since version was read.
    """
    permissions.require(actor, permissions.Action.REASSIGN, deal)
    check_version(deal, version)
    if not is_active_broker(owner):
        raise refuse("not_a_broker", "owner")
    if owner.id == deal.owner_id:
        return deal
    old = deal.owner
    if owner.id in deal.co_broker_ids:
        deal.co_brokers = [user for user in deal.co_brokers if user.id != owner.id]
    deal.owner = owner
    deal.updated_at = clock.now()
    flush_deal(session, deal)
    announce(deal, session, actor, HistoryKind.ASSIGN, [("owner", old.id, owner.id)],
             note=note.strip())
    return deal


# --- introductions ------------------------------------------------------------------------------

def _introduction_broker(session: Session, need: TechNeed, output: ResearchOutput) -> User | None:
    """The broker already working on this need or output (newest open deal), else the chain's
    least loaded broker."""
    assigned = session.scalar(
        select(Deal).where(Deal.is_open, (Deal.need_id == need.id) | (Deal.output_id == output.id))
        .order_by((Deal.need_id == need.id).desc(), Deal.id.desc()).limit(1))
    if assigned is not None and is_active_broker(assigned.owner):
        return assigned.owner
    chain = need.chain or output.chain
    return choose_owner(session, chain.id if chain else None)


def ask_introduction(session: Session, *, need: TechNeed, output: ResearchOutput, actor: User,
                     message: str = "") -> IntroductionRequest:
    """Ask a broker to introduce the other side of a match (enterprise or institution)."""
    if need is None or output is None:
        raise refuse("pair_required", "output")
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
        raise refuse("no_broker", "broker")
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
        raise refuse("already_decided")
    owner = request.broker if is_active_broker(request.broker) else None
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
        raise refuse("already_decided")
    if not note.strip():
        raise refuse("reason_required", "note")
    request.status, request.decision_note = IntroductionStatus.DECLINED, note.strip()
    request.decided_at, request.decided_by_id = clock.now(), actor.id
    session.flush()
    signals.introduction_changed.send(request, session=session, change="declined")
    return request

