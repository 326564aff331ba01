"""The API tokens page (/account/api-tokens): a signed-in user makes and revokes their own
personal tokens. A web page like the others: session sign-in and CSRF on every form."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from matchmaker.api import tokens
from matchmaker.extensions import db
from matchmaker.forms_common import BaseForm
from matchmaker.types import utcnow

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

DAY_CHOICES = (7, 30, 90, 180, 365)


class TokenForm(BaseForm):
    name = StringField(_l("Name"), description=_l("What the token is for, e.g. “sync with the "
                                                  "university's system”."),
                       validators=[DataRequired(message=_l("Name the token.")),
                                   Length(max=80, message=_l("At most 80 characters."))])
    scope = RadioField(_l("Scope"), default="read", choices=[
        SelectChoice("read", _l("Read only")), SelectChoice("write", _l("Read and write"))])
    days = SelectField(_l("Expires after"), default="90", coerce=int, choices=[
        SelectChoice(d, _l("%(n)d days", n=d)) for d in DAY_CHOICES])


class RevokeForm(BaseForm):
    pass


def _render(form=None, new_token=None):
    return render_template("api/tokens.html", form=form or TokenForm(formdata=None),
                           revoke_form=RevokeForm(formdata=None), new_token=new_token,
                           rows=tokens.list_tokens(db.session, current_user), now=utcnow(),
                           aware=tokens.aware)


@bp.route("/")
@login_required
def index():
    return _render()


@bp.route("/", methods=["POST"])
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form), 400
    made = tokens.create_token(db.session, current_user, name=form.name.data,
                               scope=form.scope.data, days=min(form.days.data, max(DAY_CHOICES)),
                               max_days=current_app.config["API_TOKEN_MAX_DAYS"])
    db.session.commit()
    # Rendered, not redirected: the token is on this response only and stored nowhere.
    return _render(new_token=made)


@bp.route("/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        flash(_("The form expired. Try again."), "danger")
        return redirect(url_for("api_tokens.index"))
    row = tokens.revoke_token(db.session, current_user, token_id)  # others': 404
    db.session.commit()
    flash(_("Token “%(name)s” revoked: it no longer works.", name=row.name), "success")
    return redirect(url_for("api_tokens.index"))
