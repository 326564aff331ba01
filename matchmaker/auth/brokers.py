"""Public broker pages: the directory and one broker's profile, also without an account.

Brokers are users, so their pages live with auth (above orgs); the templates stay next to the
other public party pages in templates/orgs/.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.auth import contact, services
from matchmaker.auth.forms import BrokerProfileForm
from matchmaker.auth.models import COMPETENCIES, Broker, User
from matchmaker.chains.models import Chain
from matchmaker.domain import AccountStatus
from matchmaker.errors import ValidationFailedError
from matchmaker.extensions import db
from matchmaker.permissions import Action
from matchmaker.templating import localized

bp = Blueprint("brokers", __name__)


def _public_brokers():
    return (select(Broker).join(Broker.user)
            .where(User.status == AccountStatus.ACTIVE, User.deleted_at.is_(None)))


@bp.route("/brokers")
def index():
    rows = db.session.scalars(_public_brokers().order_by(Broker.id)).all()
    return render_template("orgs/brokers.html", brokers=rows)


@bp.route("/brokers/<int:broker_id>")
def detail(broker_id: int):
    row = db.session.scalar(_public_brokers().where(Broker.id == broker_id))
    if row is None:
        abort(404)
    return render_template("orgs/broker.html", broker=row,
                           show_contact=permissions.can(current_user, Action.CONTACT, row))


@bp.app_template_filter("tel_uri")
def tel_uri(phone: str) -> str | None:
    """Return the tel: link of a stored phone number (a tap calls it)."""
    return contact.phone_uri(phone)


@bp.app_template_filter("phone_text")
def phone_text(phone: str) -> str:
    """Return a stored phone number with its extension written in the reader's language."""
    number, extension = contact.phone_parts(phone)
    if not extension:
        return number
    return _("%(number)s ext. %(extension)s", number=number, extension=extension)


@bp.route("/brokers/me", methods=["GET", "POST"])
@login_required
def edit_profile():
    """A broker edits their own profile (chains of specialty, competencies, certificate,
    contact)."""
    broker = current_user.broker if permissions.is_broker(current_user) else None
    if broker is None:
        abort(404)
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    form = BrokerProfileForm(data=None if request.method == "POST" else {
        "chains": [c.key for c in broker.chains], "certificate_no": broker.certificate_no,
        "organisation": broker.organisation, "bio": broker.bio, **broker.competencies,
        **{name: getattr(broker, name) for name in contact.FIELDS}})
    form.chains.choices = [(c.key, localized(c)) for c in chains]
    if form.validate_on_submit() and _save(form, broker, chains):
        flash(_("Your broker profile is saved."), "success")
        return redirect(url_for("brokers.detail", broker_id=broker.id))
    return render_template("orgs/broker_edit.html", form=form, broker=broker)


def _save(form: BrokerProfileForm, broker: Broker, chains) -> bool:
    """Store the form through the service and commit; put a refusal next to its field."""
    try:
        services.update_broker_profile(
            db.session, broker, actor=current_user,
            chains=[c for c in chains if c.key in form.chains.data],
            certificate_no=form.certificate_no.data or "", organisation=form.organisation.data or "",
            bio=form.bio.data or "",
            competencies={name: form[name].data for name in COMPETENCIES},
            contact=form.contact_data())
    except ValidationFailedError as error:
        db.session.rollback()
        for name, message in error.reasons.items():
            form[name].errors = [*form[name].errors, str(message)]
        return False
    db.session.commit()
    return True
