"""/api/v1/institutions, /enterprises, /chains (read only) and /deals (brokers and operators).

Organisations and active chains are public on the site; through the API they are read with
any token. Deals are the pipeline's: only brokers (the deals they work on) and operators (all)
use this resource; a party's members follow their deals on the site.
"""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from matchmaker import permissions
from matchmaker.api import common, schemas
from matchmaker.api.problems import ApiProblem
from matchmaker.chains.models import Chain
from matchmaker.errors import NotFoundError
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.permissions import Action
from matchmaker.pipeline import services as pipeline
from matchmaker.pipeline.forms import DealFieldsForm, NextStepForm
from matchmaker.pipeline.models import Deal


def _org_blueprint(model, name: str, description: str, out, page) -> Blueprint:
    blp = Blueprint(f"api-{name}", __name__, url_prefix=f"/api/v1/{name}",
                    description=description)

    @blp.route("/")
    @blp.arguments(schemas.OrgQuery, location="query")
    @blp.response(200, page)
    def index(args):
        """List them; q searches the Chinese and English names and aliases' text."""
        stmt = select(model)
        if args.get("q"):
            text = args["q"].strip()
            stmt = stmt.where(or_(model.name.contains(text, autoescape=True),
                                  model.name_en.contains(text, autoescape=True)))
        if args.get("region"):
            stmt = stmt.where(model.region.has(Region.name == args["region"]))
        sort = args["sort"]
        order = {"id": model.id, "-id": model.id.desc(), "name": model.name}[sort]
        return common.paginate(db.session, stmt.order_by(order, model.id), page=args["page"],
                               per_page=args["per_page"])

    @blp.route("/<int:org_id>")
    @blp.response(200, out)
    def detail(org_id):
        """Read one."""
        org = db.session.get(model, org_id)
        if org is None:
            raise NotFoundError(org_id)
        permissions.require(current_user, Action.VIEW, org)
        return org

    return blp


institutions = _org_blueprint(Institution, "institutions", "Universities and institutes",
                              schemas.InstitutionOut, schemas.InstitutionPage)
enterprises = _org_blueprint(Enterprise, "enterprises", "Enterprises",
                             schemas.EnterpriseOut, schemas.EnterprisePage)

chains = Blueprint("api-chains", __name__, url_prefix="/api/v1/chains",
                   description="Sector chains (产业链) and their segments")


def _visible_chains():
    stmt = select(Chain).options(selectinload(Chain.segments)).order_by(Chain.id)
    if not permissions.is_admin(current_user):
        stmt = stmt.where(Chain.is_active)
    return stmt


@chains.route("/")
@chains.response(200, schemas.ChainList)
def chain_index():
    """The active chains (operators also see inactive ones), with their segments."""
    return {"items": db.session.scalars(_visible_chains()).all()}


@chains.route("/<string(maxlength=40):key>")
@chains.response(200, schemas.ChainOut)
def chain_detail(key):
    """One chain by its key."""
    chain = db.session.scalar(_visible_chains().where(Chain.key == key))
    if chain is None:
        raise NotFoundError(key)
    return chain


# --- deals -------------------------------------------------------------------------------

deals = Blueprint("api-deals", __name__, url_prefix="/api/v1/deals",
                  description="Deals (项目) in the pipeline: brokers and operators only")


def _staff_only() -> None:
    if not permissions.is_staff(current_user):
        raise ApiProblem(403, "forbidden", _("Only brokers and operators use the deals "
                                             "resource."))


def _get_deal(deal_id: int) -> Deal:
    _staff_only()
    deal = pipeline.get_deal(db.session, deal_id, viewer=current_user)
    return deal


@deals.route("/")
class DealCollection(MethodView):
    @deals.arguments(schemas.DealQuery, location="query")
    @deals.response(200, schemas.DealPage)
    def get(self, args):
        """The deals the caller works on (operators: all). Filters: chain, stage, status
        (open / closed), updated_since. Lost deals are included."""
        _staff_only()
        filters = pipeline.DealFilters(chain=args.get("chain", ""), stage=args.get("stage", ""),
                              include_lost=True)
        stmt = pipeline.list_deals_query(current_user, filters)
        if args.get("status"):
            stmt = stmt.where(Deal.is_open == (args["status"] == "open"))
        stmt = common.since(stmt, Deal.updated_at, args.get("updated_since"))
        stmt = common.sorted_by(stmt, Deal, args["sort"])
        return common.paginate(db.session, stmt, page=args["page"], per_page=args["per_page"])


@deals.route("/<int:deal_id>")
class DealItem(MethodView):
    @deals.response(200, schemas.DealOut, headers=common.ETAG_HEADER)
    def get(self, deal_id):
        """Read one deal; its ETag is the version If-Match names on a change."""
        return common.with_etag(_get_deal(deal_id))

    @deals.arguments(schemas.DealUpdate)
    @deals.response(200, schemas.DealOut, headers=common.ETAG_HEADER)
    @deals.doc(parameters=[common.IF_MATCH])
    def patch(self, args, deal_id):
        """Change the deal's fields and its next step, as the deal page does (write scope;
        its brokers and operators; If-Match). Each change is written to its history."""
        deal = _get_deal(deal_id)
        permissions.require(current_user, Action.EDIT, deal)
        version = common.require_if_match(deal)
        fields_form = _deal_form(DealFieldsForm, {**_deal_values(deal), **args})
        step_form = _deal_form(NextStepForm, {"next_step": deal.next_step,
                                              "next_step_due": deal.next_step_due, **args})
        try:
            pipeline.update_deal(db.session, deal, actor=current_user, version=version,
                                 **fields_form.to_changes())
            if {"next_step", "next_step_due"} & set(args):
                pipeline.set_next_step(db.session, deal, step_form.next_step.data,
                                       step_form.next_step_due.data, actor=current_user)
        except pipeline.RefusedError as error:
            db.session.rollback()
            raise _refused(error) from error
        db.session.commit()
        return common.with_etag(deal)


_DEAL_FIELDS = ("title", "expected_value", "probability", "ip_checked", "team_willing",
                "reform_status", "transfer_mode", "price", "payment_kind", "terms_note",
                "showcase_material")


def _deal_values(deal: Deal) -> dict:
    return {name: getattr(deal, name) for name in _DEAL_FIELDS}


def _deal_form(form_class, values: dict):
    """Run the deal page's form on values (the API's input shape); raise a 422."""
    data = MultiDict()
    for name, value in values.items():
        if value is None or value is False:  # an empty field; an unticked box sends nothing
            continue
        data.add(name, "y" if value is True else
                 value.isoformat() if hasattr(value, "isoformat") else str(value))
    form = form_class(formdata=data, meta={"csrf": False})
    if not form.validate():
        raise ApiProblem(422, "invalid_input", _("The request has invalid fields; see errors."),
                         errors=[{"field": name, "detail": str(message)}
                                 for name, messages in form.errors.items() if name
                                 for message in messages])
    return form


def _refused(error) -> ApiProblem:
    return ApiProblem(422, "refused", _("The pipeline's rules refuse this change; see errors."),
                      errors=[{"field": field, "detail": str(message)}
                              for field, message in error.reasons.items()])


@deals.route("/<int:deal_id>/stage", methods=["POST"])
@deals.arguments(schemas.StageMove)
@deals.response(200, schemas.DealOut, headers=common.ETAG_HEADER)
@deals.doc(parameters=[common.IF_MATCH])
def move_stage(args, deal_id):
    """Move the deal to another stage, as the board does (write scope; its brokers and
    operators; If-Match). The pipeline's rules decide: a refused move is a 422 naming what
    is missing, and the move is written to the deal's history."""
    deal = _get_deal(deal_id)
    permissions.require(current_user, Action.EDIT, deal)
    version = common.require_if_match(deal)
    try:
        pipeline.move_deal(db.session, deal, args["stage"], actor=current_user,
                           reason=args.get("reason") or "", lost_reason=args.get("lost_reason"),
                           version=version)
    except pipeline.RefusedError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return common.with_etag(deal)
