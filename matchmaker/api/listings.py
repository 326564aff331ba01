"""/api/v1/outputs and /api/v1/needs: research outputs and technology needs.

Writes go through the web's own path: the JSON is given to the same WTForms form the edit page
uses (its shape rules and messages, in the caller's language), the form's data to the same
service (profiles.services: permissions, business rules, signals that refresh matches), and
the version read (If-Match) to the service's optimistic lock. A PATCH merges the fields sent
with the record's current values, so the form sees a whole listing, as on the edit page.
"""
from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict

from matchmaker import permissions
from matchmaker.api import common, schemas
from matchmaker.api.problems import ApiProblem
from matchmaker.domain import Side
from matchmaker.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.permissions import Action
from matchmaker.profiles import services
from matchmaker.profiles import views as web
from matchmaker.recommendations import services as recommendations

# --- JSON <-> the web form ---------------------------------------------------------------

def _money(value) -> str:
    return "" if value is None else str(value)


def current_values(item) -> dict:
    """Return item's editable fields in the API's input shape (what a PATCH starts from)."""
    common = {"title": item.title, "keywords": list(item.keywords), "modes": list(item.modes),
              "chain": item.chain.key if item.chain else None, "segment": item.segment_id}
    if item.side == Side.OUTPUT:
        return {**common, "abstract": item.abstract, "trl": item.trl,
                "inventors": list(item.inventors), "reform_status": item.reform_status,
                "patents": [{"number": p.number, "ipc": list(p.ipc_codes), "status": p.status}
                            for p in item.patents],
                "price_min": item.price_min, "price_max": item.price_max}
    return {**common, "description": item.description, "min_trl": item.min_trl,
            "budget_min": item.budget_min, "budget_max": item.budget_max,
            "deadline": item.deadline, "region": item.region.name if item.region else None,
            "is_challenge": item.is_challenge, "prize": item.prize}


def formdata(values: dict) -> MultiDict:
    """Return values (the API's input shape) as the form fields of the edit page."""
    data = MultiDict()
    for name, value in values.items():
        if value is None or name in ("institution_id", "enterprise_id"):
            continue
        if name == "modes":
            for mode in value:
                data.add(name, mode)
        elif name in ("keywords", "inventors"):
            data.add(name, ", ".join(value))
        elif name == "patents":
            data.add(name, "\n".join(f"{p['number']}; {', '.join(p['ipc'])}; {p['status']}"
                                     for p in value))
        elif name == "is_challenge":
            if value:
                data.add(name, "y")
        elif name in ("price_min", "price_max", "budget_min", "budget_max", "prize"):
            data.add(name, _money(value))
        elif name == "deadline":
            data.add(name, value.isoformat())
        else:
            data.add(name, str(value))
    return data


def validated_data(kind: web.Kind, values: dict):
    """Run the edit page's form on values; return the service's data or raise a 422."""
    form = kind.form(formdata=formdata(values), meta={"csrf": False})
    web.prepare_form(kind, form)
    if not form.validate():
        errors = [{"field": name, "detail": str(message)}
                  for name, messages in form.errors.items() if name is not None
                  for message in messages]
        errors += [{"field": None, "detail": str(m)} for m in form.form_errors]
        raise ApiProblem(422, "invalid_input", _("The request has invalid fields; see errors."),
                         errors=errors)
    return kind.to_data(form)


def service_errors(error: ValidationFailedError) -> ApiProblem:
    """Return the 422 of a service's refusal, each reason in the caller's language."""
    if isinstance(error, services.NotPublishableError):
        errors = [{"field": s.field, "detail": web.shortfall_text(s)} for s in error.shortfalls]
        return ApiProblem(422, "not_publishable", _(
            "A published listing must keep enough content to be matched; see errors."),
            errors=errors)
    errors = [{"field": field, "detail": web.FIELD_ERRORS[code]() if code in web.FIELD_ERRORS
               else str(code)} for field, code in error.reasons.items()]
    return ApiProblem(422, "invalid_input", _("The request has invalid fields; see errors."),
                      errors=errors)


def _owner_org(kind: web.Kind, args: dict):
    """The organisation a new listing is for: the caller's; operators name one."""
    key, model = (("institution_id", Institution) if kind.side == Side.OUTPUT
                  else ("enterprise_id", Enterprise))
    if not permissions.may_create(current_user, kind.side):
        raise PermissionDeniedError(kind.side)
    if not permissions.is_admin(current_user):
        return None  # the service takes the caller's own organisation
    org = db.session.get(model, args[key]) if args.get(key) else None
    if org is None:
        raise ApiProblem(422, "invalid_input", _("The request has invalid fields; see errors."),
                         errors=[{"field": key, "detail": _(
                             "Operators name the organisation the listing belongs to.")}])
    return org


# --- the resources -----------------------------------------------------------------------

def make_blueprint(kind: web.Kind, *, query, create, update, out, page) -> Blueprint:
    """Build the list, create, read, update, status and matches endpoints of kind."""
    noun = "output" if kind.side == Side.OUTPUT else "need"
    blp = Blueprint(f"api-{kind.name}", __name__, url_prefix=f"/api/v1/{kind.name}",
                    description=("Research outputs (科技成果)" if kind.side == Side.OUTPUT
                                 else "Technology needs (技术需求)"))

    @blp.route("/")
    class Collection(MethodView):
        @blp.arguments(query, location="query")
        @blp.response(200, page)
        def get(self, args):
            """List the records visible to the caller.

            Filters: chain (key), status, updated_since, q (search). Sort: sort."""
            filters = services.ListFilters(q=args.get("q", "").strip(),
                                           chain=args.get("chain", ""),
                                           status=args.get("status", ""))
            stmt = kind.list_query(filters, viewer=current_user)
            stmt = common.since(stmt, kind.model.updated_at, args.get("updated_since"))
            stmt = common.sorted_by(stmt, kind.model, args["sort"])
            return common.paginate(db.session, stmt, page=args["page"],
                                   per_page=args["per_page"])

        @blp.arguments(create)
        @blp.response(201, out, headers=common.ETAG_HEADER)
        def post(self, args):
            """Create a draft (write scope; institutions for outputs, enterprises for needs,
            operators for either, naming the organisation)."""
            org = _owner_org(kind, args)
            # What the new-listing page preselects (its select always sends a value).
            defaults = {"reform_status": "none"} if kind.side == Side.OUTPUT else {}
            data = validated_data(kind, {**defaults, **args})
            extra = {("institution" if kind.side == Side.OUTPUT else "enterprise"): org} \
                if org is not None else {}
            try:
                item = kind.create(db.session, data, owner=current_user, **extra)
            except ValidationFailedError as error:
                db.session.rollback()
                raise service_errors(error) from error
            db.session.commit()
            return common.with_etag(item, 201, {"Location": f"/api/v1/{kind.name}/{item.id}"})

    @blp.route("/<int:item_id>")
    class Item(MethodView):
        @blp.response(200, out, headers=common.ETAG_HEADER)
        def get(self, item_id):
            """Read one record; its ETag is the version If-Match must name."""
            return common.with_etag(kind.get(db.session, item_id, viewer=current_user))

        @blp.arguments(update)
        @blp.response(200, out, headers=common.ETAG_HEADER)
        @blp.doc(parameters=[common.IF_MATCH])
        def patch(self, args, item_id):
            """Change some fields (write scope; the owning organisation or an operator).
            Needs If-Match: 428 without it, 412 if the record changed since."""
            item = kind.get(db.session, item_id, viewer=current_user)
            permissions.require(current_user, Action.EDIT, item)
            version = common.require_if_match(item)
            data = validated_data(kind, {**current_values(item), **args})
            try:
                kind.update(db.session, item, data, editor=current_user, version=version)
            except ValidationFailedError as error:
                db.session.rollback()
                raise service_errors(error) from error
            db.session.commit()
            return common.with_etag(item)

    @blp.route("/<int:item_id>/status", methods=["POST"])
    @blp.arguments(schemas.StatusChange)
    @blp.response(200, out, headers=common.ETAG_HEADER)
    @blp.doc(parameters=[common.IF_MATCH])
    def change_status(args, item_id):
        """Publish, withdraw, close… (write scope; the owner or an operator; If-Match).
        409 when the move is not allowed from the current status."""
        item = kind.get(db.session, item_id, viewer=current_user)
        permissions.require(current_user, Action.EDIT, item)
        common.require_if_match(item)
        if args["status"] not in kind.statuses:
            raise ApiProblem(422, "invalid_input", _("The request has invalid fields; see "
                                                     "errors."),
                             errors=[{"field": "status", "detail": _("Unknown status.")}])
        try:
            kind.change_status(db.session, item, args["status"], editor=current_user)
        except ValidationFailedError as error:
            db.session.rollback()
            raise service_errors(error) from error
        db.session.commit()
        return common.with_etag(item)

    @blp.route("/<int:item_id>/matches")
    @blp.arguments(schemas.MatchQuery, location="query")
    @blp.response(200, schemas.MatchListOut)
    def matches(args, item_id):
        """The stored matches of the record at or above the quality floor (weaker=true: all),
        best first, with score (match quality), raw score, parts and explanation (the owning
        organisation, brokers and operators)."""
        item = kind.get(db.session, item_id, viewer=current_user)
        if not permissions.can(current_user, Action.SEE_MATCHES, item):
            raise NotFoundError(item_id)
        found = recommendations.list_matches(
            db.session, kind.side, item, limit=current_app.config.get("MATCH_LIMIT", 10),
            floor=current_app.config.get("MATCH_FLOOR", 0.0), weaker=args["weaker"])
        return {"state": found.state, "computed_at": found.computed_at, "notice": found.notice,
                "floor": found.floor, "good": found.good, "weaker": found.weaker,
                "items": [{"rank": rank, "need_id": r.need_id, "output_id": r.output_id,
                           "score": r.quality, "raw_score": float(r.match.score),
                           "below_floor": r.is_weak, "parts": dict(r.match.parts),
                           "explanation": dict(r.match.explanation or {})}
                          for rank, r in enumerate(found.items, 1)]}

    matches.__doc__ = matches.__doc__.replace("record", noun)
    return blp


outputs = make_blueprint(web.OUTPUTS, query=schemas.OutputQuery, create=schemas.OutputCreate,
                         update=schemas.OutputInput, out=schemas.OutputOut,
                         page=schemas.OutputPage)
needs = make_blueprint(web.NEEDS, query=schemas.NeedQuery, create=schemas.NeedCreate,
                       update=schemas.NeedInput, out=schemas.NeedOut, page=schemas.NeedPage)
