"""Read deals: who sees which (the SQL twin of permissions.py), the list filters, the board's
columns, the broker's today page and the operators' figures. Nothing here writes."""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.domain import HistoryKind, IntroductionStatus, Phase, Role, StageKey
from matchmaker.errors import PermissionDeniedError
from matchmaker.pipeline import clock, rules
from matchmaker.pipeline.models import (
    Activity,
    Contract,
    Deal,
    DealHistory,
    DealStage,
    DealTask,
    IntroductionRequest,
    ServiceTicket,
    deal_co_brokers,
)
from matchmaker.profiles.models import ResearchOutput, TechNeed


def counted_contract():
    """The condition (on Contract joined to its Deal) of a contract the platform counts, on the
    dashboard as on the rankings: signed (an amount above zero, a signing date and both
    parties, as rules.ContractFacts.is_complete) on a deal not marked lost (it fell through)."""
    return and_(Deal.is_open, Contract.total_amount > 0, Contract.signed_on.is_not(None),
                func.trim(Contract.seller_name) != "", func.trim(Contract.buyer_name) != "")


def held_landing():
    """The condition of a deal whose landing counts: a named landing with its date, on a deal
    not marked lost (the landing did not hold)."""
    return and_(Deal.is_open, Deal.landed_on.is_not(None), Deal.landing_name != "")


def list_stages(session: Session, *, active_only: bool = True) -> list[DealStage]:
    """Return the stages in board order (lost last)."""
    stmt = select(DealStage).order_by(DealStage.position, DealStage.id)
    if active_only:
        stmt = stmt.where(DealStage.is_active)
    return list(session.scalars(stmt))


def stage_def(stage: DealStage) -> rules.StageDef:
    """Return the rules' view of a stage row."""
    return rules.StageDef(key=stage.key, phase=Phase(stage.phase), position=stage.position,
                          default_probability=stage.default_probability,
                          stale_after_days=stage.stale_after_days,
                          requirements=tuple(stage.requirements), is_active=stage.is_active)


def visible_condition(viewer):
    """Return the SQL condition of the deals viewer may see (permissions._deal, as SQL)."""
    role = permissions.role_of(viewer)
    if role == Role.ADMIN:
        return true()
    if role == Role.BROKER:
        co_owned = select(deal_co_brokers.c.deal_id).where(deal_co_brokers.c.user_id == viewer.id)
        return or_(Deal.owner_id == viewer.id, Deal.id.in_(co_owned))
    if role == Role.INSTITUTION and viewer.institution_id is not None:
        return Deal.output_id.in_(select(ResearchOutput.id).where(
            ResearchOutput.institution_id == viewer.institution_id))
    if role == Role.ENTERPRISE and viewer.enterprise_id is not None:
        return Deal.need_id.in_(select(TechNeed.id).where(
            TechNeed.enterprise_id == viewer.enterprise_id))
    return false()


@dataclass
class DealFilters:
    chain: str = ""  # chain key
    stage: str = ""  # stage key
    phase: str = ""
    owner_id: int | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    overdue: bool = False
    stale: bool = False
    include_lost: bool = False  # lost deals are left out unless asked for (or stage=lost)
    q: str = ""


def _stale_condition(stages: Sequence[DealStage], today: date):
    """Open deals idle longer than their stage allows and not snoozed (rules.is_stale)."""
    per_stage = [and_(Deal.stage_id == s.id, Deal.last_activity_at < clock.start_of_business_day(
        today - timedelta(days=s.stale_after_days)))
        for s in stages if s.stale_after_days is not None]
    if not per_stage:
        return false()
    return and_(Deal.is_open, or_(*per_stage),
                or_(Deal.snoozed_until.is_(None), Deal.snoozed_until < today))


def list_deals_query(viewer, filters: DealFilters | None = None, *,
                     stages: Sequence[DealStage] = (), today: date | None = None) -> Select:
    """Return a SELECT of the deals viewer may see that match filters, most urgent first.

    stages: the stage rows (list_stages), needed for the stale filter.
    """
    filters = filters or DealFilters()
    today = today or clock.today()
    stmt = select(Deal).where(visible_condition(viewer))
    if filters.chain:
        stmt = stmt.where(Deal.chain_id.in_(select(Chain.id).where(Chain.key == filters.chain)))
    if filters.stage:
        stmt = stmt.where(Deal.stage_id.in_(select(DealStage.id).where(
            DealStage.key == filters.stage)))
    elif not filters.include_lost:
        stmt = stmt.where(Deal.is_open)
    if filters.phase:
        stmt = stmt.where(Deal.stage_id.in_(select(DealStage.id).where(
            DealStage.phase == filters.phase)))
    if filters.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == filters.owner_id)
    if filters.value_min is not None:
        stmt = stmt.where(Deal.expected_value >= filters.value_min)
    if filters.value_max is not None:
        stmt = stmt.where(Deal.expected_value <= filters.value_max)
    if filters.overdue:
        stmt = stmt.where(Deal.is_open, Deal.next_step_due < today)
    if filters.stale:
        if not stages:
            raise ValueError("the stale filter needs the stage rows (list_stages)")
        stmt = stmt.where(_stale_condition(stages, today))
    if filters.q.strip():
        stmt = stmt.where(Deal.title.contains(filters.q.strip()[:100], autoescape=True))
    return stmt.order_by(Deal.next_step_due.asc().nulls_last(), Deal.id)


def deal_facts(deal: Deal) -> rules.DealFacts:
    """Return the rules' view of deal."""
    contract = deal.contract
    return rules.DealFacts(
        stage_key=deal.stage.key if deal.stage else "",
        ip_checked=deal.ip_checked, team_willing=deal.team_willing,
        reform_status=deal.reform_status, transfer_mode=deal.transfer_mode, price=deal.price,
        payment_kind=deal.payment_kind,
        contract=None if contract is None else rules.ContractFacts(
            contract.total_amount, contract.signed_on, contract.seller_name,
            contract.buyer_name),
        landing_name=deal.landing_name,
        landing_region=deal.landing_region.name if deal.landing_region else None,
        landed_on=deal.landed_on, showcase_material=deal.showcase_material,
        is_open=deal.is_open, value=deal.expected_value, probability=deal.probability,
        next_step_due=deal.next_step_due,
        last_activity_on=clock.business_date(deal.last_activity_at)
        if deal.last_activity_at else None,
        snoozed_until=deal.snoozed_until)


def deal_flags(deal: Deal, today: date | None = None) -> tuple[bool, bool]:
    """Return (overdue, stale) for the deal on today."""
    today = today or clock.today()
    facts = deal_facts(deal)
    return rules.is_overdue(facts, today), rules.is_stale(facts, stage_def(deal.stage), today)


# --- one deal's page --------------------------------------------------------------------------

def list_history(session: Session, deal: Deal) -> list[DealHistory]:
    """Return the deal's history rows, newest first (its timeline)."""
    return list(session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)
                                .order_by(DealHistory.at.desc(), DealHistory.id.desc())))


def list_activities(session: Session, deal: Deal) -> list[Activity]:
    """Return the deal's activities and comments, newest first."""
    return list(session.scalars(select(Activity).where(Activity.deal_id == deal.id)
                                .order_by(Activity.happened_at.desc(), Activity.id.desc())))


def list_tasks(session: Session, deal: Deal) -> list[DealTask]:
    """Return the deal's tasks: open ones by due date first, then the done ones."""
    return list(session.scalars(select(DealTask).where(DealTask.deal_id == deal.id).order_by(
        DealTask.done_at.is_not(None), DealTask.due_on.asc().nulls_last(), DealTask.id)))


def list_tickets(session: Session, deal: Deal) -> list[ServiceTicket]:
    """Return the deal's service tickets in the order they were opened."""
    return list(session.scalars(select(ServiceTicket).where(ServiceTicket.deal_id == deal.id)
                                .order_by(ServiceTicket.id)))


def list_introductions(session: Session, viewer, *, pending_only: bool = False
                       ) -> list[IntroductionRequest]:
    """Return the introduction requests viewer may see (permissions._introduction in SQL):
    an operator all, a broker those sent to them, anyone those they asked; newest first."""
    role = permissions.role_of(viewer)
    stmt = select(IntroductionRequest)
    if role is None:
        return []
    if role == Role.BROKER:
        stmt = stmt.where(or_(IntroductionRequest.broker_id == viewer.id,
                              IntroductionRequest.requested_by_id == viewer.id))
    elif role != Role.ADMIN:
        stmt = stmt.where(IntroductionRequest.requested_by_id == viewer.id)
    if pending_only:
        stmt = stmt.where(IntroductionRequest.status == IntroductionStatus.PENDING)
    return list(session.scalars(stmt.order_by(IntroductionRequest.created_at.desc(),
                                              IntroductionRequest.id.desc())))


# --- the board --------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardColumn:
    stage: DealStage
    count: int
    value: Decimal
    expected_value: Decimal


def board_summary(session: Session, viewer, filters: DealFilters | None = None) -> list[BoardColumn]:
    """Return per stage the count, value and expected value (value × probability) of the
    deals viewer sees (filters apply; lost deals only with include_lost)."""
    stages = list_stages(session)
    deals = list_deals_query(viewer, filters, stages=stages).order_by(None).subquery()
    probability = func.coalesce(deals.c.probability, DealStage.default_probability)
    value = func.coalesce(deals.c.expected_value, 0)
    rows = session.execute(
        select(deals.c.stage_id, func.count(), func.sum(value), func.sum(value * probability))
        .join(DealStage, DealStage.id == deals.c.stage_id).group_by(deals.c.stage_id)).all()
    totals = {stage_id: (count, total, weighted) for stage_id, count, total, weighted in rows}
    columns = []
    for stage in stages:
        count, total, weighted = totals.get(stage.id, (0, 0, 0))
        columns.append(BoardColumn(
            stage, count, Decimal(str(total or 0)).quantize(Decimal("0.01")),
            (Decimal(str(weighted or 0)) / 100).quantize(Decimal("0.01"))))
    return columns


# --- today ------------------------------------------------------------------------------------

@dataclass
class Today:
    day: date
    due: list[Deal] = field(default_factory=list)  # next step due today
    overdue: list[Deal] = field(default_factory=list)  # next step past due, oldest first
    stale: list[Deal] = field(default_factory=list)  # idle too long, not snoozed
    tasks: list[DealTask] = field(default_factory=list)  # open tasks due today or earlier
    # How many there are in all (the lists stop at the limit).
    counts: dict[str, int] = field(default_factory=dict)


def today_lists(session: Session, viewer, today: date | None = None, *,
                limit: int = 50) -> Today:
    """Return what is due, overdue or stale among the open deals viewer sees: the first
    `limit` of each (most urgent first) and how many there are."""
    today = today or clock.today()
    stages = list_stages(session, active_only=False)
    mine = visible_condition(viewer)
    base = select(Deal).where(mine, Deal.is_open)
    conditions = {"due": Deal.next_step_due == today, "overdue": Deal.next_step_due < today,
                  "stale": _stale_condition(stages, today)}
    result = Today(today)
    for name, condition in conditions.items():
        stmt = base.where(condition)
        order = (Deal.last_activity_at, Deal.id) if name == "stale" else (Deal.next_step_due,
                                                                          Deal.id)
        setattr(result, name, list(session.scalars(stmt.order_by(*order).limit(limit))))
        result.counts[name] = session.scalar(
            stmt.with_only_columns(func.count(Deal.id)).order_by(None))
    task_filter = [DealTask.done_at.is_(None), DealTask.due_on <= today,
                   DealTask.deal_id.in_(select(Deal.id).where(mine, Deal.is_open))]
    if permissions.role_of(viewer) == Role.BROKER:
        task_filter.append(DealTask.assignee_id == viewer.id)
    tasks = select(DealTask).where(*task_filter)
    result.tasks = list(session.scalars(tasks.order_by(DealTask.due_on, DealTask.id)
                                        .limit(limit)))
    result.counts["tasks"] = session.scalar(
        tasks.with_only_columns(func.count(DealTask.id)).order_by(None))
    return result


# --- operators' figures -------------------------------------------------------------------------

def open_loads(session: Session) -> dict[int, int]:
    """Return each owner's number of open deals (user id → count)."""
    rows = session.execute(select(Deal.owner_id, func.count()).where(Deal.is_open)
                           .group_by(Deal.owner_id)).all()
    return dict(rows)


@dataclass(frozen=True)
class BrokerLoadRow:
    user: User
    open_deals: int
    value: Decimal
    overdue: int


@dataclass
class OperatorFigures:
    funnel: list[tuple[DealStage, int]]  # deals that reached each stage (or a later one)
    total: int
    converted: int  # reached contract signed or later
    conversion_rate: float
    median_days: dict[str, float | None]  # stage key → median days spent there
    loads: list[BrokerLoadRow]


def _stage_paths(session: Session) -> dict[int, list[tuple[str, object]]]:
    rows = session.execute(
        select(DealHistory.deal_id, DealHistory.new_value, DealHistory.at)
        .where(DealHistory.kind.in_([HistoryKind.CREATED, HistoryKind.STAGE]),
               DealHistory.field == "stage")
        .order_by(DealHistory.deal_id, DealHistory.at, DealHistory.id)).all()
    paths: dict[int, list] = defaultdict(list)
    for deal_id, key, at in rows:
        paths[deal_id].append((key, at))
    return paths


def operator_figures(session: Session, *, actor, today: date | None = None) -> OperatorFigures:
    """Return the funnel by stage, conversion rate, median days per stage and broker loads."""
    if not permissions.is_admin(actor):
        raise PermissionDeniedError("operator figures")
    today = today or clock.today()
    stages = [s for s in list_stages(session) if s.phase != Phase.LOST]
    # Lost is no step of the chain: a lost deal counts up to the furthest stage it reached.
    position = {s.key: s.position for s in list_stages(session, active_only=False)
                if s.phase != Phase.LOST}
    paths = _stage_paths(session)
    furthest = [max((position.get(key, -1) for key, _ in path), default=-1)
                for path in paths.values()]
    counts = rules.funnel(furthest, [s.position for s in stages])
    signed = position.get(StageKey.CONTRACT_SIGNED)
    converted = sum(1 for f in furthest if signed is not None and f >= signed)
    durations: dict[str, list[float]] = defaultdict(list)
    for path in paths.values():
        for key, days in rules.stage_durations(path):
            durations[key].append(days)
    return OperatorFigures(
        funnel=list(zip(stages, counts, strict=True)), total=len(paths), converted=converted,
        conversion_rate=rules.conversion_rate(len(paths), converted),
        median_days={s.key: rules.median_days(durations.get(s.key, ())) for s in stages},
        loads=_broker_loads(session, today))


def _broker_loads(session: Session, today: date) -> list[BrokerLoadRow]:
    overdue = case((Deal.next_step_due < today, 1), else_=0)
    rows = session.execute(
        select(User.id, func.count(Deal.id), func.coalesce(func.sum(Deal.expected_value), 0),
               func.coalesce(func.sum(overdue), 0))
        .join(Deal, and_(Deal.owner_id == User.id, Deal.is_open), isouter=True)
        .where(User.role == Role.BROKER).group_by(User.id)
        .order_by(func.count(Deal.id).desc(), User.id)).all()
    users = {u.id: u for u in session.scalars(select(User).where(User.role == Role.BROKER))}
    return [BrokerLoadRow(users[user_id], count, Decimal(str(value)), int(late))
            for user_id, count, value, late in rows]
