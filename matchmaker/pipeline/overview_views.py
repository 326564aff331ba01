"""The operators' overview (`/deals/overview`): the funnel, conversion, median days per stage,
each broker's load with their open deals, and reassigning ticked deals to another broker in
one POST (pipeline/rebalance.py: each deal with the version the page showed; a deal changed
meanwhile is named and left alone, the others go through)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from matchmaker import permissions
from matchmaker.errors import PermissionDeniedError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.pipeline import pages, rebalance, services
from matchmaker.pipeline.forms import ReassignDealsForm
from matchmaker.pipeline.views import bp, flash_refusal
from matchmaker.templating import join_terms, localized


def _require_operator() -> None:
    if not permissions.is_admin(current_user):
        raise PermissionDeniedError("overview")


def _target_label(target: rebalance.TargetBroker) -> str:
    chains = join_terms(localized(c) for c in target.chains) if target.chains else \
        _("no chains")
    return ngettext("%(name)s (%(num)d open deal · %(chains)s)",
                    "%(name)s (%(num)d open deals · %(chains)s)", target.open_deals,
                    name=target.user.display_name, chains=chains)


def _reassign_form() -> ReassignDealsForm:
    form = ReassignDealsForm()
    targets = rebalance.target_brokers(db.session)
    form.broker.choices = [("", _("— choose —"))] + [
        (str(t.user.id), _target_label(t)) for t in targets]
    return form


@bp.route("/overview")
@login_required
def overview():
    _require_operator()
    figures = services.operator_figures(db.session, actor=current_user)
    columns = services.board_summary(db.session, current_user)
    unowned = pages.pending_introductions_query(current_user)
    owners = [row.user.id for row in figures.loads if row.open_deals]
    return render_template("pipeline/overview.html", figures=figures, columns=columns,
                           requests=db.session.scalars(unowned.limit(50)).all(),
                           funnel_top=max([n for _s, n in figures.funnel] or [1]) or 1,
                           open_deals=rebalance.open_deals_by_owner(db.session, owners),
                           per_owner=rebalance.DEALS_PER_OWNER, reassign_form=_reassign_form())


@bp.route("/overview/reassign", methods=["POST"])
@login_required
def reassign_many():
    """Reassign the ticked deals to one broker; report what moved and what did not."""
    _require_operator()
    form = _reassign_form()
    back = redirect(url_for("pipeline.overview", _anchor="rebalance"))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back
    owner = pages.find_broker(db.session, int(form.broker.data))
    try:
        outcome = rebalance.reassign_deals(db.session, form.picks(), owner,
                                           actor=current_user, note=form.note.data or "")
    except ValidationFailedError as error:
        db.session.rollback()
        flash_refusal(error)
        return back
    db.session.commit()
    _flash_outcome(outcome, owner.display_name)
    return back


def _flash_outcome(outcome: rebalance.ReassignOutcome, name: str) -> None:
    if outcome.moved:
        flash(ngettext("%(num)d deal reassigned to %(name)s.",
                       "%(num)d deals reassigned to %(name)s.", len(outcome.moved),
                       name=name), "success")
    for title in outcome.stale:
        flash(_("“%(title)s” was not reassigned: someone changed it after you opened this "
                "page. Here is the overview as it is now: check the deal and reassign it "
                "again.", title=title), "warning")
    for title in outcome.unchanged:
        flash(_("“%(title)s” is already with %(name)s.", title=title, name=name), "info")
    if outcome.missing:
        flash(ngettext("%(num)d ticked deal no longer exists.",
                       "%(num)d ticked deals no longer exist.", outcome.missing), "warning")
