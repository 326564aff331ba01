"""Meeting requests on the event page: ask another participant, accept, decline, withdraw
(routes on events.bp; the rules are in events.requests)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.events import forms, labels, requests, scheduling, services
from matchmaker.events.models import Event, EventParticipant
from matchmaker.events.views import attempt, bp, load_event
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.profiles.models import ResearchOutput, TechNeed


def _titles(model, ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.title).where(model.id.in_(ids))).all())


def request_form(event: Event, own: EventParticipant) -> forms.MeetingRequestForm:
    """Return own's request form: the other side's listings, the best matches first."""
    form = forms.MeetingRequestForm()
    enterprise = bool(own.enterprise_id)
    others = [p for p in event.participants if p.status == "confirmed"
              and bool(p.enterprise_id) != enterprise]
    mine = [int(i) for i in own.listing_ids or []]
    theirs = [(p, int(i)) for p in others for i in p.listing_ids or []]
    their_ids = [i for _p, i in theirs]
    own_model, their_model = (TechNeed, ResearchOutput) if enterprise else (
        ResearchOutput, TechNeed)
    best = (scheduling.best_qualities(db.session, mine, their_ids, of_outputs=True)
            if enterprise else
            scheduling.best_qualities(db.session, their_ids, mine, of_outputs=False))
    titles = _titles(their_model, their_ids)
    theirs.sort(key=lambda item: (-best.get(item[1], 0.0), item[0].organisation.name, item[1]))
    form.their_listing.choices = forms.choices(
        (i, f"{p.organisation.name} — {titles[i]}") for p, i in theirs if i in titles)
    own_titles = _titles(own_model, mine)
    form.own_listing.choices = forms.choices((i, own_titles[i]) for i in mine if i in own_titles)
    return form


def requests_context(event: Event, organiser: bool, own: EventParticipant | None) -> dict:
    """What the event page shows of meeting requests: one's own, or all (the organiser)."""
    context = {"request_form": None, "incoming": [], "outgoing": [], "all_requests": []}
    if organiser:
        context["all_requests"] = requests.list_requests(db.session, event)
    if own is not None and own.status == "confirmed":
        mine = requests.list_requests(db.session, event, own)
        context["incoming"] = [r for r in mine if r.recipient_id == own.id]
        context["outgoing"] = [r for r in mine if r.requester_id == own.id]
        if event.status in requests.OPEN_STATUSES:
            context["request_form"] = request_form(event, own)
    return context


def _back(event: Event):
    return redirect(url_for("events.detail", event_id=event.id, _anchor="requests"))


@bp.route("/<int:event_id>/requests", methods=["POST"])
@login_required
def request_meeting(event_id: int):
    event = load_event(event_id)
    own = services.own_participant(db.session, event, current_user)
    if own is None or own.status != "confirmed":
        flash(str(labels.REFUSAL["not_confirmed"]), "danger")
        return _back(event)
    form = request_form(event, own)
    if form.validate_on_submit():
        attempt(lambda: requests.request_meeting(
            db.session, event, actor=current_user, own_listing_id=form.own_listing.data,
            their_listing_id=form.their_listing.data, reason=form.reason.data),
            _("Meeting request sent. You will be told the answer."))
    else:
        flash_form_errors(form)
    return _back(event)


def _answer(event_id: int, request_id: int, verb: str):
    event = load_event(event_id)
    req = requests.get_request(db.session, event, request_id, viewer=current_user)
    if forms.ActionForm().validate_on_submit():
        if verb == "withdraw":
            attempt(lambda: requests.withdraw_request(db.session, req, actor=current_user),
                    _("Request withdrawn."))
        else:
            accept = verb == "accept"
            attempt(lambda: requests.answer_request(db.session, req, accept=accept,
                                                    actor=current_user),
                    _("Accepted: the meeting joins the schedule.") if accept
                    else _("Request declined."))
    return _back(event)


@bp.route("/<int:event_id>/requests/<int:request_id>/accept", methods=["POST"])
@login_required
def accept_request(event_id: int, request_id: int):
    return _answer(event_id, request_id, "accept")


@bp.route("/<int:event_id>/requests/<int:request_id>/decline", methods=["POST"])
@login_required
def decline_request(event_id: int, request_id: int):
    return _answer(event_id, request_id, "decline")


@bp.route("/<int:event_id>/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw_request(event_id: int, request_id: int):
    return _answer(event_id, request_id, "withdraw")
