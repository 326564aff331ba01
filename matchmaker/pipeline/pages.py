"""Reads the pipeline's pages need beyond services/queries: board cards, the moves a deal page
offers, the timeline, the today page with its limits, introductions, role home pages.

Nothing here writes. Kept apart from services.py and queries.py (owned by the pipeline core)
so that the pages can grow without touching them.
"""
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, defaultload, joinedload, lazyload, selectinload

from matchmaker import permissions
from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus, IntroductionStatus, Phase, Role, Side
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.pipeline import clock, rules
from matchmaker.pipeline.labels import refusal_message
from matchmaker.pipeline.models import (
    Deal,
    DealHistory,
    DealStage,
    DealTask,
    IntroductionRequest,
    ServiceTicket,
)
from matchmaker.pipeline.queries import (
    DealFilters,
    deal_facts,
    list_deals_query,
    list_stages,
    stage_def,
    visible_condition,
)
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import seen
from matchmaker.recommendations.models import MatchGeneration, MatchSet, StoredMatch
from matchmaker.recommendations.services import stored_match_qualities

CARDS_PER_COLUMN = 40  # the board shows the most urgent; the list view shows them all
TODAY_LIMIT = 50  # per section of the today page


def with_parties(stmt: Select) -> Select:
    """Load what a deal card shows (the two organisations' names) in the same query, and not
    what it does not show: patents and modes (a query each), the listings' chains, segments
    and regions and the owner's organisation (wide joins). The stage, chain and owner rows a
    card names are few and come from the session once loaded."""
    return stmt.options(
        joinedload(Deal.output).options(
            joinedload(ResearchOutput.institution).lazyload(Institution.region),
            *(lazyload(getattr(ResearchOutput, name))
              for name in ("chain", "segment", "patents", "mode_rows"))),
        joinedload(Deal.need).options(
            joinedload(TechNeed.enterprise).lazyload(Enterprise.region),
            *(lazyload(getattr(TechNeed, name))
              for name in ("chain", "segment", "region", "mode_rows"))),
        joinedload(Deal.owner).options(lazyload(User.institution), lazyload(User.enterprise)),
        lazyload(Deal.chain), lazyload(Deal.stage), lazyload(Deal.co_brokers),
        lazyload(Deal.contract))


# --- flags --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flags:
    overdue: bool
    stale: bool


def card_flags(deal: Deal, stages: dict[int, rules.StageDef], today: date) -> Flags:
    """Return the overdue and stale flags of deal (without loading its contract or region)."""
    facts = rules.DealFacts(
        is_open=deal.is_open, next_step_due=deal.next_step_due,
        last_activity_on=clock.business_date(deal.last_activity_at)
        if deal.last_activity_at else None, snoozed_until=deal.snoozed_until)
    return Flags(rules.is_overdue(facts, today),
                 rules.is_stale(facts, stages[deal.stage_id], today))


def stage_defs(stages: Sequence[DealStage]) -> dict[int, rules.StageDef]:
    """Return the rules' view of each stage row by id."""
    return {stage.id: stage_def(stage) for stage in stages}


# --- the board -----------------------------------------------------------------------------

@dataclass
class BoardCards:
    cards: dict[int, list[Deal]]  # stage id → the first CARDS_PER_COLUMN deals
    flags: dict[int, Flags]  # deal id → flags


def board_cards(session: Session, viewer, filters: DealFilters,
                stages: Sequence[DealStage], *, limit: int = CARDS_PER_COLUMN) -> BoardCards:
    """Return the first `limit` cards of each column, most urgent first (two queries: the
    ids by a window function per stage, then the deals)."""
    defs = stage_defs(list_stages(session, active_only=False))
    today = clock.today()
    rank = func.row_number().over(
        partition_by=Deal.stage_id,
        order_by=(Deal.next_step_due.asc().nulls_last(), Deal.id)).label("rank")
    ranked = (list_deals_query(viewer, filters, stages=stages, today=today)
              .where(Deal.stage_id.in_([s.id for s in stages]))
              .with_only_columns(Deal.id, rank).order_by(None).subquery())
    ids = select(ranked.c.id).where(ranked.c.rank <= limit)
    deals = session.scalars(with_parties(select(Deal).where(Deal.id.in_(ids))).order_by(
        Deal.next_step_due.asc().nulls_last(), Deal.id)).unique()
    cards: dict[int, list[Deal]] = {stage.id: [] for stage in stages}
    for deal in deals:
        cards[deal.stage_id].append(deal)
    flags = {deal.id: card_flags(deal, defs, today)
             for column in cards.values() for deal in column}
    return BoardCards(cards, flags)


def board_stages(session: Session) -> list[DealStage]:
    """Return the board's columns: every active stage but lost (a lost deal leaves the board;
    it is moved there from its page, where the reason is asked)."""
    return [s for s in list_stages(session) if s.phase != Phase.LOST]


# --- moves a deal page offers ----------------------------------------------------------------

@dataclass(frozen=True)
class MoveOption:
    stage: DealStage
    kind: str  # "forward", "back", "lost", "reopen"
    blockers: tuple[str, ...]  # what is missing before the move (messages), [] when possible


def move_options(session: Session, deal: Deal) -> list[MoveOption]:
    """Return every stage the deal could move to, with what stands in the way of each.

    A reason (and a lost reason) is asked by the form, so it is not counted as missing here.
    """
    stages = list_stages(session)
    defs = [stage_def(s) for s in stages]
    source = stage_def(deal.stage)
    facts = deal_facts(deal)
    options = []
    for stage, goal in zip(stages, defs, strict=True):
        if stage.id == deal.stage_id:
            continue
        passed = rules.stages_between(defs, source, goal)
        refusals = rules.check_move(facts, source, goal, reason="-", lost_reason="other",
                                    passed=passed)
        kind = ("lost" if goal.is_lost else "reopen" if source.is_lost
                else "forward" if rules.is_forward(source, goal) else "back")
        options.append(MoveOption(stage, kind,
                                  tuple(str(refusal_message(r.code)) for r in refusals)))
    return options


# --- a deal's page ---------------------------------------------------------------------------

def timeline(session: Session, deal: Deal) -> list[DealHistory]:
    """Return the deal's history, newest first (activities are history rows too)."""
    return list(session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)
                                .order_by(DealHistory.at.desc(), DealHistory.id.desc())))


def deal_tasks(session: Session, deal: Deal) -> list[DealTask]:
    """Return the deal's tasks: open ones first by due date, then the done ones."""
    return list(session.scalars(select(DealTask).where(DealTask.deal_id == deal.id).order_by(
        DealTask.done_at.is_not(None), DealTask.due_on.nulls_last(), DealTask.id)))


def deal_tickets(session: Session, deal: Deal) -> list[ServiceTicket]:
    """Return the deal's service tickets, oldest first."""
    return list(session.scalars(select(ServiceTicket).where(ServiceTicket.deal_id == deal.id)
                                .order_by(ServiceTicket.id)))


def get_task(session: Session, deal: Deal, task_id: int) -> DealTask | None:
    """Return the deal's task with task_id, or None."""
    task = session.get(DealTask, task_id)
    return task if task is not None and task.deal_id == deal.id else None


def get_ticket(session: Session, deal: Deal, ticket_id: int) -> ServiceTicket | None:
    """Return the deal's ticket with ticket_id, or None."""
    ticket = session.get(ServiceTicket, ticket_id)
    return ticket if ticket is not None and ticket.deal_id == deal.id else None


def active_brokers(session: Session) -> list[User]:
    """Return the active broker accounts, by name."""
    return list(session.scalars(select(User).join(Broker, Broker.user_id == User.id).where(
        User.role == Role.BROKER, User.status == AccountStatus.ACTIVE,
        User.deleted_at.is_(None)).order_by(User.display_name, User.id)))


def find_broker(session: Session, user_id: int | None) -> User | None:
    """Return the active broker with user_id, or None."""
    user = session.get(User, user_id) if user_id else None
    return user if permissions.is_broker(user) else None


# --- starting a deal from a match --------------------------------------------------------------

def find_current_match(session: Session, need_id: int, output_id: int, *,
                       side: Side | None = None) -> tuple[StoredMatch, float] | tuple[None, None]:
    """Return the pair's match in the current generation and its match quality: its place in
    the list of side's listing (the page whose card the broker started from) when it is there,
    else, of its places in the need's list and in the output's, the one of higher quality (as
    recommendations.services.pair_qualities reads a pair); (None, None) if it is in neither."""
    rows = session.execute(
        select(StoredMatch, MatchSet.side).join(MatchSet, MatchSet.id == StoredMatch.set_id)
        .join(MatchGeneration, MatchGeneration.id == MatchSet.generation_id)
        .where(MatchGeneration.status == "current", StoredMatch.need_id == need_id,
               StoredMatch.output_id == output_id)).all()
    matches = [m for m, list_side in rows if list_side == side] or [m for m, _ in rows]
    if not matches:
        return None, None
    quality = stored_match_qualities(session, matches)
    best = min(matches, key=lambda m: (-quality[m.id], -m.score, m.id))
    return best, quality[best.id]


def open_deal_on_pair(session: Session, viewer, need_id: int, output_id: int) -> Deal | None:
    """Return an open deal viewer sees on this need and output, if any."""
    return session.scalar(select(Deal).where(
        visible_condition(viewer), Deal.is_open, Deal.need_id == need_id,
        Deal.output_id == output_id).order_by(Deal.id).limit(1))


def pending_introduction(session: Session, need_id: int, output_id: int) -> IntroductionRequest | None:
    """Return the pending introduction request on this pair, if any."""
    return session.scalar(select(IntroductionRequest).where(
        IntroductionRequest.need_id == need_id, IntroductionRequest.output_id == output_id,
        IntroductionRequest.status == IntroductionStatus.PENDING).limit(1))


class ListingDeals:
    """The deals viewer sees on one listing (lost ones included), in the deal list's order
    (list_deals_query): read in one query for a listing's page, whose side column shows the
    first of them and whose match cards each ask for the open deal on their pair."""

    def __init__(self, deals: Sequence[Deal]):
        self.deals = list(deals)

    def first(self, count: int) -> list[Deal]:
        """Return the first count deals, most urgent first (the side column)."""
        return self.deals[:count]

    @cached_property
    def open_by_pair(self) -> dict[tuple[int, int], Deal]:
        """Return the open deals on a need and an output by (need id, output id): the first
        deal of each pair, as open_deal_on_pair does."""
        pairs: dict[tuple[int, int], Deal] = {}
        for deal in sorted(self.deals, key=lambda d: d.id):
            if deal.is_open and deal.need_id is not None and deal.output_id is not None:
                pairs.setdefault((deal.need_id, deal.output_id), deal)
        return pairs


def deals_on_listing(session: Session, viewer, side: Side, listing_id: int) -> ListingDeals:
    """Return the deals viewer sees on one listing, with their stages, in one query.

    Unlimited: a match card needs its pair's open deal wherever it falls in the list, and a
    listing has a handful of deals (one or two per counterpart it is discussed with).
    """
    query = titles_and_stages(deals_of_listing_query(viewer, side, listing_id))
    return ListingDeals(session.scalars(query).all())


def pending_introductions_on_listing(session: Session, side: Side,
                                     listing_id: int) -> set[tuple[int, int]]:
    """Return the (need id, output id) pairs of one listing with a pending introduction."""
    column = IntroductionRequest.need_id if side == Side.NEED else IntroductionRequest.output_id
    rows = session.execute(select(IntroductionRequest.need_id, IntroductionRequest.output_id)
                           .where(column == listing_id,
                                  IntroductionRequest.status == IntroductionStatus.PENDING))
    return {(need_id, output_id) for need_id, output_id in rows}


def deals_of_listing_query(viewer, side: Side, listing_id: int) -> Select:
    """Return the deals viewer sees on one output or need (lost ones included)."""
    column = Deal.output_id if side == Side.OUTPUT else Deal.need_id
    return list_deals_query(viewer, DealFilters(include_lost=True)).where(column == listing_id)


def titles_and_stages(stmt: Select) -> Select:
    """Load only a deal's own row and its stage (a listing's side column shows title and stage:
    not the listings, organisations and patents a deal loads by default)."""
    return stmt.options(lazyload("*"), joinedload(Deal.stage))


# --- today ---------------------------------------------------------------------------------------

@dataclass
class Section:
    items: list
    total: int


@dataclass
class TodayPage:
    day: date
    due: Section
    overdue: Section
    stale: Section
    tasks: Section
    introductions: Section
    flags: dict[int, Flags] = field(default_factory=dict)


def _section(session: Session, stmt: Select, limit: int) -> Section:
    total = session.scalar(select(func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    return Section(list(session.scalars(stmt.limit(limit)).unique()), total)


def pending_introductions_query(viewer) -> Select:
    """Return the pending introduction requests viewer decides, oldest first."""
    stmt = select(IntroductionRequest).where(
        IntroductionRequest.status == IntroductionStatus.PENDING)
    if not permissions.is_admin(viewer):
        stmt = stmt.where(IntroductionRequest.broker_id == (viewer.id if
                                                            permissions.is_broker(viewer) else -1))
    return stmt.order_by(IntroductionRequest.created_at, IntroductionRequest.id)


def today_page(session: Session, viewer, *, limit: int = TODAY_LIMIT) -> TodayPage:
    """Return what is due today, overdue, stale, the open tasks due and the pending
    introduction requests, for the deals viewer works on (at most limit of each, and counts)."""
    today = clock.today()
    stages = list_stages(session, active_only=False)
    open_deals = list_deals_query(viewer, DealFilters(), stages=stages, today=today)
    due = with_parties(open_deals.where(Deal.next_step_due == today))
    overdue = with_parties(list_deals_query(viewer, DealFilters(overdue=True), today=today))
    stale = with_parties(list_deals_query(viewer, DealFilters(stale=True), stages=stages,
                                          today=today))
    task_filter = [DealTask.done_at.is_(None), DealTask.due_on <= today,
                   DealTask.deal_id.in_(open_deals.with_only_columns(Deal.id).order_by(None))]
    if permissions.is_broker(viewer):
        task_filter.append(DealTask.assignee_id == viewer.id)
    tasks = select(DealTask).where(*task_filter).order_by(DealTask.due_on, DealTask.id)
    page = TodayPage(today, _section(session, due, limit), _section(session, overdue, limit),
                     _section(session, stale, limit), _section(session, tasks, limit),
                     _section(session, pending_introductions_query(viewer), limit))
    defs = stage_defs(stages)
    page.flags = {d.id: card_flags(d, defs, today)
                  for s in (page.due, page.overdue, page.stale) for d in s.items}
    return page


# --- home pages of the listing owners ---------------------------------------------------------

@dataclass(frozen=True)
class ListingNews:
    item: ResearchOutput | TechNeed
    matches: int  # the matches its page shows
    new: int  # of those, the ones the viewer has not been shown yet (recommendations.seen)


@dataclass
class OwnerHome:
    listings: list[ListingNews]  # the organisation's listings, those with new matches first
    listing_total: int
    new_total: int  # new matches over all the organisation's listings, not only those shown
    waiting: Section  # introduction requests waiting for the broker, oldest first
    decided: Section  # decided ones, latest decision first
    deals: list[Deal]
    deal_total: int


def listings_with_news(session: Session, viewer, side: Side, mine, *,
                       limit: int) -> tuple[list[ListingNews], int, int]:
    """Return the first `limit` listings of side that mine selects (the viewer's
    organisation's), those with matches new to viewer first, then the latest changed; with
    the number of listings and of new matches over all of them. One query, however many
    listings: the counts are a grouped subquery over the organisation's listings only."""
    model = seen.MODELS[side]
    counts = seen.match_counts_query(viewer, side, select(model.id).where(mine)).subquery()
    new = func.coalesce(counts.c.new, 0)
    rows = session.execute(
        select(model, func.coalesce(counts.c.matches, 0), new, func.sum(new).over(),
               func.count().over())
        .outerjoin(counts, counts.c.listing_id == model.id).where(mine)
        .order_by(case((new > 0, 0), else_=1), model.updated_at.desc(), model.id)
        .limit(limit).options(lazyload("*"))).all()
    if not rows:
        return [], 0, 0
    return ([ListingNews(item, matches, fresh) for item, matches, fresh, _, _ in rows],
            int(rows[0][4]), int(rows[0][3] or 0))


def owner_home(session: Session, viewer, *, limit: int = 10) -> OwnerHome | None:
    """Return an institution's outputs or an enterprise's needs with their new matches, the
    introduction requests on them (waiting and decided) and the deals involving them; None for
    other roles."""
    role = permissions.role_of(viewer)
    if role == Role.INSTITUTION and viewer.institution_id:
        side = Side.OUTPUT
        mine = ResearchOutput.institution_id == viewer.institution_id
        on_mine = IntroductionRequest.output_id.in_(select(ResearchOutput.id).where(mine))
    elif role == Role.ENTERPRISE and viewer.enterprise_id:
        side = Side.NEED
        mine = TechNeed.enterprise_id == viewer.enterprise_id
        on_mine = IntroductionRequest.need_id.in_(select(TechNeed.id).where(mine))
    else:
        return None
    listings, listing_total, new_total = listings_with_news(session, viewer, side, mine,
                                                            limit=limit)
    requests = select(IntroductionRequest).where(on_mine).options(  # titles and the broker
        joinedload(IntroductionRequest.broker).options(lazyload(User.institution),
                                                       lazyload(User.enterprise)),
        defaultload(IntroductionRequest.need).lazyload("*"),
        defaultload(IntroductionRequest.output).lazyload("*"))
    waiting = requests.where(IntroductionRequest.status == IntroductionStatus.PENDING).order_by(
        IntroductionRequest.created_at, IntroductionRequest.id)
    decided = requests.where(IntroductionRequest.status != IntroductionStatus.PENDING).order_by(
        IntroductionRequest.decided_at.desc(), IntroductionRequest.id.desc()).options(
        # The link to a deal asks whether the viewer sees it: that reads the deal's own row
        # and its two listings, which the requests have loaded already (nothing else of it).
        selectinload(IntroductionRequest.deal).lazyload("*"))
    deals = _section(session, with_parties(list_deals_query(viewer,
                                                            DealFilters(include_lost=True))),
                     limit)
    return OwnerHome(listings, listing_total, new_total, _section(session, waiting, limit),
                     _section(session, decided, limit), deals.items, deals.total)


def column_totals(columns) -> dict[str, dict]:
    """Return the board summary as JSON-ready values by stage key."""
    return {c.stage.key: {"count": c.count, "value": str(c.value),
                          "expected": str(c.expected_value)} for c in columns}


def role_home(session: Session, viewer) -> dict:
    """Return what a signed-in viewer's home page shows of their own work ({} for none):
    a broker their today page, an operator the board's totals and what waits for a decision,
    an institution or enterprise their listings, introduction requests and deals."""
    from matchmaker.pipeline.queries import board_summary

    role = permissions.role_of(viewer)
    if role == Role.BROKER:
        page = today_page(session, viewer, limit=10)
        return {"home": "broker", "today": page, "default_due": page.day + timedelta(days=7)}
    if role == Role.ADMIN:
        return {"home": "admin", "today": today_page(session, viewer, limit=5),
                "columns": [c for c in board_summary(session, viewer)
                            if c.stage.phase != Phase.LOST]}
    owner = owner_home(session, viewer)
    return {"home": str(role), "owner": owner} if owner is not None else {}
