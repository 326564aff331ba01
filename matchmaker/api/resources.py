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

from matchmaker import permissions
from matchmaker.api import common, schemas
from matchmaker.api.problems import ApiProblem
from matchmaker.chains.models import Chain
from matchmaker.errors import NotFoundError
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.permissions import Action
from matchmaker.pipeline import services as pipeline
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
@deals.response(200, schemas.DealOut, headers=common.ETAG_HEADER)
def deal_detail(deal_id):
    """Read one deal; its ETag is the version a stage move's If-Match names."""
    return common.with_etag(_get_deal(deal_id))


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
        raise ApiProblem(422, "refused", _("The pipeline's rules refuse this move; see "
                                           "errors."),
                         errors=[{"field": field, "detail": str(message)}
                                 for field, message in error.reasons.items()]) from error
    db.session.commit()
    return common.with_etag(deal)
