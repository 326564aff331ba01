"""Create, edit, publish and list research outputs and technology needs.

Functions flush but never commit; the caller owns the transaction.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import Session, joinedload

from matchmaker import permissions, signals
from matchmaker.auth.models import User
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import (
    DEAL_NEED_TRANSITIONS,
    DEAL_OUTPUT_TRANSITIONS,
    MATCHABLE_NEED_STATUSES,
    NEED_TRANSITIONS,
    OUTPUT_TRANSITIONS,
    PUBLIC_NEED_STATUSES,
    PUBLIC_OUTPUT_STATUSES,
    NeedStatus,
    OutputStatus,
    Role,
    Side,
)
from matchmaker.errors import (
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    StaleObjectError,
    ValidationFailedError,
)
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.permissions import Action
from matchmaker.profiles.models import Patent, ResearchOutput, TechNeed
from matchmaker.profiles.publishing import Shortfall, publish_shortfalls
from matchmaker.profiles.search import search_and_mode
from matchmaker.types import utcnow


@dataclass
class OutputData:
    title: str
    abstract: str
    trl: int
    modes: list[str]
    keywords: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    chain_key: str | None = None
    segment_id: int | None = None
    patents: list[dict] = field(default_factory=list)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    reform_status: str = "none"
    lang: str | None = None  # None keeps the listing's language ("zh" for a new one)
    # Shown to a deal's enterprise only under a signed NDA; None leaves it as it is (forms
    # that do not show the field must not erase it).
    confidential_note: str | None = None


@dataclass
class NeedData:
    title: str
    description: str
    modes: list[str]
    keywords: list[str] = field(default_factory=list)
    chain_key: str | None = None
    segment_id: int | None = None
    min_trl: int | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    deadline: date | None = None
    region_name: str | None = None
    is_challenge: bool = False
    prize: Decimal | None = None
    lang: str | None = None  # see OutputData.lang


@dataclass
class ListFilters:
    q: str = ""
    chain: str = ""
    segment: int | None = None
    trl_from: int | None = None
    trl_to: int | None = None
    mode: str = ""
    region: str = ""
    status: str = ""
    mine: bool = False


# --- lookups -----------------------------------------------------------------------------

# A listing's page shows its transfer modes: read them in the listing's own statement (a
# listing has one to four) rather than in a second one.
_WITH_MODES = {ResearchOutput: [joinedload(ResearchOutput.mode_rows)],
               TechNeed: [joinedload(TechNeed.mode_rows)]}


def get_output(session: Session, output_id: int, *, viewer: User) -> ResearchOutput:
    """Return the output if viewer may see it; raise NotFoundError otherwise."""
    output = session.get(ResearchOutput, output_id, options=_WITH_MODES[ResearchOutput])
    if output is None:
        raise NotFoundError(output_id)
    permissions.require(viewer, Action.VIEW, output)
    return output


def get_need(session: Session, need_id: int, *, viewer: User) -> TechNeed:
    """Return the need if viewer may see it; raise NotFoundError otherwise."""
    need = session.get(TechNeed, need_id, options=_WITH_MODES[TechNeed])
    if need is None:
        raise NotFoundError(need_id)
    permissions.require(viewer, Action.VIEW, need)
    return need


def _resolve_chain(session: Session, chain_key: str | None, segment_id: int | None):
    chain = segment = None
    if chain_key:
        chain = session.scalar(select(Chain).where(Chain.key == chain_key, Chain.is_active))
        if chain is None:
            raise ValidationFailedError({"chain": "unknown_chain"})
    if segment_id is not None:
        segment = session.get(ChainSegment, segment_id)
        if segment is None or chain is None or segment.chain_id != chain.id:
            raise ValidationFailedError({"segment": "segment_not_in_chain"})
    return chain, segment


class NotPublishableError(ValidationFailedError):
    """The listing says too little to be published; shortfalls says what is missing."""

    def __init__(self, shortfalls: list[Shortfall]):
        super().__init__({s.field: f"publish_{s.measure}" for s in shortfalls})
        self.shortfalls = shortfalls


def list_publish_shortfalls(item: ResearchOutput | TechNeed) -> list[Shortfall]:
    """Return what item lacks before it may be published ([] when it is ready)."""
    if item.side == Side.OUTPUT:
        return publish_shortfalls(item.title, item.abstract, text_field="abstract")
    return publish_shortfalls(item.title, item.description, text_field="description")


def _require_publishable(item: ResearchOutput | TechNeed) -> None:
    shortfalls = list_publish_shortfalls(item)
    if shortfalls:
        raise NotPublishableError(shortfalls)


def check_public_edit(item: ResearchOutput | TechNeed, data: OutputData | NeedData) -> None:
    """Raise NotPublishableError if data would leave a public listing too thin to publish.

    Publishing checks the content once; without this, a published listing could be edited
    down to 「氢」 afterwards and stay in everyone's matches. update_output and update_need
    call it, so every write path (forms, API, importer) keeps the rule. Drafts, withdrawn and
    closed listings may be edited freely.
    """
    public = PUBLIC_OUTPUT_STATUSES if item.side == Side.OUTPUT else PUBLIC_NEED_STATUSES
    if item.status not in public:
        return
    if item.side == Side.OUTPUT:
        shortfalls = publish_shortfalls(data.title, data.abstract, text_field="abstract")
    else:
        shortfalls = publish_shortfalls(data.title, data.description, text_field="description")
    if shortfalls:
        raise NotPublishableError(shortfalls)


def _author(owner) -> User | None:
    """Return who a new listing is recorded as created by (none for permissions.SYSTEM)."""
    return owner if isinstance(owner, User) else None


def _check_version(obj, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise StaleObjectError(obj.id)


# --- research outputs --------------------------------------------------------------------

def _apply_output(session: Session, output: ResearchOutput, data: OutputData) -> None:
    output.chain, output.segment = _resolve_chain(session, data.chain_key, data.segment_id)
    output.title = data.title.strip()
    output.abstract = data.abstract.strip()
    output.keywords = data.keywords
    output.inventors = data.inventors
    output.trl = data.trl
    output.modes = list(dict.fromkeys(data.modes))
    output.price_min, output.price_max = data.price_min, data.price_max
    output.reform_status = data.reform_status
    if data.confidential_note is not None:
        output.confidential_note = data.confidential_note.strip()
    output.patents = [Patent(number=p["number"], ipc_codes=p["ipc"], status=p["status"])
                      for p in data.patents]
    if data.lang is not None:
        output.lang = data.lang


def output_data(output: ResearchOutput) -> OutputData:
    """Return output's editable fields as OutputData (what update_output would write back)."""
    return OutputData(
        title=output.title, abstract=output.abstract, trl=output.trl, modes=list(output.modes),
        keywords=list(output.keywords), inventors=list(output.inventors),
        chain_key=output.chain.key if output.chain else None, segment_id=output.segment_id,
        patents=[{"number": p.number, "ipc": list(p.ipc_codes), "status": p.status}
                 for p in output.patents],
        price_min=output.price_min, price_max=output.price_max,
        reform_status=output.reform_status, lang=output.lang)


def create_output(session: Session, data: OutputData, *, owner: User,
                  institution: Institution | None = None,
                  ref: str | None = None) -> ResearchOutput:
    """Create a draft output for owner's institution (admins name the institution).

    ref: a stable external key (seed data, imports) the listing can be found by again.
    """
    institution = institution or getattr(owner, "institution", None)
    if (not permissions.may_create(owner, Side.OUTPUT) or institution is None
            or not (permissions.is_admin(owner)
                    or permissions.member_of_institution(owner, institution.id))):
        raise PermissionDeniedError("only institutions list research outputs")
    output = ResearchOutput(institution=institution, created_by=_author(owner),
                            status=OutputStatus.DRAFT, ref=ref)
    _apply_output(session, output, data)
    session.add(output)
    session.flush()
    signals.profile_saved.send(output, session=session, side=Side.OUTPUT, change="created")
    return output


def update_output(session: Session, output: ResearchOutput, data: OutputData, *, editor: User,
                  version: int | None) -> ResearchOutput:
    """Apply data to output; raise StaleObjectError if it changed since version was read, and
    NotPublishableError if a public output would say too little to stay published."""
    permissions.require(editor, Action.EDIT, output)
    _check_version(output, version)
    check_public_edit(output, data)
    _apply_output(session, output, data)  # profiles.models.touch_listings bumps the version
    session.flush()
    signals.profile_saved.send(output, session=session, side=Side.OUTPUT, change="updated")
    return output


def change_output_status(session: Session, output: ResearchOutput, status: str, *,
                         editor: User, published_at: datetime | None = None) -> ResearchOutput:
    """Move output to status if the transition is allowed (publish, withdraw, …).

    Publishing also needs enough content to match on; NotPublishableError says what is missing.
    published_at: when a first publication happened, for loaders that replay history (the
    seed's stable dates); now when None.
    """
    permissions.require(editor, Action.EDIT, output)
    if status not in OUTPUT_TRANSITIONS[OutputStatus(output.status)]:
        raise InvalidTransitionError(output.status, status)
    if status == OutputStatus.PUBLISHED:
        _require_publishable(output)
    output.status = status
    if status == OutputStatus.PUBLISHED and output.published_at is None:
        output.published_at = published_at or utcnow()
    session.flush()
    signals.profile_saved.send(output, session=session, side=Side.OUTPUT, change="status")
    return output


# --- technology needs --------------------------------------------------------------------

def _apply_need(session: Session, need: TechNeed, data: NeedData) -> None:
    need.chain, need.segment = _resolve_chain(session, data.chain_key, data.segment_id)
    region = None
    if data.region_name:
        region = session.scalar(select(Region).where(Region.name == data.region_name))
        if region is None:
            raise ValidationFailedError({"region": "unknown_region"})
    need.region = region
    need.title = data.title.strip()
    need.description = data.description.strip()
    need.keywords = data.keywords
    need.modes = list(dict.fromkeys(data.modes))
    need.min_trl = data.min_trl
    need.budget_min, need.budget_max = data.budget_min, data.budget_max
    need.deadline = data.deadline
    need.is_challenge = data.is_challenge
    need.prize = data.prize if data.is_challenge else None
    if data.lang is not None:
        need.lang = data.lang


def need_data(need: TechNeed) -> NeedData:
    """Return need's editable fields as NeedData (what update_need would write back)."""
    return NeedData(
        title=need.title, description=need.description, modes=list(need.modes),
        keywords=list(need.keywords), chain_key=need.chain.key if need.chain else None,
        segment_id=need.segment_id, min_trl=need.min_trl, budget_min=need.budget_min,
        budget_max=need.budget_max, deadline=need.deadline,
        region_name=need.region.name if need.region else None,
        is_challenge=need.is_challenge, prize=need.prize, lang=need.lang)


def create_need(session: Session, data: NeedData, *, owner: User,
                enterprise: Enterprise | None = None, ref: str | None = None) -> TechNeed:
    """Create a draft need for owner's enterprise (admins name the enterprise; ref: see
    create_output)."""
    enterprise = enterprise or getattr(owner, "enterprise", None)
    if (not permissions.may_create(owner, Side.NEED) or enterprise is None
            or not (permissions.is_admin(owner)
                    or permissions.member_of_enterprise(owner, enterprise.id))):
        raise PermissionDeniedError("only enterprises post technology needs")
    need = TechNeed(enterprise=enterprise, created_by=_author(owner), status=NeedStatus.DRAFT,
                    ref=ref)
    _apply_need(session, need, data)
    session.add(need)
    session.flush()
    signals.profile_saved.send(need, session=session, side=Side.NEED, change="created")
    return need


def update_need(session: Session, need: TechNeed, data: NeedData, *, editor: User,
                version: int | None) -> TechNeed:
    """Apply data to need; raise StaleObjectError if it changed since version was read, and
    NotPublishableError if a public need would say too little to stay published."""
    permissions.require(editor, Action.EDIT, need)
    _check_version(need, version)
    check_public_edit(need, data)
    _apply_need(session, need, data)  # profiles.models.touch_listings bumps the version
    session.flush()
    signals.profile_saved.send(need, session=session, side=Side.NEED, change="updated")
    return need


def change_need_status(session: Session, need: TechNeed, status: str, *,
                       editor: User, published_at: datetime | None = None) -> TechNeed:
    """Move need to status if the transition is allowed (publish, close, …).

    Publishing also needs enough content to match on; NotPublishableError says what is missing.
    published_at: see change_output_status.
    """
    permissions.require(editor, Action.EDIT, need)
    if status not in NEED_TRANSITIONS[NeedStatus(need.status)]:
        raise InvalidTransitionError(need.status, status)
    if status == NeedStatus.PUBLISHED:
        _require_publishable(need)
    need.status = status
    if status == NeedStatus.PUBLISHED and need.published_at is None:
        need.published_at = published_at or utcnow()
    session.flush()
    signals.profile_saved.send(need, session=session, side=Side.NEED, change="status")
    return need


# --- status paths (loaders and imports) ---------------------------------------------------

def status_path(transitions: dict, start: str, target: str) -> list[str]:
    """Return the shortest list of allowed moves from start to target ([] when equal).

    A listing that leaves its draft goes through "published" first (it was on the market
    before it was negotiated, withdrawn or closed), so it gets its publication date.
    Raises InvalidTransitionError when target cannot be reached.
    """
    if start == target:
        return []
    first = [] if start != "draft" or target == "draft" else ["published"]
    frontier, seen = [(first[-1] if first else start, first)], {start}
    while frontier:
        status, path = frontier.pop(0)
        if status == target:
            return path
        for following in sorted(transitions.get(status, ())):
            if following not in seen:
                seen.add(following)
                frontier.append((following, [*path, following]))
    raise InvalidTransitionError(start, target)


def move_output_to(session: Session, output: ResearchOutput, status: str, *, editor,
                   published_at: datetime | None = None) -> ResearchOutput:
    """Bring output to status through the allowed transitions, one change_output_status at a
    time (what a loader does for a record whose status it only knows as a result)."""
    for step in status_path(OUTPUT_TRANSITIONS, output.status, status):
        change_output_status(session, output, step, editor=editor, published_at=published_at)
    return output


def move_need_to(session: Session, need: TechNeed, status: str, *, editor,
                 published_at: datetime | None = None) -> TechNeed:
    """Bring need to status through the allowed transitions (see move_output_to)."""
    for step in status_path(NEED_TRANSITIONS, need.status, status):
        change_need_status(session, need, step, editor=editor, published_at=published_at)
    return need


# --- status set by the pipeline ------------------------------------------------------------

def apply_deal_status(session: Session, listing: ResearchOutput | TechNeed, status: str, *,
                      deal_id: int) -> bool:
    """Move listing to status on behalf of a deal; return whether it changed.

    Deals own "under negotiation / matched" and "transferred / solved" (domain.py,
    DEAL_OUTPUT_TRANSITIONS): the pipeline calls this, never the owner. A move the table does
    not allow (a withdrawn output, an already transferred one) is left alone: the listing's
    owner decided otherwise and the deal's history says so. The change is announced like an
    owner's (profile_saved, change "status", by_deal=deal_id), so the matches refresh and the
    coming notifications tell the owner.
    """
    is_output = listing.side is Side.OUTPUT
    table = DEAL_OUTPUT_TRANSITIONS if is_output else DEAL_NEED_TRANSITIONS
    if status == listing.status or status not in table.get(listing.status, ()):
        return False
    listing.status = status
    session.flush()
    signals.profile_saved.send(listing, session=session,
                               side=listing.side, change="status", by_deal=deal_id)
    return True


# --- listing and search ------------------------------------------------------------------

def synonym_groups(chains) -> tuple[tuple[str, ...], ...]:
    """Return the synonym groups of chains (the active ones), for search expansion."""
    return tuple(tuple(group) for chain in chains for group in chain.synonym_groups)


def list_outputs_query(filters: ListFilters, *, viewer, synonyms=()) -> Select:
    """Return a SELECT of outputs visible to viewer that match filters, newest first.

    synonyms: groups of equivalent terms a search also expands to (synonym_groups()).
    """
    # No join: the count a page needs stays a scan of one table (or of one index).
    stmt = select(ResearchOutput)
    role = permissions.role_of(viewer)
    if filters.mine and role == Role.INSTITUTION:
        stmt = stmt.where(ResearchOutput.institution_id == viewer.institution_id)
    elif role is None:  # the same rule as permissions._output: lists are for signed-in users
        stmt = stmt.where(false())
    elif role != Role.ADMIN:
        own = (ResearchOutput.institution_id == viewer.institution_id
               if role == Role.INSTITUTION else false())
        stmt = stmt.where(or_(ResearchOutput.status.in_(PUBLIC_OUTPUT_STATUSES), own))
    stmt = stmt.where(*search_and_mode(ResearchOutput, filters.q, synonyms, filters.mode))
    stmt = _common_filters(stmt, ResearchOutput, filters, ResearchOutput.trl)
    if filters.region:
        stmt = stmt.where(ResearchOutput.institution.has(
            Institution.region.has(Region.name == filters.region)))
    return stmt.order_by(ResearchOutput.published_at.desc().nulls_first(),
                         ResearchOutput.id.desc())


def list_needs_query(filters: ListFilters, *, viewer, synonyms=()) -> Select:
    """Return a SELECT of needs visible to viewer that match filters, newest first."""
    stmt = select(TechNeed)
    role = permissions.role_of(viewer)
    if filters.mine and role == Role.ENTERPRISE:
        stmt = stmt.where(TechNeed.enterprise_id == viewer.enterprise_id)
    elif role is None:  # the same rule as permissions._need
        stmt = stmt.where(false())
    elif role != Role.ADMIN:
        own = (TechNeed.enterprise_id == viewer.enterprise_id
               if role == Role.ENTERPRISE else false())
        stmt = stmt.where(or_(TechNeed.status.in_(PUBLIC_NEED_STATUSES), own))
    stmt = stmt.where(*search_and_mode(TechNeed, filters.q, synonyms, filters.mode))
    stmt = _common_filters(stmt, TechNeed, filters, TechNeed.min_trl)
    if filters.region:
        in_region = Region.name == filters.region
        stmt = stmt.where(or_(TechNeed.region.has(in_region),
                              and_(TechNeed.region_id.is_(None),
                                   TechNeed.enterprise.has(Enterprise.region.has(in_region)))))
    return stmt.order_by(TechNeed.published_at.desc().nulls_first(), TechNeed.id.desc())


def list_org_outputs(session: Session, institution: Institution) -> list[ResearchOutput]:
    """Return the public outputs of institution, newest first (its public page lists them)."""
    return session.scalars(
        select(ResearchOutput).where(ResearchOutput.institution_id == institution.id,
                                     ResearchOutput.status.in_(PUBLIC_OUTPUT_STATUSES))
        .order_by(ResearchOutput.id.desc())).all()


def list_org_needs(session: Session, enterprise: Enterprise, *, viewer) -> list[TechNeed]:
    """Return the needs enterprise's public page lists, newest first: the public ones to
    signed-in viewers, the open ones only to visitors without an account."""
    statuses = (PUBLIC_NEED_STATUSES if permissions.role_of(viewer) is not None
                else MATCHABLE_NEED_STATUSES)
    return session.scalars(
        select(TechNeed).where(TechNeed.enterprise_id == enterprise.id,
                               TechNeed.status.in_(statuses))
        .order_by(TechNeed.id.desc())).all()


def _common_filters(stmt: Select, model, filters: ListFilters, trl_column) -> Select:
    if filters.chain:
        stmt = stmt.where(model.chain.has(Chain.key == filters.chain))
    if filters.segment:
        stmt = stmt.where(model.segment_id == filters.segment)
    if filters.trl_from:
        stmt = stmt.where(trl_column >= filters.trl_from)
    if filters.trl_to:
        stmt = stmt.where(trl_column <= filters.trl_to)
    if filters.status:
        stmt = stmt.where(model.status == filters.status)
    return stmt
