"""Sign in, sign up, sign out and the language switch."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from matchmaker import labels
from matchmaker.auth import services
from matchmaker.auth.forms import LoginForm, SignupForm
from matchmaker.domain import AccountStatus
from matchmaker.errors import ValidationFailedError
from matchmaker.extensions import db, limiter
from matchmaker.orgs.models import Region

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Return target if it is a local path, else the home page (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Wrong e-mail or password."))
        elif user.status != AccountStatus.ACTIVE:
            form.form_errors.append(_("Your account is %(status)s; an operator must approve it "
                                      "before you can sign in.",
                                      status=labels.ACCOUNT_STATUS[user.status]))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    regions = db.session.scalars(select(Region).order_by(Region.id)).all()
    form.region.choices = [SelectChoice(r.name) for r in regions]
    form.organisation_type.choices = (
        labels.choices(labels.INSTITUTION_TYPE, optgroup=_("Institution type"))
        + labels.choices(labels.ENTERPRISE_TIER, optgroup=_("Enterprise tier")))
    if form.validate_on_submit():
        data = services.SignupData(
            email=form.email.data, password=form.password.data,
            display_name=form.display_name.data, role=form.role.data,
            organisation_name=form.organisation_name.data,
            organisation_type=form.organisation_type.data, region_name=form.region.data)
        try:
            services.register_user(db.session, data,
                                   hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
        except services.DuplicateEmailError:
            db.session.rollback()
            form.email.errors.append(_("An account with this e-mail already exists."))
        except ValidationFailedError:
            db.session.rollback()
            form.region.errors.append(_("Unknown region."))
        else:
            db.session.commit()
            flash(_("Thank you. An operator will review your account; you can sign in once it "
                    "is approved."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form)


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str):
    """Switch the interface language and return to the page the user was on."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
