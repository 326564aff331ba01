"""Home page."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from matchmaker.chains.models import Chain
from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES
from matchmaker.extensions import db
from matchmaker.profiles.models import ResearchOutput, TechNeed

bp = Blueprint("main", __name__)


def _counts_by_chain(model, statuses) -> dict[int | None, int]:
    stmt = (select(model.chain_id, func.count()).where(model.status.in_(statuses))
            .group_by(model.chain_id))
    return dict(db.session.execute(stmt).all())


@bp.route("/")
def index():
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id)).all()
    outputs = _counts_by_chain(ResearchOutput, PUBLIC_OUTPUT_STATUSES)
    needs = _counts_by_chain(TechNeed, PUBLIC_NEED_STATUSES)
    return render_template("main/index.html", chains=chains, outputs=outputs, needs=needs,
                           total_outputs=sum(outputs.values()), total_needs=sum(needs.values()),
                           user=current_user)
