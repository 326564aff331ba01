"""Public profile pages of institutions, enterprises and brokers (signed-in users)."""
from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from matchmaker.auth.models import Broker, User
from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES, AccountStatus
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput, TechNeed

bp = Blueprint("orgs", __name__)


@bp.route("/institutions/<int:org_id>")
@login_required
def institution(org_id: int):
    org = db.get_or_404(Institution, org_id)
    items = db.session.scalars(
        select(ResearchOutput).where(ResearchOutput.institution_id == org.id,
                                     ResearchOutput.status.in_(PUBLIC_OUTPUT_STATUSES))
        .order_by(ResearchOutput.id.desc())).all()
    return render_template("orgs/institution.html", org=org, items=items)


@bp.route("/enterprises/<int:org_id>")
@login_required
def enterprise(org_id: int):
    org = db.get_or_404(Enterprise, org_id)
    items = db.session.scalars(
        select(TechNeed).where(TechNeed.enterprise_id == org.id,
                               TechNeed.status.in_(PUBLIC_NEED_STATUSES))
        .order_by(TechNeed.id.desc())).all()
    return render_template("orgs/enterprise.html", org=org, items=items)


@bp.route("/brokers")
@login_required
def brokers():
    rows = db.session.scalars(
        select(Broker).join(Broker.user).where(User.status == AccountStatus.ACTIVE)
        .order_by(Broker.id)).all()
    return render_template("orgs/brokers.html", brokers=rows)


@bp.route("/brokers/<int:broker_id>")
@login_required
def broker(broker_id: int):
    row = db.get_or_404(Broker, broker_id)
    return render_template("orgs/broker.html", broker=row)
