"""Pages for research outputs (/outputs) and technology needs (/needs).

Both sides share one set of thin views; a Kind record names what differs. Who may do what is
asked of matchmaker.permissions; what higher features show on a listing's page (its matches,
its deals) they register as detail blocks (profiles.blocks), so this module imports none of them.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from matchmaker import labels, permissions
from matchmaker.blocks import register_block, render_detail_blocks
from matchmaker.chains.models import Chain
from matchmaker.domain import NEED_TRANSITIONS, OUTPUT_TRANSITIONS, TRL_MAX, TRL_MIN, Role, Side
from matchmaker.errors import (
    InvalidTransitionError,
    PermissionDeniedError,
    StaleObjectError,
    ValidationFailedError,
)
from matchmaker.extensions import db
from matchmaker.orgs.models import Region
from matchmaker.permissions import Action
from matchmaker.profiles import services
from matchmaker.profiles.forms import NeedForm, OutputForm
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.publishing import Shortfall
from matchmaker.routing import ID_MAX, bounded_int, page_number, paginate_capped
from matchmaker.templating import localized

FIELD_ERRORS = {
    "unknown_chain": lambda: _("Unknown sector chain."),
    "segment_not_in_chain": lambda: _("This segment does not belong to the chosen chain."),
    "unknown_region": lambda: _("Unknown region."),
}


@dataclass(frozen=True)
class Kind:
    side: Side
    blueprint: str  # also the URL prefix: /outputs, /needs
    owner_role: Role  # the accounts whose organisations own listings of this side
    model: type
    form: type
    statuses: dict
    transitions: dict
    get: Callable
    create: Callable
    update: Callable
    change_status: Callable
    list_query: Callable
    to_data: Callable

    @property
    def name(self) -> str:
        """Return the blueprint name (templates build endpoints from it)."""
        return self.blueprint


def _without_patents(stmt):
    """A list card shows no patents: do not load them for each page (a query per page)."""
    entity = stmt.column_descriptions[0]["entity"]
    return stmt.options(lazyload(entity.patents)) if hasattr(entity, "patents") else stmt


def _output_data(form: OutputForm) -> services.OutputData:
    return services.OutputData(
        title=form.title.data, abstract=form.abstract.data, trl=form.trl.data,
        modes=form.modes.data, keywords=form.keywords.data, inventors=form.inventors.data,
        chain_key=form.chain.data or None, segment_id=int(form.segment.data or 0) or None,
        patents=form.patents.data, price_min=form.price_min.data, price_max=form.price_max.data,
        reform_status=form.reform_status.data)


def _need_data(form: NeedForm) -> services.NeedData:
    return services.NeedData(
        title=form.title.data, description=form.description.data, modes=form.modes.data,
        keywords=form.keywords.data, chain_key=form.chain.data or None,
        segment_id=int(form.segment.data or 0) or None, min_trl=form.min_trl.data,
        budget_min=form.budget_min.data, budget_max=form.budget_max.data,
        deadline=form.deadline.data, region_name=form.region.data or None,
        is_challenge=form.is_challenge.data, prize=form.prize.data)


OUTPUTS = Kind(Side.OUTPUT, "outputs", Role.INSTITUTION, ResearchOutput, OutputForm,
               labels.OUTPUT_STATUS, OUTPUT_TRANSITIONS,
               services.get_output, services.create_output, services.update_output,
               services.change_output_status, services.list_outputs_query, _output_data)
NEEDS = Kind(Side.NEED, "needs", Role.ENTERPRISE, TechNeed, NeedForm,
             labels.NEED_STATUS, NEED_TRANSITIONS,
             services.get_need, services.create_need, services.update_need,
             services.change_need_status, services.list_needs_query, _need_data)
KINDS = {kind.side: kind for kind in (OUTPUTS, NEEDS)}


def may_list_here(viewer, kind: Kind) -> bool:
    """Return whether viewer may create a listing of kind through the form: the form creates it
    for the viewer's own organisation, so operators (who name one) use the API or importer."""
    org = viewer.institution_id if kind.side == Side.OUTPUT else viewer.enterprise_id
    return permissions.may_create(viewer, kind.side) and org is not None


def listing_url(item, endpoint: str = "detail", **values) -> str:
    """Return the URL of a listing's page (or another endpoint of its blueprint)."""
    return url_for(f"{KINDS[item.side].blueprint}.{endpoint}", item_id=item.id, **values)


# Statuses a listing only gets through a deal (pipeline.services owns them).
DEAL_OWNED_STATUSES = {"under_negotiation", "transferred", "matched", "solved"}


def shortfall_text(shortfall: Shortfall) -> str:
    """Return what is missing before publishing, in the user's language."""
    n, field = shortfall.missing, shortfall.field
    if field == "title" and shortfall.measure == "chars":
        return ngettext("The title needs at least %(min)d characters: %(num)d more.",
                        "The title needs at least %(min)d characters: %(num)d more.",
                        n, min=shortfall.required)
    if field == "title":
        return ngettext(
            "The title needs %(num)d more specific term: name the technology and its use.",
            "The title needs %(num)d more specific terms: name the technology and its use.", n)
    if field == "abstract" and shortfall.measure == "chars":
        return ngettext("The abstract needs at least %(num)d more character about the output.",
                        "The abstract needs at least %(num)d more characters about the output.", n)
    if field == "abstract":
        return ngettext(
            "The abstract needs %(num)d more specific term about the output, such as materials, "
            "methods, figures or uses.",
            "The abstract needs %(num)d more specific terms about the output, such as materials, "
            "methods, figures or uses.", n)
    if shortfall.measure == "chars":
        return ngettext(
            "The description needs at least %(num)d more character about the problem.",
            "The description needs at least %(num)d more characters about the problem.", n)
    return ngettext(
        "The description needs %(num)d more specific term about the problem, such as equipment, "
        "materials, figures or targets.",
        "The description needs %(num)d more specific terms about the problem, such as "
        "equipment, materials, figures or targets.", n)


def _active_chains() -> list[Chain]:
    # Joined, not a second statement: a few dozen segment rows, on every list page.
    return db.session.scalars(select(Chain).where(Chain.is_active)
                              .options(joinedload(Chain.segments)).order_by(Chain.id)
                              ).unique().all()


def _filters(kind: Kind, chains: list[Chain], regions: list[Region]) -> services.ListFilters:
    """Read the list filters from the query string; values that cannot apply are dropped."""
    args = request.args
    chain = next((c for c in chains if c.key == args.get("chain")), None)
    segment = bounded_int(args.get("segment"), 1, ID_MAX)
    if segment not in {s.id for c in ([chain] if chain else chains) for s in c.segments}:
        segment = None
    mode, region, status = args.get("mode", ""), args.get("region", ""), args.get("status", "")
    return services.ListFilters(
        q=args.get("q", "").strip()[:100], chain=chain.key if chain else "", segment=segment,
        trl_from=bounded_int(args.get("trl_from"), TRL_MIN, TRL_MAX),
        trl_to=bounded_int(args.get("trl_to"), TRL_MIN, TRL_MAX),
        mode=mode if mode in labels.TRANSFER_MODE else "",
        region=region if region in {r.name for r in regions} else "",
        status=status if status in kind.statuses else "",
        mine=args.get("mine") == "1")


def list_query_from_request(kind: Kind, viewer):
    """Return the list query the page at kind's index would show viewer for this request's
    query string (filters and search), for the list's exports (matchmaker.exports)."""
    chains = _active_chains()
    regions = db.session.scalars(select(Region).order_by(Region.id)).all()
    filters = _filters(kind, chains, regions)
    synonyms = services.synonym_groups(chains) if filters.q else ()
    return kind.list_query(filters, viewer=viewer, synonyms=synonyms)


def prepare_form(kind: Kind, form) -> None:
    """Give an output or need form the choices the edit page offers (active chains and their
    segments, regions for a need): the web page, the REST API and the importer validate alike."""
    form.set_chain_choices(_active_chains())
    form.mark_languages()
    if kind.side == Side.NEED:
        regions = db.session.scalars(select(Region).order_by(Region.id)).all()
        form.region.choices = [SelectChoice("", _("— anywhere —"))] + [
            SelectChoice(r.name, localized(r)) for r in regions]


def _save(kind: Kind, form, obj=None):
    """Validate and save form; return the saved object or None (errors are on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        if obj is None:
            obj = kind.create(db.session, kind.to_data(form), owner=current_user)
        else:
            kind.update(db.session, obj, kind.to_data(form), editor=current_user,
                        version=form.version_number)
    except services.NotPublishableError as error:
        db.session.rollback()
        for shortfall in error.shortfalls:
            form[shortfall.field].errors.append(shortfall_text(shortfall))
        form.form_errors.append(_("A published listing must keep enough content to be matched. "
                                  "Add to the marked fields, or withdraw or close it first."))
        return None
    except ValidationFailedError as error:
        db.session.rollback()
        for field, code in error.reasons.items():
            form[field].errors.append(FIELD_ERRORS[code]())
        return None
    except (StaleObjectError, StaleDataError):
        db.session.rollback()
        form.form_errors.append(_("Someone else saved this record after you opened it. "
                                  "Reload the page to see their changes, then edit again."))
        return None
    db.session.commit()
    return obj


def make_blueprint(kind: Kind) -> Blueprint:
    """Build the list/detail/new/edit/status views for kind."""
    bp = Blueprint(kind.name, __name__, url_prefix=f"/{kind.name}")

    @bp.route("/")
    @login_required
    def index():
        chains = _active_chains()
        regions = db.session.scalars(select(Region).order_by(Region.id)).all()
        filters = _filters(kind, chains, regions)
        synonyms = services.synonym_groups(chains) if filters.q else ()
        page = paginate_capped(db.session,
                               _without_patents(kind.list_query(filters, viewer=current_user,
                                                                synonyms=synonyms)),
                               page=page_number(), per_page=current_app.config["PAGE_SIZE"])
        return render_template(f"profiles/{kind.name}_list.html", page=page, filters=filters,
                               chains=chains, regions=regions, kind=kind,
                               may_create=may_list_here(current_user, kind))

    @bp.route("/<id:item_id>")
    @login_required
    def detail(item_id: int):
        item = kind.get(db.session, item_id, viewer=current_user)
        allowed = kind.transitions[item.status]
        blockers = ([shortfall_text(s) for s in services.list_publish_shortfalls(item)]
                    if permissions.can(current_user, Action.EDIT, item)
                    and "published" in allowed else [])
        page = render_template(f"profiles/{kind.name}_detail.html", item=item, kind=kind,
                               allowed=allowed, publish_blockers=blockers,
                               blocks=render_detail_blocks(item, kind=kind))
        db.session.commit()  # what a block recorded of this view (matches now seen)
        return page

    @bp.route("/new", methods=["GET", "POST"])
    @login_required
    def new():
        if not may_list_here(current_user, kind):
            raise PermissionDeniedError(kind.side)
        form = kind.form()
        prepare_form(kind, form)
        item = _save(kind, form)
        if item is not None:
            flash(_("Saved as a draft. Publish it when it is ready."), "success")
            return redirect(url_for(f"{kind.name}.detail", item_id=item.id))
        return render_template("profiles/edit.html", form=form, kind=kind, item=None)

    @bp.route("/<id:item_id>/edit", methods=["GET", "POST"])
    @login_required
    def edit(item_id: int):
        item = kind.get(db.session, item_id, viewer=current_user)
        permissions.require(current_user, Action.EDIT, item)
        form = kind.form(obj=None if request.method == "POST" else _form_values(kind, item))
        form.require_version = True
        prepare_form(kind, form)
        if _save(kind, form, item) is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for(f"{kind.name}.detail", item_id=item.id))
        return render_template("profiles/edit.html", form=form, kind=kind, item=item)

    @bp.route("/<id:item_id>/status", methods=["POST"])
    @login_required
    def change_status(item_id: int):
        item = kind.get(db.session, item_id, viewer=current_user)
        permissions.require(current_user, Action.EDIT, item)
        target = request.form.get("status", "")
        try:
            kind.change_status(db.session, item, target, editor=current_user)
        except services.NotPublishableError as error:
            db.session.rollback()
            flash(_("Not published yet: the listing needs more content to be matched."),
                  "danger")
            for shortfall in error.shortfalls:
                flash(shortfall_text(shortfall), "danger")
        except (InvalidTransitionError, ValueError):
            db.session.rollback()
            if target in DEAL_OWNED_STATUSES:  # see pipeline.services: deals own these
                flash(_("“%(status)s” is set by the broker’s deal once its technology contract "
                        "is recorded (counterparty, amount and date), not by hand. Ask the "
                        "broker working on it.", status=kind.statuses[target]), "danger")
            else:
                flash(_("That status change is not possible now."), "danger")
        else:
            db.session.commit()
            flash(_("Status changed to “%(status)s”.", status=kind.statuses[target]), "success")
        return redirect(url_for(f"{kind.name}.detail", item_id=item.id))

    return bp


class _Values:
    """Attribute bag used to pre-fill a form from a model row."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _form_values(kind: Kind, item) -> _Values:
    common = {"title": item.title, "keywords": item.keywords, "modes": list(item.modes),
              "chain": item.chain.key if item.chain else "",
              "segment": str(item.segment_id or ""), "version": str(item.version)}
    if kind.side == Side.OUTPUT:
        return _Values(**common, abstract=item.abstract, inventors=item.inventors, trl=item.trl,
                       patents=[{"number": p.number, "ipc": p.ipc_codes, "status": p.status}
                                for p in item.patents],
                       price_min=item.price_min, price_max=item.price_max,
                       reform_status=item.reform_status)
    return _Values(**common, description=item.description, min_trl=item.min_trl,
                   budget_min=item.budget_min, budget_max=item.budget_max,
                   deadline=item.deadline, region=item.region.name if item.region else "",
                   is_challenge=item.is_challenge, prize=item.prize)


outputs_bp = make_blueprint(OUTPUTS)
needs_bp = make_blueprint(NEEDS)
outputs_bp.add_app_template_global(listing_url)


def register_blocks(app: Flask) -> None:
    """Add an organisation's listings to the public institution and enterprise pages."""
    register_block(app, "org-outputs", "institution", "profiles/_org_outputs.html",
                   lambda org: {"items": services.list_org_outputs(db.session, org)})
    register_block(app, "org-needs", "enterprise", "profiles/_org_needs.html",
                   lambda org: {"items": services.list_org_needs(db.session, org,
                                                                 viewer=current_user)})
