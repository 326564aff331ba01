"""The organiser's pairings and schedule, a participant's agenda (routes on events.bp)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import permissions
from matchmaker.events import export, forms, labels, outcomes, scheduling, services
from matchmaker.events.models import EventMeeting, EventPairing, EventParticipant
from matchmaker.events.views import attempt, bp, load_event
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed


def schedule_context(event, organiser: bool, own) -> dict:
    """What the event page shows of pairings, the schedule and one's agenda."""
    context = {"agenda": [], "pairings": [], "grid": None, **results_context(event)}
    if own is not None and own.status == "confirmed":
        context["agenda"] = scheduling.list_agenda(db.session, event, own)
    if not organiser:
        return context
    meetings = scheduling.list_meetings(db.session, event)
    names = {p.id: p.organisation.name for p in event.participants}
    booths = sorted({m.booth for m in meetings if m.booth})
    cells = {(m.slot_id, m.table_no or m.booth): m for m in meetings}
    needs, outputs = scheduling._brought(event)
    pairings = scheduling.list_pairings(db.session, event)
    qualities = scheduling.pairing_qualities(db.session, pairings)
    # Shown by the quality they show (confirmed first), those of unknown quality last.
    pairings.sort(key=lambda p: (not p.is_confirmed, p.id not in qualities,
                                 -qualities.get(p.id, 0.0), p.id))
    context.update(
        pairings=pairings, names=names, qualities=qualities,
        grid={"columns": list(range(1, event.tables + 1)) + booths, "cells": cells},
        unscheduled=[(names.get(u["a"], "?"), names.get(u["b"], "?"),
                      labels.UNSCHEDULED_REASON.get(u["reason"], u["reason"]))
                     for u in event.unscheduled or []],
        need_choices=db.session.scalars(db.select(TechNeed).where(TechNeed.id.in_(needs))).all(),
        output_choices=db.session.scalars(
            db.select(ResearchOutput).where(ResearchOutput.id.in_(outputs))).all(),
        has_meetings=bool(meetings))
    return context


def _back(event, anchor: str = "schedule"):
    return redirect(url_for("events.detail", event_id=event.id, _anchor=anchor))


def _pairing(event, pairing_id: int) -> EventPairing:
    pairing = db.session.get(EventPairing, pairing_id)
    if pairing is None or pairing.event_id != event.id:
        abort(404)
    return pairing


@bp.route("/<int:event_id>/pairings/propose", methods=["POST"])
@login_required
def propose_pairings(event_id: int):
    event = load_event(event_id, Action.EDIT)
    if forms.ActionForm().validate_on_submit():
        made = []
        if attempt(lambda: made.extend(scheduling.propose_pairings(
                db.session, event, actor=current_user)), None):
            flash(_("%(n)d pairings proposed.", n=len(made)), "success")
    return _back(event, "pairings")


@bp.route("/<int:event_id>/pairings", methods=["POST"])
@login_required
def add_pairing(event_id: int):
    event = load_event(event_id, Action.EDIT)
    form = forms.PairingForm()
    if form.validate_on_submit():
        need = db.session.get(TechNeed, form.need_id.data)
        output = db.session.get(ResearchOutput, form.output_id.data)
        if need is None or output is None:
            flash(str(labels.REFUSAL["pairing_not_brought"]), "danger")
        else:
            attempt(lambda: scheduling.add_pairing(db.session, event, need, output,
                                                   actor=current_user), _("Pairing added."))
    else:
        flash_form_errors(form)
    return _back(event, "pairings")


@bp.route("/<int:event_id>/pairings/<int:pairing_id>/confirm", methods=["POST"])
@login_required
def confirm_pairing(event_id: int, pairing_id: int):
    return _change_pairing(event_id, pairing_id, "confirm")


@bp.route("/<int:event_id>/pairings/<int:pairing_id>/unconfirm", methods=["POST"])
@login_required
def unconfirm_pairing(event_id: int, pairing_id: int):
    return _change_pairing(event_id, pairing_id, "unconfirm")


@bp.route("/<int:event_id>/pairings/<int:pairing_id>/remove", methods=["POST"])
@login_required
def remove_pairing(event_id: int, pairing_id: int):
    return _change_pairing(event_id, pairing_id, "remove")


def _change_pairing(event_id: int, pairing_id: int, verb: str):
    event = load_event(event_id, Action.EDIT)
    pairing = _pairing(event, pairing_id)
    if forms.ActionForm().validate_on_submit():
        if verb == "remove":
            attempt(lambda: scheduling.remove_pairing(db.session, pairing, actor=current_user),
                    _("Pairing removed."))
        else:
            attempt(lambda: scheduling.confirm_pairing(
                db.session, pairing, actor=current_user, confirmed=verb == "confirm"), None)
    return _back(event, "pairings")


@bp.route("/<int:event_id>/schedule", methods=["POST"])
@login_required
def generate(event_id: int):
    event = load_event(event_id, Action.EDIT)
    if forms.ActionForm().validate_on_submit():
        result = []
        if attempt(lambda: result.append(scheduling.generate_schedule(
                db.session, event, actor=current_user)), None):
            flash(_("Schedule built: %(met)d meetings, %(left)d pairs left out.",
                    met=len(result[0].meetings), left=len(result[0].unscheduled)), "success")
    return _back(event)


@bp.route("/<int:event_id>/schedule/publish", methods=["POST"])
@login_required
def publish(event_id: int):
    event = load_event(event_id, Action.EDIT)
    if forms.ActionForm().validate_on_submit():
        attempt(lambda: scheduling.publish_schedule(db.session, event, actor=current_user),
                _("Schedule published: participants now see their agendas."))
    return _back(event)


@bp.route("/<int:event_id>/meetings/<int:meeting_id>/lock", methods=["POST"])
@login_required
def lock_meeting(event_id: int, meeting_id: int):
    event = load_event(event_id, Action.EDIT)
    meeting = db.session.get(EventMeeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        abort(404)
    if forms.ActionForm().validate_on_submit():
        locked = request.form.get("locked") == "1"
        attempt(lambda: scheduling.set_meeting_lock(db.session, meeting, locked,
                                                    actor=current_user),
                _("Meeting locked.") if locked else _("Meeting unlocked."))
    return _back(event)


@bp.route("/<int:event_id>/agenda")
@login_required
def agenda(event_id: int):
    """One participant's agenda: one's own, or any participant's for the organiser."""
    event = load_event(event_id)
    participant_id = request.args.get("participant", "")
    if participant_id.isdigit() and len(participant_id) < 10:
        participant = db.session.get(EventParticipant, int(participant_id))
        if participant is None or participant.event_id != event.id:
            abort(404)
        permissions.require(current_user, Action.VIEW, participant)
    else:
        participant = services.own_participant(db.session, event, current_user)
        if participant is None:
            abort(404)
    meetings = scheduling.list_agenda(db.session, event, participant)
    return render_template("events/agenda.html", event=event, participant=participant,
                           meetings=meetings, event_labels=labels,
                           outcome_form=forms.OutcomeForm(formdata=None))


# --- during and after: a meeting's notes and outcome ---------------------------------------

def _meeting(event, meeting_id: int) -> EventMeeting:
    meeting = db.session.get(EventMeeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        abort(404)
    permissions.require(current_user, Action.VIEW, meeting)
    return meeting


@bp.route("/<int:event_id>/meetings/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def meeting(event_id: int, meeting_id: int):
    """A meeting's page, made for a phone: who, when, where; notes and outcome."""
    event = load_event(event_id)
    item = _meeting(event, meeting_id)
    form = forms.OutcomeForm(obj=item if request.method == "GET" else None)
    if request.method == "POST":
        permissions.require(current_user, Action.EDIT, item)
        if form.validate_on_submit():
            deal = []
            if attempt(lambda: deal.append(outcomes.record_outcome(
                    db.session, item, actor=current_user, outcome=form.outcome.data,
                    notes=form.notes.data or "")), _("Outcome saved.")):
                if deal[0] is not None:
                    flash(_("The follow-up is on the deal “%(title)s”.", title=deal[0].title),
                          "info")
                return redirect(url_for("events.meeting", event_id=event.id,
                                        meeting_id=item.id))
        else:
            flash_form_errors(form)
    deal = item.deal if item.deal is not None and permissions.can(
        current_user, Action.VIEW, item.deal) else None
    return render_template("events/meeting.html", event=event, meeting=item, form=form,
                           deal=deal, event_labels=labels)


def results_context(event) -> dict:
    """What the event page shows of what came of the event."""
    if event.status not in ("scheduled", "held", "closed"):
        return {}
    return {"results": outcomes.event_results(db.session, event)}


# --- exports ----------------------------------------------------------------------------------

@bp.route("/<int:event_id>/schedule.xlsx")
@login_required
def export_schedule(event_id: int):
    event = load_event(event_id, Action.EDIT)
    body = export.schedule_xlsx(event, scheduling.list_meetings(db.session, event))
    return body, 200, {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="event-{event.id}-schedule.xlsx"'}


@bp.route("/<int:event_id>/agenda/print")
@login_required
def print_agenda(event_id: int):
    """Printable agendas: one's own, one participant's or (organiser) every confirmed one's,
    one per page."""
    event = load_event(event_id)
    wanted = request.args.get("participant", "")
    if wanted == "all":
        permissions.require(current_user, Action.EDIT, event)
        people = [p for p in event.participants if p.status == "confirmed"]
    elif wanted.isdigit() and len(wanted) < 10:
        participant = db.session.get(EventParticipant, int(wanted))
        if participant is None or participant.event_id != event.id:
            abort(404)
        permissions.require(current_user, Action.VIEW, participant)
        people = [participant]
    else:
        own = services.own_participant(db.session, event, current_user)
        if own is None:
            abort(404)
        people = [own]
    agendas = [(p, scheduling.list_agenda(db.session, event, p)) for p in people]
    return render_template("events/agenda_print.html", event=event, agendas=agendas)
