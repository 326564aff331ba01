"""E-mailed links: the forgotten-password form and the reset link, the address-verification
link, and asking for the verification e-mail again (routes on auth's and account's bp).

The forgotten-password form answers the same whether or not the address has an account, and
is rate-limited per visitor and per address asked for.
"""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.auth import passwords, services
from matchmaker.auth.account import bp as account_bp
from matchmaker.auth.forms import ForgotPasswordForm, ResetPasswordForm
from matchmaker.auth.views import bp
from matchmaker.extensions import db, limiter

LINK_PROBLEMS = {
    "expired": lambda: _("This link has expired."),
    "used": lambda: _("This link was already used."),
    "invalid": lambda: _("This link is not valid (it may be incomplete: copy the whole link "
                         "from the e-mail)."),
}


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _per_address_limit() -> str:
    return current_app.config["PASSWORD_RESET_PER_ADDRESS_LIMIT"]


def _address_asked() -> str:
    """The rate limiter's key for the per-address limit: the address typed in the form."""
    return "reset:" + services.normalize_email(request.form.get("email", ""))[:254]


def _max_age(name: str) -> int:
    return int(current_app.config[name].total_seconds())


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_per_address_limit, methods=["POST"], key_func=_address_asked)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. The link works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    secret, max_age = current_app.config["SECRET_KEY"], _max_age("PASSWORD_RESET_MAX_AGE")
    try:
        services.find_reset_user(db.session, token, secret=secret, max_age=max_age)
    except services.InvalidLinkError as error:
        return render_template("auth/link_problem.html",
                               problem=LINK_PROBLEMS[error.reason](), reset=True), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, form.new_password.data, secret=secret,
                                    max_age=max_age,
                                    hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
        except services.WeakPasswordError as error:
            db.session.rollback()
            form.new_password.errors.append(passwords.describe(error.reason))
        else:
            db.session.commit()
            flash(_("Your password is changed and every session signed out. Sign in with the "
                    "new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/verify/<token>")
def verify_email(token: str):
    """Opened from the sign-up e-mail: mark the address verified (opening it again is fine)."""
    try:
        services.verify_email(db.session, token, secret=current_app.config["SECRET_KEY"],
                              max_age=_max_age("EMAIL_VERIFY_MAX_AGE"))
    except services.InvalidLinkError as error:
        db.session.rollback()
        return render_template("auth/link_problem.html",
                               problem=LINK_PROBLEMS[error.reason](), reset=False), 400
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    return redirect(url_for("account.index") if current_user.is_authenticated
                    else url_for("auth.login"))


@account_bp.route("/account/verify-email", methods=["POST"])
@login_required
@limiter.limit(_per_address_limit)
def send_verification():
    if services.request_email_verification(db.session, current_user):
        db.session.commit()
        flash(_("We sent the confirmation link to %(email)s.", email=current_user.email),
              "info")
    else:
        flash(_("Your e-mail address is already confirmed."), "info")
    return redirect(url_for("account.index"))
