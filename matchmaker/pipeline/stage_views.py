"""The operators' stages page (/deals/stages): every stage by phase with its figures and open
deals, editing a stage, adding a sub-step after another, moving a stage up or down in its
phase (forms that work without JavaScript), and the latest changes to the stages.

Views parse, call pipeline.stages through services, commit, redirect; a refusal is shown on the
field it names, a stale save as a message over the page as it now is."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from matchmaker import permissions
from matchmaker.domain import FIXED_STAGES, Phase
from matchmaker.errors import PermissionDeniedError, StaleObjectError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.pipeline import labels as deal_labels
from matchmaker.pipeline import services
from matchmaker.pipeline.deal_views import stage_name
from matchmaker.pipeline.forms import EditStageForm, NewStageForm, StageMoveForm
from matchmaker.pipeline.views import bp, flash_refusal


def _require_operator() -> None:
    if not permissions.is_admin(current_user):
        raise PermissionDeniedError("stages")


def stale_stages_message() -> str:
    return _("Someone else changed the stages since you opened this page. Here they are as "
             "they are now: check them and make your change again.")


def _show_refusal(form, error: ValidationFailedError) -> None:
    """Put each reason on the field it names (the form's top when it has no such field)."""
    for name, message in error.reasons.items():
        if name in form._fields:
            form[name].errors.append(str(message))
        else:
            form.form_errors.append(str(message))


def _save(form, change) -> str:
    """Run change(); commit and return "saved", or roll back and return "stale" (flashed) or
    "refused" (the reasons are put on the form)."""
    try:
        change()
    except StaleObjectError:
        db.session.rollback()
        flash(stale_stages_message(), "warning")
        return "stale"
    except ValidationFailedError as error:
        db.session.rollback()
        _show_refusal(form, error)
        return "refused"
    db.session.commit()
    return "saved"


def _change_text(field: str, raw: str | None) -> str:
    """Return how a stage_changes value reads on the page."""
    if raw is None or raw == "":
        return "—"
    if field == "is_active":
        return _("yes") if raw == "true" else _("no")
    if field == "phase":
        return str(deal_labels.PHASE.get(raw, raw))
    if field == "requirements":
        return "; ".join(str(deal_labels.REQUIREMENT.get(r, r)) for r in raw.split(","))
    return raw


@bp.route("/stages")
@login_required
def stage_list():
    _require_operator()
    changes = [(row, _change_text(row.field, row.old_value), _change_text(row.field,
                                                                        row.new_value))
               for row in services.list_stage_changes(db.session)]
    return render_template("pipeline/stages.html", table=services.stage_table(db.session),
                           changes=changes, move_form=StageMoveForm())


@bp.route("/stages/<key>/edit", methods=["GET", "POST"])
@login_required
def edit_stage(key: str):
    _require_operator()
    stage = services.get_stage(db.session, key[:40])
    form = EditStageForm(obj=stage)
    if form.validate_on_submit():
        outcome = _save(form, lambda: services.update_stage(
            db.session, stage.key, actor=current_user, version=form.version.data,
            name_zh=form.name_zh.data, name_en=form.name_en.data,
            default_probability=form.default_probability.data,
            stale_after_days=form.stale_after_days.data,
            requirements=tuple(form.requirements.data or ()), is_active=form.is_active.data))
        if outcome == "saved":
            flash(_("Stage saved."), "success")
            return redirect(url_for("pipeline.stage_list", _anchor=f"stage-{key}"))
        if outcome == "stale":  # the form again, as the stage now is
            return redirect(url_for("pipeline.edit_stage", key=key))
    open_deals = services.open_deal_counts(db.session).get(stage.id, 0)
    return render_template("pipeline/stage_edit.html", form=form, stage=stage,
                           open_deals=open_deals, is_fixed=stage.key in FIXED_STAGES)


def _after_choices() -> list[SelectChoice]:
    return [SelectChoice(s.key, f"{deal_labels.PHASE[Phase(s.phase)]} · {stage_name(s)}"
                         + ("" if s.is_active else f" ({_('not in use')})"))
            for s in services.list_stages(db.session, active_only=False)
            if s.phase != Phase.LOST]


@bp.route("/stages/new", methods=["GET", "POST"])
@login_required
def new_stage():
    _require_operator()
    form = NewStageForm(data=None if request.method == "POST" else {
        "after": request.args.get("after", "")[:40], "default_probability": 0})
    form.after.choices = _after_choices()
    if form.validate_on_submit():
        added = []
        if _save(form, lambda: added.append(services.add_stage(
                db.session, form.key.data.strip(), after=form.after.data, actor=current_user,
                name_zh=form.name_zh.data, name_en=form.name_en.data,
                default_probability=form.default_probability.data,
                stale_after_days=form.stale_after_days.data,
                requirements=tuple(form.requirements.data or ())))) == "saved":
            flash(_("Sub-step added. It is on the board now."), "success")
            return redirect(url_for("pipeline.stage_list", _anchor=f"stage-{added[0].key}"))
        form.after.choices = _after_choices()  # the stages as they now are
    return render_template("pipeline/stage_edit.html", form=form, stage=None)


@bp.route("/stages/<key>/move", methods=["POST"])
@login_required
def move_stage(key: str):
    _require_operator()
    stage = services.get_stage(db.session, key[:40])
    form = StageMoveForm()
    if form.validate_on_submit():
        step = -1 if form.direction.data == "up" else 1
        try:
            services.move_stage(db.session, stage.key, step, actor=current_user,
                                version=form.version.data)
        except StaleObjectError:
            db.session.rollback()
            flash(stale_stages_message(), "warning")
        except ValidationFailedError as error:
            db.session.rollback()
            flash_refusal(error)
        else:
            db.session.commit()
            flash(_("Stage moved."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("pipeline.stage_list", _anchor=f"stage-{key}"))
