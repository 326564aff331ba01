"""The account page (password, sessions, personal data, deletion, join requests to one's
organisation) and the public privacy notice."""
import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from matchmaker import labels
from matchmaker.auth import passwords, privacy, services, sessions
from matchmaker.auth.errors import LastOperatorError
from matchmaker.auth.forms import DeleteAccountForm, PasswordChangeForm
from matchmaker.auth.login import session_lifetimes
from matchmaker.auth.models import JoinRequest, UserSession
from matchmaker.domain import JoinRequestStatus
from matchmaker.extensions import db, limiter
from matchmaker.types import utcnow

bp = Blueprint("account", __name__)

# Decisions a member (or an operator, on the accounts page) can send for a join request.
MEMBER_DECISIONS = (JoinRequestStatus.CONFIRMED, JoinRequestStatus.DECLINED)


def _password_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _render(password_form=None, delete_form=None):
    live = sessions.list_live(db.session, current_user, **session_lifetimes())
    return render_template(
        "account/index.html", user=current_user,
        password_form=password_form or PasswordChangeForm(formdata=None),
        delete_form=delete_form or DeleteAccountForm(formdata=None),
        sessions=live, current_session=current_user.current_session,
        join_requests=services.pending_requests_for(db.session, current_user),
        notice_version=privacy.PRIVACY_NOTICE_VERSION)


@bp.route("/account")
@login_required
def index():
    return _render()


@bp.route("/account/password", methods=["POST"])
@login_required
@limiter.limit(_password_limit)
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            ended = services.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data,
                hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
        except services.WrongPasswordError:
            form.current_password.errors.append(_("The current password is wrong."))
        except services.WeakPasswordError as error:
            form.new_password.errors.append(passwords.describe(error.reason))
        else:
            db.session.commit()
            flash(_("Password changed. %(n)d other sessions were signed out.", n=ended),
                  "success")
            return redirect(url_for("account.index"))
        db.session.rollback()
    return _render(password_form=form)


@bp.route("/account/sessions/<int:session_id>/revoke", methods=["POST"])
@login_required
def revoke_session(session_id: int):
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    sessions.revoke_session(db.session, record)
    db.session.commit()
    if record is current_user.current_session:
        logout_user()
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That session is signed out."), "success")
    return redirect(url_for("account.index"))


@bp.route("/account/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_other_sessions():
    ended = sessions.revoke_all(db.session, current_user, keep=current_user.current_session)
    db.session.commit()
    flash(_("%(n)d other sessions were signed out.", n=ended), "success")
    return redirect(url_for("account.index"))


@bp.route("/account/export")
@login_required
def export():
    """Download everything the platform holds about the signed-in person (JSON)."""
    data = privacy.export_personal_data(db.session, current_user)
    name = f"matchmaker-personal-data-{current_user.id}-{utcnow():%Y%m%d}.json"
    return Response(json.dumps(data, ensure_ascii=False, indent=2),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/account/delete", methods=["POST"])
@login_required
@limiter.limit(_password_limit)
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            privacy.delete_account(db.session, current_user, form.password.data)
        except services.WrongPasswordError:
            form.password.errors.append(_("The password is wrong."))
        except LastOperatorError:
            form.form_errors.append(_("You are the only active operator: make another operator "
                                      "first, so that the platform keeps one."))
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account is deleted and your personal information erased."), "info")
            return redirect(url_for("main.index"))
        db.session.rollback()
    return _render(delete_form=form)


@bp.route("/account/join-requests/<int:request_id>", methods=["POST"])
@login_required
def decide_join_request(request_id: int):
    """A member of the organisation confirms or declines a newcomer's request to join it."""
    join_request = db.get_or_404(JoinRequest, request_id)
    decision = request.form.get("decision", "")
    if decision not in MEMBER_DECISIONS:
        abort(400)
    try:
        services.decide_join_request(db.session, join_request, decision, decider=current_user)
    except services.AlreadyDecidedError:
        db.session.rollback()
        flash(_("Someone already decided this request."), "warning")
    else:
        db.session.commit()
        flash(_("%(name)s: %(decision)s.", name=join_request.user.display_name,
                decision=labels.JOIN_REQUEST_STATUS[decision]), "success")
    return redirect(url_for("account.index"))


@bp.route("/account/consent", methods=["POST"])
@login_required
def consent():
    """Accept the current privacy notice (asked again whenever the notice changes)."""
    privacy.record_consent(db.session, current_user)
    db.session.commit()
    flash(_("Thank you: your consent to the current privacy notice is recorded."), "success")
    return redirect(url_for("account.index"))


@bp.route("/privacy")
def privacy_notice():
    return render_template("main/privacy.html", version=privacy.PRIVACY_NOTICE_VERSION)
