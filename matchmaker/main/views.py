"""Home page and the health endpoints."""
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select

from matchmaker import security
from matchmaker.chains.models import Chain
from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES
from matchmaker.extensions import db
from matchmaker.pipeline import pages as pipeline_pages
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
    # Each role's home page starts with its own work (the pipeline's pages); anonymous
    # visitors get the public page only.
    work = pipeline_pages.role_home(db.session, current_user)
    return render_template("main/index.html", chains=chains, outputs=outputs, needs=needs,
                           total_outputs=sum(outputs.values()), total_needs=sum(needs.values()),
                           user=current_user, **work)


@bp.route("/healthz")
def healthz():
    """Answer that this web process is up (no database, no session: the load tests' baseline
    and a load balancer's liveness check)."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


security.keep_cache_control("main.healthz")  # its no-store needs no user loaded to decide


@bp.route("/readyz")
def readyz():
    """Answer whether this process can serve: the database answers, and Redis in RQ mode."""
    checks = {}
    try:
        db.session.execute(select(1))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001  (any failure means: not ready)
        checks["database"] = type(error).__name__
    jobs = current_app.extensions["jobs"]
    if jobs.mode == "rq":
        try:
            jobs.redis().ping()
            checks["redis"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["redis"] = type(error).__name__
    ready = all(value == "ok" for value in checks.values())
    return jsonify(ready=ready, **checks), 200 if ready else 503
