"""Profile pages of institutions, enterprises and brokers: public, also without an account.

Anonymous visitors see what an organisation shows the world (name, region, type or tier,
description, the titles of its published outputs or open needs) and brokers' public profiles;
details of a listing stay behind sign-in. No e-mail address, draft or withdrawn item is shown.
"""
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from matchmaker.auth.models import Broker, User
from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    PUBLIC_NEED_STATUSES,
    PUBLIC_OUTPUT_STATUSES,
    AccountStatus,
)
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput, TechNeed

bp = Blueprint("orgs", __name__)


@bp.route("/institutions/<int:org_id>")
def institution(org_id: int):
    org = db.get_or_404(Institution, org_id)
    items = db.session.scalars(
        select(ResearchOutput).where(ResearchOutput.institution_id == org.id,
                                     ResearchOutput.status.in_(PUBLIC_OUTPUT_STATUSES))
        .order_by(ResearchOutput.id.desc())).all()
    return render_template("orgs/institution.html", org=org, items=items)


@bp.route("/enterprises/<int:org_id>")
def enterprise(org_id: int):
    org = db.get_or_404(Enterprise, org_id)
    # Visitors without an account see the open needs only; solved ones are for members.
    statuses = PUBLIC_NEED_STATUSES if current_user.is_authenticated else MATCHABLE_NEED_STATUSES
    items = db.session.scalars(
        select(TechNeed).where(TechNeed.enterprise_id == org.id, TechNeed.status.in_(statuses))
        .order_by(TechNeed.id.desc())).all()
    return render_template("orgs/enterprise.html", org=org, items=items)


def _public_brokers():
    return (select(Broker).join(Broker.user)
            .where(User.status == AccountStatus.ACTIVE, User.deleted_at.is_(None)))


@bp.route("/brokers")
def brokers():
    rows = db.session.scalars(_public_brokers().order_by(Broker.id)).all()
    return render_template("orgs/brokers.html", brokers=rows)


@bp.route("/brokers/<int:broker_id>")
def broker(broker_id: int):
    row = db.session.scalar(_public_brokers().where(Broker.id == broker_id))
    if row is None:
        abort(404)
    return render_template("orgs/broker.html", broker=row)
