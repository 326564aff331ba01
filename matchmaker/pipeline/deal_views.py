"""A deal's page and its forms: move, fields, next step, snooze, activities and comments, tasks,
service tickets, NDA, contract, landing, co-brokers, reassignment.

Every POST answers with a redirect to the deal page and a flashed message (a refusal or the
stale-save message when something is wrong), except a move posted by the board's script, which
gets JSON (the card goes back when the move is refused)."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import labels, permissions
from matchmaker.auth.models import User
from matchmaker.domain import ActivityKind
from matchmaker.errors import NotFoundError, StaleObjectError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.forms_common import BaseForm, flash_form_errors
from matchmaker.orgs.models import Region
from matchmaker.permissions import Action
from matchmaker.pipeline import labels as deal_labels
from matchmaker.pipeline import pages, rules, services, writing
from matchmaker.pipeline.forms import (
    ActivityForm,
    BrokerChoiceForm,
    CommentForm,
    ContractForm,
    DealFieldsForm,
    LandingForm,
    MoveForm,
    NdaForm,
    NextStepForm,
    ReassignForm,
    SnoozeForm,
    TaskForm,
    TicketForm,
    TicketUpdateForm,
    VersionForm,
)
from matchmaker.pipeline.models import Deal
from matchmaker.pipeline.views import attempt, bp, stale_message


def _deal(deal_id: int) -> Deal:
    return services.get_deal(db.session, deal_id, viewer=current_user)


def _back(deal_id: int, anchor: str | None = None):
    return redirect(url_for("pipeline.detail", deal_id=deal_id, _anchor=anchor))


def _regions() -> list[Region]:
    return db.session.scalars(db.select(Region).order_by(Region.id)).all()


def _forms(deal: Deal) -> dict:
    """The page's forms, filled with what the deal holds now."""
    contract = deal.contract
    version = {"version": deal.version}
    landing = LandingForm(data={**version, "landing_name": deal.landing_name,
                                "landing_region": str(deal.landing_region_id or ""),
                                "landing_address": deal.landing_address,
                                "landed_on": deal.landed_on})
    landing.landing_region.choices = [("", _("— choose —"))] + [
        (str(r.id), r.name_en if _lang() == "en" and r.name_en else r.name) for r in _regions()]
    brokers = [(str(b.id), b.display_name) for b in pages.active_brokers(db.session)]
    co_broker, reassign = BrokerChoiceForm(), ReassignForm()
    co_broker.broker.choices = [b for b in brokers if int(b[0]) != deal.owner_id
                                and int(b[0]) not in deal.co_broker_ids]
    reassign.broker.choices = [b for b in brokers if int(b[0]) != deal.owner_id]
    return {
        "fields_form": DealFieldsForm(data={**version, **{
            name: getattr(deal, name) for name in DealFieldsForm.__dict__
            if not name.startswith("_") and hasattr(deal, name) and name != "version"}}),
        "next_step_form": NextStepForm(data={**version, "next_step": deal.next_step,
                                             "next_step_due": deal.next_step_due}),
        "snooze_form": SnoozeForm(data={**version, "snoozed_until": deal.snoozed_until,
                                        "snooze_reason": deal.snooze_reason}),
        "activity_form": ActivityForm(), "comment_form": CommentForm(), "task_form": TaskForm(),
        "ticket_form": TicketForm(),
        "nda_form": NdaForm(data={**version, "nda_status": deal.nda_status,
                                  "nda_expires_on": deal.nda_expires_on}),
        "contract_form": ContractForm(data={**version, **({
            name: getattr(contract, name) for name in ContractForm.FIELDS} if contract else {
            "seller_name": deal.output.institution.name if deal.output else "",
            "buyer_name": deal.need.enterprise.name if deal.need else ""})}),
        "landing_form": landing, "co_broker_form": co_broker, "reassign_form": reassign,
        "move_form": MoveForm(data=version),
    }


def _lang() -> str:
    from matchmaker.templating import current_language

    return current_language()


@bp.route("/<int:deal_id>")
@login_required
def detail(deal_id: int):
    deal = _deal(deal_id)
    may_edit = permissions.can(current_user, Action.EDIT, deal)
    stages = services.list_stages(db.session, active_only=False)
    overdue, stale = services.deal_flags(deal)
    timeline = pages.timeline(db.session, deal)
    context = {
        "deal": deal, "may_edit": may_edit, "stages": {s.key: s for s in stages},
        "overdue": overdue, "stale": stale,
        "probability": rules.probability(services.deal_facts(deal), services.stage_def(deal.stage)),
        "timeline": timeline,
        "tasks": pages.deal_tasks(db.session, deal),
        "tickets": pages.deal_tickets(db.session, deal),
        "confidential": services.may_see_confidential(current_user, deal),
        "landed_phase": rules.is_landing_or_later(services.stage_def(deal.stage)),
        "users": _history_users(timeline),
    }
    if may_edit:
        context.update(_forms(deal), moves=pages.move_options(db.session, deal),
                       ticket_update=TicketUpdateForm)
    else:
        context["comment_form"] = CommentForm()
    return render_template("pipeline/detail.html", **context)


def _history_users(timeline) -> dict[int, str]:
    """Return the names of the people the timeline's owner and co-broker rows name by id."""
    ids = {int(value) for row in timeline if row.field in ("owner", "co_broker")
           for value in (row.old_value, row.new_value) if value and value.isdigit()}
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(
        db.select(User).where(User.id.in_(ids)))}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _move_json(deal: Deal, form: MoveForm):
    if not form.validate():
        return jsonify(ok=False, messages=[str(e) for errors in form.errors.values()
                                           for e in errors]), 400
    try:
        services.move_deal(db.session, deal, form.stage.data, actor=current_user,
                           reason=form.reason.data or "", lost_reason=form.lost_reason.data or None,
                           version=form.version.data)
    except StaleObjectError:
        db.session.rollback()
        return jsonify(ok=False, stale=True, messages=[stale_message()]), 409
    except ValidationFailedError as error:
        db.session.rollback()
        return jsonify(ok=False, messages=[str(m) for m in error.reasons.values()]), 422
    db.session.commit()
    columns = services.board_summary(db.session, current_user)
    return jsonify(ok=True, version=deal.version, stage=deal.stage.key,
                   columns=pages.column_totals(columns))


@bp.route("/<int:deal_id>/move", methods=["POST"])
@login_required
def move(deal_id: int):
    deal = _deal(deal_id)
    permissions.require(current_user, Action.EDIT, deal)
    form = MoveForm()
    if _wants_json():
        return _move_json(deal, form)
    if form.validate_on_submit():
        attempt(lambda: services.move_deal(
            db.session, deal, form.stage.data, actor=current_user, reason=form.reason.data or "",
            lost_reason=form.lost_reason.data or None, version=form.version.data),
            _("Moved."))
    else:
        flash_form_errors(form)
    if request.form.get("back") == "board":
        return redirect(url_for("pipeline.board", _anchor=f"deal-{deal_id}"))
    return _back(deal_id, "stage")


def _post(deal_id: int, form_class, change, success: str, anchor: str, *,
          action: str = Action.EDIT):
    """Check the viewer may change the deal, validate form_class, run change(deal, form)."""
    deal = _deal(deal_id)
    permissions.require(current_user, action, deal)
    form = form_class()
    if form.validate_on_submit():
        attempt(lambda: change(deal, form), success)
    else:
        flash_form_errors(form)
    return _back(deal_id, anchor)


@bp.route("/<int:deal_id>/fields", methods=["POST"])
@login_required
def edit_fields(deal_id: int):
    return _post(deal_id, DealFieldsForm, lambda deal, form: services.update_deal(
        db.session, deal, actor=current_user, version=form.version.data, **form.to_changes()),
        _("Changes saved."), "fields")


@bp.route("/<int:deal_id>/next-step", methods=["POST"])
@login_required
def next_step(deal_id: int):
    return _post(deal_id, NextStepForm, lambda deal, form: services.set_next_step(
        db.session, deal, form.next_step.data, form.next_step_due.data, actor=current_user,
        version=form.version.data), _("Next step saved."), "next-step")


def _snooze(deal: Deal, form: SnoozeForm) -> None:
    writing.check_version(deal, form.version.data)
    services.snooze_deal(db.session, deal, form.snoozed_until.data, form.snooze_reason.data,
                         actor=current_user)


@bp.route("/<int:deal_id>/snooze", methods=["POST"])
@login_required
def snooze(deal_id: int):
    return _post(deal_id, SnoozeForm, _snooze, _("The stale flag is snoozed."), "next-step")


@bp.route("/<int:deal_id>/unsnooze", methods=["POST"])
@login_required
def unsnooze(deal_id: int):
    return _post(deal_id, VersionForm, lambda deal, form: services.snooze_deal(
        db.session, deal, None, actor=current_user), _("The stale flag is back."), "next-step")


@bp.route("/<int:deal_id>/activities", methods=["POST"])
@login_required
def add_activity(deal_id: int):
    return _post(deal_id, ActivityForm, lambda deal, form: services.add_activity(
        db.session, deal, form.kind.data, form.body.data, actor=current_user),
        _("Recorded on the timeline."), "timeline")


@bp.route("/<int:deal_id>/comments", methods=["POST"])
@login_required
def add_comment(deal_id: int):
    return _post(deal_id, CommentForm, lambda deal, form: services.add_activity(
        db.session, deal, ActivityKind.COMMENT, form.body.data, actor=current_user),
        _("Comment added."), "timeline", action=Action.COMMENT)


@bp.route("/<int:deal_id>/tasks", methods=["POST"])
@login_required
def add_task(deal_id: int):
    return _post(deal_id, TaskForm, lambda deal, form: services.add_task(
        db.session, deal, form.title.data, form.due_on.data, actor=current_user),
        _("Task added."), "tasks")


@bp.route("/<int:deal_id>/tasks/<int:task_id>/done", methods=["POST"])
@login_required
def complete_task(deal_id: int, task_id: int):
    def change(deal, _form):
        task = pages.get_task(db.session, deal, task_id)
        if task is None:
            raise NotFoundError(task_id)
        services.complete_task(db.session, task, actor=current_user)

    return _post(deal_id, BaseForm, change, _("Task done."), "tasks")


@bp.route("/<int:deal_id>/tickets", methods=["POST"])
@login_required
def add_ticket(deal_id: int):
    return _post(deal_id, TicketForm, lambda deal, form: services.add_ticket(
        db.session, deal, form.kind.data, form.title.data, actor=current_user,
        due_on=form.due_on.data, status=form.status.data, outcome=form.outcome.data or "",
        financing_kind=form.financing_kind.data or None,
        amount_raised=form.amount_raised.data), _("Service ticket added."), "service")


@bp.route("/<int:deal_id>/tickets/<int:ticket_id>", methods=["POST"])
@login_required
def update_ticket(deal_id: int, ticket_id: int):
    def change(deal, form):
        ticket = pages.get_ticket(db.session, deal, ticket_id)
        if ticket is None:
            raise NotFoundError(ticket_id)
        values = {"status": form.status.data, "due_on": form.due_on.data,
                  "outcome": form.outcome.data or ""}
        if ticket.kind == "financing":
            values["amount_raised"] = form.amount_raised.data
        services.update_ticket(db.session, ticket, actor=current_user, **values)

    return _post(deal_id, TicketUpdateForm, change, _("Service ticket saved."), "service")


def _nda(deal: Deal, form: NdaForm) -> None:
    writing.check_version(deal, form.version.data)
    services.set_nda(db.session, deal, form.nda_status.data, actor=current_user,
                     expires_on=form.nda_expires_on.data)


@bp.route("/<int:deal_id>/nda", methods=["POST"])
@login_required
def nda(deal_id: int):
    return _post(deal_id, NdaForm, _nda, _("NDA status saved."), "nda")


@bp.route("/<int:deal_id>/contract", methods=["POST"])
@login_required
def contract(deal_id: int):
    def change(deal, form):
        data = services.ContractData(**{name: form[name].data for name in ContractForm.FIELDS})
        data.name, data.registration_no = data.name or "", data.registration_no or ""
        data.seller_name, data.buyer_name = data.seller_name or "", data.buyer_name or ""
        services.save_contract(db.session, deal, data, actor=current_user,
                               version=form.version.data)

    return _post(deal_id, ContractForm, change, _("Contract saved."), "contract")


@bp.route("/<int:deal_id>/landing", methods=["POST"])
@login_required
def landing(deal_id: int):
    deal = _deal(deal_id)
    permissions.require(current_user, Action.EDIT, deal)
    form = LandingForm()
    form.landing_region.choices = [(str(r.id), r.name) for r in _regions()]
    if form.validate_on_submit():
        region = db.session.get(Region, int(form.landing_region.data))
        attempt(lambda: services.mark_landed(
            db.session, deal, actor=current_user, name=form.landing_name.data, region=region,
            landed_on=form.landed_on.data, address=form.landing_address.data or "",
            version=form.version.data), _("Landing recorded."))
    else:
        flash_form_errors(form)
    return _back(deal_id, "landing")


def _broker_form(deal: Deal, form_class=BrokerChoiceForm) -> BrokerChoiceForm:
    form = form_class()
    form.broker.choices = [(str(b.id), b.display_name) for b in pages.active_brokers(db.session)]
    return form


@bp.route("/<int:deal_id>/co-brokers", methods=["POST"])
@login_required
def add_co_broker(deal_id: int):
    deal = _deal(deal_id)
    permissions.require(current_user, Action.EDIT, deal)
    form = _broker_form(deal)
    if form.validate_on_submit():
        broker = pages.find_broker(db.session, int(form.broker.data))
        attempt(lambda: services.add_co_broker(db.session, deal, broker, actor=current_user),
                _("Co-broker added."))
    else:
        flash_form_errors(form)
    return _back(deal_id, "people")


@bp.route("/<int:deal_id>/co-brokers/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_co_broker(deal_id: int, user_id: int):
    def change(deal, _form):
        broker = next((u for u in deal.co_brokers if u.id == user_id), None)
        if broker is None:
            raise NotFoundError(user_id)
        services.remove_co_broker(db.session, deal, broker, actor=current_user)

    return _post(deal_id, BaseForm, change, _("Co-broker removed."), "people")


@bp.route("/<int:deal_id>/reassign", methods=["POST"])
@login_required
def reassign(deal_id: int):
    deal = _deal(deal_id)
    if not permissions.is_admin(current_user):
        permissions.require(current_user, Action.EDIT, deal)
        flash(_("Only operators reassign deals."), "danger")
        return _back(deal_id, "people")
    form = _broker_form(deal, ReassignForm)
    if form.validate_on_submit():
        broker = pages.find_broker(db.session, int(form.broker.data))
        attempt(lambda: services.reassign_deal(db.session, deal, broker, actor=current_user,
                                               note=form.note.data or "",
                                               version=form.version.data),
                _("Deal reassigned."))
    else:
        flash_form_errors(form)
    return _back(deal_id, "people")


@bp.app_template_global()
def history_text(row, stages: dict, users: dict) -> str:
    """Return one history row as a sentence part in the reader's language: what changed."""
    def value(raw):
        if raw is None or raw == "":
            return "—"
        if row.field == "stage":
            stage = stages.get(raw)
            return _stage_name(stage) if stage else raw
        if row.field in ("owner", "co_broker") and raw.isdigit():
            return users.get(int(raw), raw)
        for mapping in _VALUE_LABELS.get(row.field, ()):
            if raw in mapping:
                return str(mapping[raw])
        if raw in ("true", "false"):
            return _("yes") if raw == "true" else _("no")
        return raw

    label = FIELD_LABELS.get(row.field)
    label = str(label) if label else row.field
    if row.kind in ("activity", "comment"):
        return row.new_value or ""
    if not row.field:
        return row.note or ""
    if row.old_value is None:
        return f"{label}: {value(row.new_value)}"
    return f"{label}: {value(row.old_value)} → {value(row.new_value)}"


def _stage_name(stage) -> str:
    return stage.name_en if _lang() == "en" else stage.name_zh


@bp.app_template_global()
def stage_name(stage) -> str:
    """Return a stage's name in the reader's language."""
    return _stage_name(stage)


def _field_labels() -> dict:
    from flask_babel import lazy_gettext as _l

    return {
        "stage": _l("Stage"), "title": _l("Title"), "expected_value": _l("Expected value"),
        "probability": _l("Win probability"), "transfer_mode": _l("Transfer mode"),
        "ip_checked": _l("IP status checked"), "team_willing": _l("Team willing to transfer"),
        "reform_status": _l("Reform status"), "price": _l("Price (10k yuan)"),
        "payment_kind": _l("Payment"), "terms_note": _l("Terms"),
        "showcase_material": _l("Material for the showcase"), "next_step": _l("Next step"),
        "next_step_due": _l("Due on"), "snoozed_until": _l("Snooze until"),
        "lost_reason": _l("Why was it lost?"), "nda_status": _l("NDA"),
        "nda_expires_on": _l("Expires on"), "owner": _l("Owner"), "co_broker": _l("Co-broker"),
        "landing_name": _l("Company or project"), "landing_region": _l("Region"),
        "landing_address": _l("Address"), "landed_on": _l("Landed on"),
        "local_conversion": _l("Local conversion"), "output_status": _l("Output status"),
        "need_status": _l("Need status"), "task": _l("Task"), "done": _l("Done"),
        "ticket": _l("Service"), "status": _l("Status"), "due_on": _l("Due on"),
        "outcome": _l("Outcome"), "financing_kind": _l("Financing"),
        "amount_raised": _l("Amount raised (10k yuan)"), "contract_type": _l("Contract type"),
        "seller_name": _l("Seller (transferor / contractor)"),
        "buyer_name": _l("Buyer (transferee / client)"),
        "total_amount": _l("Total amount (10k yuan)"),
        "technical_amount": _l("Technical-transaction amount (10k yuan)"),
        "signed_on": _l("Signed on"), "term_start": _l("Term from"), "term_end": _l("Term to"),
        "name": _l("Contract name"), "registration_no": _l("Registration no."),
        "registered_on": _l("Registered on"),
    }


FIELD_LABELS = _field_labels()
_VALUE_LABELS = {
    "transfer_mode": (labels.TRANSFER_MODE,), "reform_status": (labels.REFORM_STATUS,),
    "payment_kind": (deal_labels.PAYMENT_KIND,), "lost_reason": (deal_labels.LOST_REASON,),
    "nda_status": (deal_labels.NDA_STATUS,), "output_status": (labels.OUTPUT_STATUS,),
    "need_status": (labels.NEED_STATUS,), "ticket": (deal_labels.TICKET_KIND,),
    "status": (deal_labels.TICKET_STATUS,), "financing_kind": (deal_labels.FINANCING_KIND,),
    "contract_type": (deal_labels.CONTRACT_TYPE,),
}
