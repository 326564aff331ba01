"""Pages of matchmaking events: the list, the organiser's forms, the event page with its
participants, and a participant's registration and blocked slots.

Views are thin: parse the form, call the service, commit, redirect. Refusals come back as
flashed messages in the reader's language."""
from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import forms_common, permissions
from matchmaker.chains.models import Chain
from matchmaker.events import forms, labels, services
from matchmaker.events.models import Event, EventParticipant, EventSlot
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.templating import localized

bp = Blueprint("events", __name__, url_prefix="/events")


def attempt(change, success: str | None) -> bool:
    """Run change() and commit (forms_common.attempt), with the events' stale message."""
    return forms_common.attempt(change, success, stale=_(
        "Someone else changed this event since you opened it. Check it and make your change "
        "again."))


def load_event(event_id: int, action: str = Action.VIEW) -> Event:
    """Return the event, or 404 / 403 by permissions.require."""
    event = services.get_event(db.session, event_id, viewer=current_user)
    permissions.require(current_user, action, event)
    return event


def _participant(event: Event, participant_id: int) -> EventParticipant:
    participant = db.session.get(EventParticipant, participant_id)
    if participant is None or participant.event_id != event.id:
        abort(404)
    return participant


def _chain_choices() -> list:
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id))
    return forms.choices([("", _("— none —"))] + [(str(c.id), localized(c)) for c in chains])


# --- list, create, edit -----------------------------------------------------------------------

@bp.route("/")
def index():
    chain_key = request.args.get("chain", "")[:40]
    chain = db.session.scalar(select(Chain).where(Chain.key == chain_key)) if chain_key else None
    upcoming, past = services.list_events(db.session, current_user,
                                          chain_id=chain.id if chain else None)
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    return render_template("events/index.html", upcoming=upcoming, past=past, chains=chains,
                           chain=chain, may_create=permissions.may_create(current_user, "event"),
                           event_labels=labels)


def _data(form) -> services.EventData:
    return services.EventData(
        title=form.title.data or "", description=form.description.data or "",
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, place=form.place.data or "",
        online_link=form.online_link.data or "",
        chain_id=int(form.chain_id.data) if (form.chain_id.data or "").isdigit() else None,
        capacity=form.capacity.data, tables=form.tables.data, is_public=form.is_public.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.may_create(current_user, "event"):
        abort(403)
    form = forms.EventForm()
    form.chain_id.choices = _chain_choices()
    if form.validate_on_submit():
        made = {}
        if attempt(lambda: made.setdefault("event", services.create_event(
                db.session, _data(form), actor=current_user)), _("Event created.")):
            return redirect(url_for("events.detail", event_id=made["event"].id))
    else:
        flash_form_errors(form)
    return render_template("events/edit.html", form=form, event=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = load_event(event_id, Action.EDIT)
    form = forms.EventForm(obj=event)
    form.chain_id.choices = _chain_choices()
    if request.method == "GET":
        form.chain_id.data, form.version.data = str(event.chain_id or ""), event.version
    if form.validate_on_submit():
        if attempt(lambda: services.update_event(db.session, event, _data(form),
                                                 actor=current_user,
                                                 version=form.version.data), _("Saved.")):
            return redirect(url_for("events.detail", event_id=event.id))
    else:
        flash_form_errors(form)
    return render_template("events/edit.html", form=form, event=event)


@bp.route("/<int:event_id>/status", methods=["POST"])
@login_required
def set_status(event_id: int):
    event = load_event(event_id, Action.EDIT)
    form = forms.StatusForm()
    if form.validate_on_submit():
        attempt(lambda: services.set_event_status(db.session, event, form.status.data,
                                                  actor=current_user), _("Status changed."))
    else:
        flash_form_errors(form)
    return redirect(url_for("events.detail", event_id=event.id))


# --- the event page -----------------------------------------------------------------------------

def _brought(participant: EventParticipant) -> list:
    model = ResearchOutput if participant.institution_id else TechNeed
    ids = participant.listing_ids or []
    return db.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()


def _own_listings() -> list:
    if current_user.is_authenticated and current_user.institution_id:
        model, column = ResearchOutput, ResearchOutput.institution_id
        org_id = current_user.institution_id
    elif current_user.is_authenticated and current_user.enterprise_id:
        model, column, org_id = TechNeed, TechNeed.enterprise_id, current_user.enterprise_id
    else:
        return []
    return db.session.scalars(select(model).where(column == org_id).order_by(model.id)).all()


def _organisation_choices(event: Event) -> list:
    taken = {("i", p.institution_id) for p in event.participants if p.institution_id} | {
        ("e", p.enterprise_id) for p in event.participants if p.enterprise_id}
    insts = db.session.scalars(select(Institution).order_by(Institution.name)).all()
    ents = db.session.scalars(select(Enterprise).order_by(Enterprise.name)).all()
    return forms.choices([("", _("— choose —"))]
                         + [(f"i:{o.id}", o.name) for o in insts if ("i", o.id) not in taken]
                         + [(f"e:{o.id}", o.name) for o in ents if ("e", o.id) not in taken])


@bp.route("/<int:event_id>")
def detail(event_id: int):
    event = load_event(event_id)
    organiser = permissions.can(current_user, Action.EDIT, event)
    own = (services.own_participant(db.session, event, current_user)
           if current_user.is_authenticated else None)
    register_form = forms.RegisterForm()
    register_form.listings.choices = forms.choices(
        (item.id, item.title) for item in _own_listings())
    if own is not None:
        register_form.listings.data = list(own.listing_ids or [])
    blocked_form = forms.BlockedSlotsForm()
    blocked_form.slots.choices = forms.choices((s.id, s.label) for s in event.slots)
    if own is not None:
        blocked_form.slots.data = list(own.blocked_slot_ids or [])
    invite_form = forms.InviteForm()
    if organiser:
        invite_form.organisation.choices = _organisation_choices(event)
    context = extra_context(event, organiser, own)
    return render_template(
        "events/detail.html", event=event, organiser=organiser, own=own, event_labels=labels,
        brought={p.id: _brought(p) for p in event.participants} if organiser else {},
        register_form=register_form, blocked_form=blocked_form, invite_form=invite_form,
        slot_form=forms.SlotForm(formdata=None, day=event.starts_on),
        status_form=forms.StatusForm(formdata=None), action_form=forms.ActionForm(),
        may_register=permissions.can(current_user, Action.REGISTER, event), **context)


def extra_context(event: Event, organiser: bool, own: EventParticipant | None) -> dict:
    """What the later parts of the event page show (pairings, schedule, results)."""
    from matchmaker.events.request_views import requests_context
    from matchmaker.events.schedule_views import schedule_context

    return {**schedule_context(event, organiser, own),
            **requests_context(event, organiser, own)}


# --- slots ----------------------------------------------------------------------------------

@bp.route("/<int:event_id>/slots", methods=["POST"])
@login_required
def add_slot(event_id: int):
    event = load_event(event_id, Action.EDIT)
    form = forms.SlotForm()
    if form.validate_on_submit():
        starts = datetime.combine(form.day.data, form.starts_at.data)
        ends = datetime.combine(form.day.data, form.ends_at.data)
        attempt(lambda: services.add_slot(db.session, event, starts, ends, actor=current_user),
                _("Slot added."))
    else:
        flash_form_errors(form)
    return redirect(url_for("events.detail", event_id=event.id, _anchor="slots"))


@bp.route("/<int:event_id>/slots/<int:slot_id>/remove", methods=["POST"])
@login_required
def remove_slot(event_id: int, slot_id: int):
    event = load_event(event_id, Action.EDIT)
    slot = db.session.get(EventSlot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404)
    if forms.ActionForm().validate_on_submit():
        attempt(lambda: services.remove_slot(db.session, slot, actor=current_user),
                _("Slot removed."))
    return redirect(url_for("events.detail", event_id=event.id, _anchor="slots"))


# --- participants ---------------------------------------------------------------------------

@bp.route("/<int:event_id>/invite", methods=["POST"])
@login_required
def invite(event_id: int):
    event = load_event(event_id, Action.EDIT)
    form = forms.InviteForm()
    form.organisation.choices = _organisation_choices(event)
    if form.validate_on_submit():
        kind, _sep, org_id = form.organisation.data.partition(":")
        organisation = db.session.get(Institution if kind == "i" else Enterprise, int(org_id))
        listings = _listings_of(organisation)
        attempt(lambda: services.invite_participant(
            db.session, event, organisation, actor=current_user, listing_ids=listings,
            max_meetings=form.max_meetings.data, booth=form.booth.data),
            _("Organisation invited."))
    else:
        flash_form_errors(form)
    return redirect(url_for("events.detail", event_id=event.id, _anchor="participants"))


def _listings_of(organisation) -> list[int]:
    """The organisation's published listings: what an invitation brings until it registers."""
    if isinstance(organisation, Institution):
        query = select(ResearchOutput.id).where(ResearchOutput.institution_id == organisation.id,
                                                ResearchOutput.status == "published")
    else:
        query = select(TechNeed.id).where(TechNeed.enterprise_id == organisation.id,
                                          TechNeed.status == "published")
    return list(db.session.scalars(query))


@bp.route("/<int:event_id>/register", methods=["POST"])
@login_required
def register(event_id: int):
    event = load_event(event_id)
    form = forms.RegisterForm()
    form.listings.choices = forms.choices((item.id, item.title) for item in _own_listings())
    if form.validate_on_submit():
        attempt(lambda: services.register_participant(
            db.session, event, actor=current_user, listing_ids=form.listings.data),
            _("Registered. The organiser will confirm your participation."))
    else:
        flash_form_errors(form)
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/participants/<int:participant_id>/confirm", methods=["POST"])
@login_required
def confirm_participant(event_id: int, participant_id: int):
    return _decide_participant(event_id, participant_id, confirm=True)


@bp.route("/<int:event_id>/participants/<int:participant_id>/decline", methods=["POST"])
@login_required
def decline_participant(event_id: int, participant_id: int):
    return _decide_participant(event_id, participant_id, confirm=False)


def _decide_participant(event_id: int, participant_id: int, *, confirm: bool):
    event = load_event(event_id)
    participant = _participant(event, participant_id)
    permissions.require(current_user, Action.EDIT, participant)
    if forms.ActionForm().validate_on_submit():
        if confirm:
            attempt(lambda: services.confirm_participant(db.session, participant,
                                                         actor=current_user), _("Confirmed."))
        else:
            attempt(lambda: services.decline_participant(db.session, participant,
                                                         actor=current_user), _("Declined."))
    return redirect(url_for("events.detail", event_id=event.id, _anchor="participants"))


@bp.route("/<int:event_id>/participants/<int:participant_id>/blocked", methods=["POST"])
@login_required
def blocked_slots(event_id: int, participant_id: int):
    event = load_event(event_id)
    participant = _participant(event, participant_id)
    permissions.require(current_user, Action.EDIT, participant)
    form = forms.BlockedSlotsForm()
    form.slots.choices = forms.choices((s.id, s.label) for s in event.slots)
    if form.validate_on_submit():
        attempt(lambda: services.set_blocked_slots(db.session, participant, form.slots.data,
                                                   actor=current_user),
                _("Your unavailable slots are saved."))
    else:
        flash_form_errors(form)
    return redirect(url_for("events.detail", event_id=event.id))
