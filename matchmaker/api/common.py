"""Pieces every API resource uses: pagination, sorting, updated-since, ETags and If-Match."""
from datetime import UTC, datetime

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matchmaker.api.problems import ApiProblem


def paginate(session: Session, stmt: Select, *, page: int, per_page: int) -> dict:
    """Return {"items", "page", "per_page", "total"} for one page of stmt."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def sorted_by(stmt: Select, model, sort: str) -> Select:
    """Order stmt by sort ("updated_at", "-id", …), the id breaking ties the same way."""
    column = getattr(model, sort.lstrip("-"))
    descending = sort.startswith("-")
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return stmt.order_by(None).order_by(order, model.id.desc() if descending else model.id)


def since(stmt: Select, column, moment: datetime | None) -> Select:
    """Keep the rows whose column is at or after moment (a timezone-aware datetime)."""
    if moment is None:
        return stmt
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise ApiProblem(422, "invalid_input", _("The request has invalid fields; see errors."),
                         errors=[{"field": "updated_since",
                                  "detail": _("This moment is out of range.")}]) from error
    return stmt.where(column >= moment)


def etag_of(obj) -> str:
    """Return the ETag of a versioned record: its version, quoted (a strong validator)."""
    return f'"{obj.version}"'


def with_etag(obj, status: int = 200, headers: dict | None = None):
    """Return a flask-smorest view result carrying obj's ETag."""
    return obj, status, {"ETag": etag_of(obj), **(headers or {})}


def require_if_match(obj) -> int:
    """Check If-Match against obj's version: 428 without it, 412 when stale; return the
    version the client read (for the service's own check)."""
    header = request.headers.get("If-Match")
    if not header or not header.strip() or request.if_match.star_tag:
        raise ApiProblem(428, "if_match_required", _(
            "Send the ETag you read in an If-Match header: updates without it could overwrite "
            "someone else's change."))
    if not request.if_match.contains(etag_of(obj).strip('"')):
        raise ApiProblem(412, "stale_version", _(
            "Someone else changed this record after you read it. Read it again (GET) and send "
            "your change with its new ETag in If-Match."))
    return obj.version


IF_MATCH = {"in": "header", "name": "If-Match", "required": True,
            "schema": {"type": "string"},
            "description": "The ETag of the record as last read (its version, quoted)."}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"},
                        "description": "The record's version; send it back in If-Match."}}
