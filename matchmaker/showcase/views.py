"""The public showcase's pages: home, catalogue, chains, listing pages with their contact
form, and the event calendar. Open to everyone; every listing reaches a template only as the
allow-listed record of public.py."""
import logging
import re
import unicodedata

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matchmaker import labels
from matchmaker.chains.models import Chain
from matchmaker.domain import TRL_MAX, TRL_MIN, Side
from matchmaker.events import labels as event_labels
from matchmaker.events import services as events
from matchmaker.events.outcomes import event_results
from matchmaker.extensions import db, limiter
from matchmaker.orgs.models import Region
from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.services import synonym_groups
from matchmaker.routing import ID_MAX, bounded_int, page_number, paginate_capped
from matchmaker.showcase import bp, contact, figures, public
from matchmaker.showcase.forms import ContactForm

log = logging.getLogger(__name__)
SLUG_MAX = 60
_SLUG_WORDS = re.compile(r"\w+")
MODELS = {Side.OUTPUT: ResearchOutput, Side.NEED: TechNeed}
DETAIL_ENDPOINTS = {Side.OUTPUT: "showcase.output", Side.NEED: "showcase.need"}


def slugify(title: str) -> str:
    """Return the readable part of a listing's URL: its title's words joined by hyphens
    (Chinese kept: search engines and people read it), at most SLUG_MAX characters."""
    words = _SLUG_WORDS.findall(unicodedata.normalize("NFKC", title).lower().replace("_", " "))
    return "-".join(words)[:SLUG_MAX].strip("-") or "item"


def detail_url(item, **values) -> str:
    """Return the canonical path of a public listing's page (id and slug)."""
    return url_for(DETAIL_ENDPOINTS[item.side], item_id=item.id, slug=slugify(item.title),
                   **values)


def absolute(path: str) -> str:
    """Return path on the site's public address (BASE_URL), never the request's host."""
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.context_processor
def _showcase_helpers() -> dict:
    return {"detail_url": detail_url, "absolute": absolute, "slugify": slugify,
            "event_labels": event_labels}


def _chains() -> list[Chain]:
    return db.session.scalars(select(Chain).where(Chain.is_active)
                              .options(selectinload(Chain.segments)).order_by(Chain.id)).all()


def _regions() -> list[Region]:
    return db.session.scalars(select(Region).order_by(Region.id)).all()


# --- home -------------------------------------------------------------------------------------

def _counts_by_chain(model, statuses) -> dict[int | None, int]:
    stmt = (select(model.chain_id, func.count()).where(model.status.in_(statuses))
            .group_by(model.chain_id))
    return dict(db.session.execute(stmt).all())


@bp.route("/")
def home():
    today = clock.today()
    upcoming, _past = events.list_events(db.session, None, today=today)
    return render_template(
        "showcase/home.html", chains=_chains(),
        headline=figures.headline(
            db.session, today=today,
            value_min_contracts=current_app.config["SHOWCASE_VALUE_MIN_CONTRACTS"]),
        projects=figures.landed_projects(db.session),
        outputs=_counts_by_chain(ResearchOutput, public.LISTED_OUTPUT_STATUSES),
        needs=_counts_by_chain(TechNeed, public.LISTED_NEED_STATUSES),
        upcoming=upcoming[:4])


# --- catalogue ----------------------------------------------------------------------------------

def _filters(chains: list[Chain], regions: list[Region], *, chain: Chain | None = None,
             challenges_only: bool = False) -> public.CatalogueFilters:
    """Read the catalogue's filters from the query string; values that cannot apply are
    dropped (a page never fails on a hand-written query)."""
    args = request.args
    chain = chain or next((c for c in chains if c.key == args.get("chain")), None)
    segment = bounded_int(args.get("segment"), 1, ID_MAX)
    if segment not in {s.id for c in ([chain] if chain else chains) for s in c.segments}:
        segment = None
    mode, region = args.get("mode", ""), args.get("region", "")
    return public.CatalogueFilters(
        q=args.get("q", "").strip()[:100], chain=chain.key if chain else "", segment=segment,
        trl_from=bounded_int(args.get("trl_from"), TRL_MIN, TRL_MAX),
        trl_to=bounded_int(args.get("trl_to"), TRL_MIN, TRL_MAX),
        mode=mode if mode in labels.TRANSFER_MODE else "",
        region=region if region in {r.name for r in regions} else "",
        challenges_only=challenges_only)


def _catalogue(side: Side, *, challenges_only: bool = False, chain: Chain | None = None):
    chains, regions = _chains(), _regions()
    filters = _filters(chains, regions, chain=chain, challenges_only=challenges_only)
    synonyms = synonym_groups(chains) if filters.q else ()
    query = (public.outputs_query(filters, synonyms) if side == Side.OUTPUT
             else public.needs_query(filters, synonyms))
    page = paginate_capped(db.session, query, page=page_number(),
                           per_page=current_app.config["PAGE_SIZE"])
    items = [public.to_public(row) for row in page.items]
    return chains, regions, filters, page, items


def _render_catalogue(side: Side, endpoint: str, *, challenges_only: bool = False):
    chains, regions, filters, page, items = _catalogue(side, challenges_only=challenges_only)
    return render_template("showcase/catalogue.html", side=side, endpoint=endpoint,
                           chains=chains, regions=regions, filters=filters, page=page,
                           items=items, challenges_only=challenges_only)


@bp.route("/outputs")
def outputs():
    return _render_catalogue(Side.OUTPUT, "showcase.outputs")


@bp.route("/needs")
def needs():
    return _render_catalogue(Side.NEED, "showcase.needs")


@bp.route("/challenges")
def challenges():
    return _render_catalogue(Side.NEED, "showcase.challenges", challenges_only=True)


@bp.route("/chains/<key>")
def chain(key: str):
    found = db.session.scalar(select(Chain).where(Chain.key == key, Chain.is_active)
                              .options(selectinload(Chain.segments)))
    if found is None:
        abort(404)
    latest = public.CatalogueFilters(chain=found.key)
    outputs_rows = db.session.scalars(public.outputs_query(latest).limit(6)).unique().all()
    needs_rows = db.session.scalars(public.needs_query(latest).limit(6)).unique().all()
    upcoming, _past = events.list_events(db.session, None, chain_id=found.id,
                                         today=clock.today())
    segment_outputs = dict(db.session.execute(
        select(ResearchOutput.segment_id, func.count())
        .where(ResearchOutput.status.in_(public.LISTED_OUTPUT_STATUSES),
               ResearchOutput.chain_id == found.id).group_by(ResearchOutput.segment_id)).all())
    segment_needs = dict(db.session.execute(
        select(TechNeed.segment_id, func.count())
        .where(TechNeed.status.in_(public.LISTED_NEED_STATUSES),
               TechNeed.chain_id == found.id).group_by(TechNeed.segment_id)).all())
    return render_template(
        "showcase/chain.html", chain=found,
        outputs=[public.public_output(r) for r in outputs_rows],
        needs=[public.public_need(r) for r in needs_rows],
        segment_outputs=segment_outputs, segment_needs=segment_needs,
        projects=figures.landed_projects(db.session, chain=found), upcoming=upcoming[:4])


# --- listing pages and the contact form ---------------------------------------------------------

def _visible(side: Side, item_id: int):
    """Return the listing row behind a public page; 404 for one its owner has not made public
    (its existence is not revealed)."""
    row = db.session.get(MODELS[side], item_id)
    if row is None or not public.is_visible(row):
        abort(404)
    return row


def _detail(side: Side, item_id: int, slug: str | None, form: ContactForm | None = None,
            status: int = 200):
    row = _visible(side, item_id)
    item = public.to_public(row)
    # The id alone also serves the page (its canonical link names the slug); a slug that is
    # no longer the title's (the title changed) moves to the current one.
    if form is None and slug is not None and slug != slugify(item.title):
        return redirect(detail_url(item), code=301)
    return render_template("showcase/detail.html", item=item, side=side,
                           form=form or ContactForm(), sent=request.args.get("sent") == "1"
                           ), status


@bp.route("/outputs/<id:item_id>")
@bp.route("/outputs/<id:item_id>/<slug>")
def output(item_id: int, slug: str | None = None):
    return _detail(Side.OUTPUT, item_id, slug)


@bp.route("/needs/<id:item_id>")
@bp.route("/needs/<id:item_id>/<slug>")
def need(item_id: int, slug: str | None = None):
    return _detail(Side.NEED, item_id, slug)


def _contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


@bp.route("/contact/<side>/<id:item_id>", methods=["POST"])
@limiter.limit(_contact_limit, methods=["POST"])
def send_contact(side: str, item_id: int):
    if side not in MODELS:
        abort(404)
    side = Side(side)
    row = _visible(side, item_id)
    form = ContactForm()
    if form.is_robot():
        # Accepted as if sent, so that the robot learns nothing; never stored.
        log.warning("showcase contact honeypot filled: %s %s from %s", side, item_id,
                    contact.hash_address(request.remote_addr or "",
                                         current_app.config["SECRET_KEY"])[:12])
        return redirect(detail_url(row, sent=1, _anchor="contact"))
    if not form.validate_on_submit():
        return _detail(side, item_id, None, form=form, status=400)
    contact.create_contact_request(
        db.session, row, contact.ContactData(
            name=form.name.data.strip(), organisation=(form.organisation.data or "").strip(),
            email=form.email.data, phone=form.phone.data, message=form.message.data.strip(),
            locale=_current_locale()),
        ip_hash=contact.hash_address(request.remote_addr or "",
                                     current_app.config["SECRET_KEY"]))
    db.session.commit()
    return redirect(detail_url(row, sent=1, _anchor="contact"))


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")[:5]


@bp.route("/contact-requests/<id:request_id>/handled", methods=["POST"])
@login_required
def mark_handled(request_id: int):
    found = contact.get_contact_request(db.session, request_id, viewer=current_user)
    contact.mark_contact_request_handled(db.session, found, actor=current_user)
    db.session.commit()
    flash(_("Marked as handled."), "success")
    return redirect(url_for("pipeline.today"))


# --- the event calendar -------------------------------------------------------------------------

@bp.route("/events")
def calendar():
    upcoming, past = events.list_events(db.session, None, today=clock.today())
    past = past[:20]
    results = {event.id: event_results(db.session, event) for event in past}
    return render_template("showcase/events.html", upcoming=upcoming, past=past,
                           results=results)
