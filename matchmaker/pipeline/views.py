"""The broker's workspace: board, list, today, starting a deal, and introductions. The deal
page and its forms are in pipeline/deal_views.py, the operators' overview in
pipeline/overview_views.py.

Views are thin: parse the form, call the service, commit, redirect (or render). Refusals and
stale saves come back as flashed messages in the reader's language, never as a 500."""
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import forms_common, permissions
from matchmaker.blocks import register_block
from matchmaker.chains.models import Chain
from matchmaker.domain import Side
from matchmaker.errors import (
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.permissions import Action
from matchmaker.pipeline import clock, marks, pages, services
from matchmaker.pipeline import labels as deal_labels
from matchmaker.pipeline.forms import (
    AcceptIntroductionForm,
    DeclineIntroductionForm,
    IntroductionForm,
    NewDealForm,
)
from matchmaker.pipeline.models import IntroductionRequest
from matchmaker.profiles import services as profiles
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.routing import ID_MAX, page_number
from matchmaker.templating import TranslatedLabels, localized

bp = Blueprint("pipeline", __name__, url_prefix="/deals")
_DEAL_LABELS = TranslatedLabels(deal_labels)

LISTING_DEALS_SHOWN = 10  # in a listing's side column; the deal list shows them all


def stale_message() -> str:
    return _("Someone else changed this deal since you opened it. Here it is as it is now: "
             "check it and make your change again.")


def flash_refusal(error: ValidationFailedError) -> None:
    """Flash each reason of a refusal (already in the reader's language)."""
    for message in error.reasons.values():
        flash(str(message), "danger")


def attempt(change, success: str | None) -> bool:
    """Run change() and commit (forms_common.attempt), with the deals' stale message."""
    return forms_common.attempt(change, success, stale=stale_message())


def require_staff() -> None:
    if not permissions.is_staff(current_user):
        raise PermissionDeniedError("deals")


# --- filters ------------------------------------------------------------------------------------

def _amount(name: str) -> Decimal | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value < 10**10 else None


def parse_filters() -> services.DealFilters:
    """Read the list and board filters from the query string (unknown values are ignored)."""
    owner = request.args.get("owner", "")
    return services.DealFilters(
        chain=request.args.get("chain", "")[:40], stage=request.args.get("stage", "")[:40],
        owner_id=int(owner) if owner.isdigit() and len(owner) < 10
        and permissions.is_admin(current_user) else None,
        value_min=_amount("value_min"), value_max=_amount("value_max"),
        overdue=request.args.get("overdue") == "1", stale=request.args.get("stale") == "1",
        q=request.args.get("q", "")[:100])


def _filter_choices() -> dict:
    chains = db.session.scalars(db.select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    brokers = pages.active_brokers(db.session) if permissions.is_admin(current_user) else []
    return {"chains": chains, "stage_choices": services.list_stages(db.session),
            "brokers": brokers}


# --- the workspace ----------------------------------------------------------------------------

def list_query_from_request(filters: services.DealFilters):
    """Return the deals query of the list page for this request (also its exports')."""
    stages = services.list_stages(db.session)
    query = pages.with_parties(services.list_deals_query(current_user, filters, stages=stages))
    for side in (Side.OUTPUT, Side.NEED):
        listing_id = request.args.get(f"{side}_id", type=int)
        if listing_id is not None and 0 < listing_id < 2**31:
            query = pages.with_parties(pages.deals_of_listing_query(current_user, side,
                                                                    listing_id))
    return query


@bp.route("/")
@login_required
def index():
    filters = parse_filters()
    query = list_query_from_request(filters)
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"],
                       max_per_page=100)
    defs = pages.stage_defs(services.list_stages(db.session, active_only=False))
    flags = {deal.id: pages.card_flags(deal, defs, clock.today()) for deal in page.items}
    return render_template("pipeline/list.html", page=page, filters=filters, flags=flags,
                           **_filter_choices())


@bp.route("/board")
@login_required
def board():
    require_staff()
    filters = parse_filters()
    filters.stage = ""
    stages = pages.board_stages(db.session)
    columns = {c.stage.id: c for c in services.board_summary(db.session, current_user, filters)}
    cards = pages.board_cards(db.session, current_user, filters, stages,
                              limit=pages.CARDS_PER_COLUMN)
    options = [(stage, localized(stage)) for stage in stages]  # names once, not per card
    return render_template("pipeline/board.html", options=options, columns=columns, cards=cards,
                           filters=filters, limit=pages.CARDS_PER_COLUMN, **_filter_choices())


@bp.route("/today")
@login_required
def today():
    require_staff()
    return render_template("pipeline/today.html", today=pages.today_page(db.session, current_user),
                           decide_form=AcceptIntroductionForm(),
                           default_due=clock.today() + timedelta(days=7))


@bp.route("/contracts.xlsx")
@login_required
def export_contracts():
    from matchmaker.pipeline.export import export_contracts_xlsx

    filters = parse_filters()
    filters.include_lost = True
    body = export_contracts_xlsx(db.session, current_user, filters)
    name = f"contracts-{clock.today().isoformat()}.xlsx"
    return body, 200, {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}"'}


# --- starting a deal ----------------------------------------------------------------------------

def _listing(get, value) -> object | None:
    """Return the listing with id value that the viewer sees (None for no id); 404 else."""
    if not value:
        return None
    try:
        listing_id = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < listing_id <= ID_MAX:  # an id no table holds (PostgreSQL INTEGER)
        abort(404)
    try:
        return get(db.session, listing_id, viewer=current_user)
    except NotFoundError:
        abort(404)


# How a deal form names the match it starts from: the listing side whose card it was, or "1".
MATCH_SOURCES = ("1", str(Side.NEED), str(Side.OUTPUT))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.may_create(current_user, "deal"):
        raise PermissionDeniedError("deal")
    form = NewDealForm(data=None if request.method == "POST" else {
        "output_id": request.args.get("output_id", type=int),
        "need_id": request.args.get("need_id", type=int),
        "from_match": request.args.get("match") if request.args.get("match") in MATCH_SOURCES
        else "",
        "next_step_due": clock.today() + timedelta(days=7)})
    output = _listing(profiles.get_output, form.output_id.data)
    need = _listing(profiles.get_need, form.need_id.data)
    if output is None and need is None:
        abort(404)
    from_match = form.from_match.data if form.from_match.data in MATCH_SOURCES else None
    match, quality = (pages.find_current_match(
        db.session, need.id, output.id, side=None if from_match == "1" else Side(from_match))
        if from_match and output is not None and need is not None else (None, None))
    form.owner.choices = [("", _("Choose automatically (chain specialty, lowest load)"))] + [
        (str(b.id), b.display_name) for b in pages.active_brokers(db.session)]
    if form.validate_on_submit():
        deal = _create(form, output, need, match, quality)
        if deal is not None:
            return redirect(url_for("pipeline.detail", deal_id=deal.id))
    return render_template("pipeline/new.html", form=form, output=output, need=need,
                           match=match, match_quality=quality, existing=need and output and pages.open_deal_on_pair(
                               db.session, current_user, need.id, output.id))


def _create(form: NewDealForm, output, need, match, quality):
    owner = (pages.find_broker(db.session, int(form.owner.data))
             if permissions.is_admin(current_user) and (form.owner.data or "").isdigit()
             else None)
    created = []

    def change():
        created.append(services.create_deal(
            db.session, actor=current_user, output=output, need=need, match=match,
            match_quality=quality, owner=owner,
            title=form.title.data or "", next_step=form.next_step.data,
            next_step_due=form.next_step_due.data, expected_value=form.expected_value.data))

    if attempt(change, _("Deal started.")):
        return created[0]
    return None


# --- introductions ------------------------------------------------------------------------------

@bp.route("/introductions", methods=["POST"])
@login_required
def ask_introduction():
    form = IntroductionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("main.index"))
    need = _listing(profiles.get_need, form.need_id.data)
    output = _listing(profiles.get_output, form.output_id.data)
    if need is None or output is None:
        abort(404)
    if pages.pending_introduction(db.session, need.id, output.id) is not None:
        flash(_("An introduction on this match is already waiting for the broker."), "info")
    else:
        attempt(lambda: services.ask_introduction(db.session, need=need, output=output,
                                                  actor=current_user,
                                                  message=form.message.data or ""),
                _("Your request went to the broker. They will introduce you; contact details "
                  "are shared by the broker, not published."))
    item, other = (output, need) if form.back.data == "output" else (need, output)
    endpoint = "outputs.detail" if item is output else "needs.detail"
    return redirect(url_for(endpoint, item_id=item.id, _anchor=f"match-{other.id}"))


def _request(request_id: int) -> IntroductionRequest:
    row = db.session.get(IntroductionRequest, request_id)
    if row is None:
        raise NotFoundError(request_id)
    permissions.require(current_user, Action.DECIDE, row)
    return row


@bp.route("/introductions/<int:request_id>/accept", methods=["POST"])
@login_required
def accept_introduction(request_id: int):
    row = _request(request_id)
    form = AcceptIntroductionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("pipeline.today"))
    created = []
    if attempt(lambda: created.append(services.accept_introduction(
            db.session, row, actor=current_user, next_step=form.next_step.data,
            next_step_due=form.next_step_due.data)),
            _("Accepted: the deal starts at “introduced”. Share the contact details with both "
              "sides.")):
        return redirect(url_for("pipeline.detail", deal_id=created[0].id))
    return redirect(url_for("pipeline.today"))


@bp.route("/introductions/<int:request_id>/decline", methods=["POST"])
@login_required
def decline_introduction(request_id: int):
    row = _request(request_id)
    form = DeclineIntroductionForm()
    if form.validate_on_submit():
        attempt(lambda: services.decline_introduction(db.session, row, actor=current_user,
                                                      note=form.note.data),
                _("Declined; the person who asked sees your reason."))
    else:
        flash_form_errors(form)
    return redirect(url_for("pipeline.today"))


# --- blocks on lower pages -------------------------------------------------------------------------

def _per_listing(name: str, side: Side, listing_id: int, load):
    """Return load() for one listing once per request: a listing's page draws ten match
    cards and a side column that share it (no query per card)."""
    cache = g.setdefault("pipeline_listing_reads", {})
    key = (name, side, listing_id)
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _listing_of_cards(rec) -> tuple[Side, int]:
    """Return the side and id of the listing whose match cards are being drawn."""
    side = Side.NEED if isinstance(rec.item, ResearchOutput) else Side.OUTPUT
    return side, rec.need_id if side == Side.NEED else rec.output_id


def _deals_on(side: Side, listing_id: int) -> pages.ListingDeals:
    """The deals the viewer sees on a listing: one query serves its cards and side column."""
    return _per_listing("deals", side, listing_id, lambda: pages.deals_on_listing(
        db.session, current_user, side, listing_id))


def match_actions_context(rec) -> dict | None:
    """What a match card offers: brokers start a deal, owners ask for an introduction."""
    need = rec.item if isinstance(rec.item, TechNeed) else None
    output = rec.item if isinstance(rec.item, ResearchOutput) else None
    pair = need_id, output_id = rec.need_id, rec.output_id
    if permissions.may_create(current_user, "deal"):
        side, listing_id = _listing_of_cards(rec)
        existing = _deals_on(side, listing_id).open_by_pair.get(pair)
        return {"deal_action": "start", "need_id": need_id, "output_id": output_id,
                "existing": existing, "listing_side": str(side)}
    owner_side = permissions.role_of(current_user)
    if owner_side is None or permissions.is_staff(current_user):
        return None
    need = need or db.session.get(TechNeed, need_id)
    output = output or db.session.get(ResearchOutput, output_id)
    if not (permissions.can(current_user, Action.ASK_INTRODUCTION, need)
            or permissions.can(current_user, Action.ASK_INTRODUCTION, output)):
        return None
    side, listing_id = _listing_of_cards(rec)
    pending = _per_listing("introductions", side, listing_id, lambda:
                           pages.pending_introductions_on_listing(db.session, side, listing_id))
    return {"deal_action": "ask", "need_id": need_id, "output_id": output_id,
            "pending": pair in pending}


def listing_deals_context(item) -> dict | None:
    """The deals of a listing, in its side column, for whoever sees deals on it."""
    if permissions.role_of(current_user) is None:
        return None
    deals = _deals_on(item.side, item.id).first(LISTING_DEALS_SHOWN)
    may_start = permissions.may_create(current_user, "deal")
    if not deals and not may_start:
        return None
    return {"listing_deals": deals, "may_start_deal": may_start, "listing": item}


def listing_status_context(item) -> dict | None:
    """Where the owner used to set transferred / solved: a note that deals do it."""
    if not permissions.can(current_user, Action.EDIT, item):
        return None
    return {"listing": item}


def register_blocks(app: Flask) -> None:
    """Add deal actions to match cards and a listing's deals to its page."""
    register_block(app, "deal-match-actions", "match", "pipeline/_match_actions.html",
                   match_actions_context)
    register_block(app, "deal-match-mark", "match-mark", "pipeline/_match_mark.html",
                   marks.match_mark_context)
    register_block(app, "deal-listing-deals", "listing-aside", "pipeline/_listing_deals.html",
                   listing_deals_context)
    register_block(app, "deal-listing-status", "listing-status",
                   "pipeline/_listing_status.html", listing_status_context)


bp.add_app_template_global(clock.today, "today_date")


@bp.app_template_global()
def deal_listing_url(side: str, listing_id: int) -> str:
    """Return the deal list of one output or need."""
    return url_for("pipeline.index", **{f"{side}_id": listing_id})


@bp.app_context_processor
def pipeline_labels() -> dict:
    return {"deal_labels": _DEAL_LABELS}
