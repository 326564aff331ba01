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
from matchmaker.auth import passwords, services, sessions
from matchmaker.auth.forms import LoginForm, SignupForm
from matchmaker.auth.login import sign_in
from matchmaker.domain import AccountStatus
from matchmaker.errors import ValidationFailedError
from matchmaker.extensions import db, limiter
from matchmaker.orgs import services as orgs
from matchmaker.orgs.models import Region
from matchmaker.templating import current_language, localized

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _account_created(response) -> bool:
    return response.status_code == 302


def _safe_next(target: str | None) -> str:
    """Return target if it is a local path, else the home page (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc and "\\" not in target:
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
            sign_in(user, remember=form.remember.data)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if current_user.current_session is not None:
        sessions.revoke_session(db.session, current_user.current_session)
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _prepare_signup(form: SignupForm) -> None:
    regions = db.session.scalars(select(Region).order_by(Region.id)).all()
    form.region.choices = [SelectChoice(r.name, localized(r)) for r in regions]
    form.organisation_type.choices = (
        labels.choices(labels.INSTITUTION_TYPE, optgroup=_("Institution type"))
        + labels.choices(labels.ENTERPRISE_TIER, optgroup=_("Enterprise tier")))


def _signup_data(form: SignupForm) -> services.SignupData:
    return services.SignupData(
        email=form.email.data, password=form.password.data,
        display_name=form.display_name.data, role=form.role.data,
        organisation_name=form.organisation_name.data,
        organisation_type=form.organisation_type.data, region_name=form.region.data,
        join_organisation=form.organisation_to_join(), locale=current_language())


def _register(form: SignupForm):
    """Create the account from a valid form: return (user, None), or (None, match) when the
    organisation is already on the platform and the person has not yet asked to join it, or
    (None, None) with the errors on the form."""
    try:
        user = services.register_user(
            db.session, _signup_data(form),
            hash_method=current_app.config.get("PASSWORD_HASH_METHOD"))
    except services.DuplicateEmailError:
        form.email.errors.append(_("An account with this e-mail already exists."))
    except services.WeakPasswordError as error:
        form.password.errors.append(passwords.describe(error.reason))
    except services.OrganisationExistsError as error:
        db.session.rollback()
        form.organisation_name.errors.append(_(
            "This organisation is already on the platform. Tick “ask to join” below, or enter "
            "the full name of a different organisation."))
        form.join_organisation.data = orgs.organisation_key(error.match.organisation)
        form.join_existing.data = False
        return None, error.match
    except ValidationFailedError:
        form.region.errors.append(_("Unknown region."))
    else:
        db.session.commit()
        return user, None
    db.session.rollback()
    return None, None


def _welcome(user) -> str:
    request_ = user.pending_join_request
    if request_ is None:
        return _("Thank you. An operator will review your account; you can sign in once it "
                 "is approved.")
    return _("Thank you. Your account asks to join %(org)s: a member of %(org)s or an operator "
             "confirms that you belong there, then an operator approves the account.",
             org=request_.organisation.name)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"], deduct_when=_account_created)
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    form = SignupForm()
    _prepare_signup(form)
    match = None
    if form.validate_on_submit():
        user, match = _register(form)
        if user is not None:
            flash(_welcome(user), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form, match=match)


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str):
    """Switch the interface language and return to the page the user was on."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
