"""Public broker pages: the directory and one broker's profile, also without an account.

Brokers are users, so their pages live with auth (above orgs); the templates stay next to the
other public party pages in templates/orgs/.
"""
from flask import Blueprint, abort, render_template
from sqlalchemy import select

from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus
from matchmaker.extensions import db

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
    return render_template("orgs/broker.html", broker=row)
