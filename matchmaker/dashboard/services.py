"""Yearly targets: read and set them (the one write path: the editor and the seed loader)."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matchmaker import permissions
from matchmaker.dashboard import labels, metrics
from matchmaker.dashboard.models import NOTE_MAX, TARGET_MAX, YEAR_MAX, YEAR_MIN, YearTarget
from matchmaker.errors import PermissionDeniedError, StaleObjectError, ValidationFailedError
from matchmaker.permissions import Action


@dataclass(frozen=True)
class TargetData:
    year: int
    metric: str
    target: Decimal
    note: str = ""


def list_targets(session: Session, year: int) -> dict[str, YearTarget]:
    """Return the year's targets by metric key."""
    rows = session.scalars(select(YearTarget).where(YearTarget.year == year))
    return {row.metric: row for row in rows}


def find_target(session: Session, year: int, metric: str) -> YearTarget | None:
    """Return the target of metric for year, or None."""
    return session.scalar(select(YearTarget).where(YearTarget.year == year,
                                                   YearTarget.metric == metric))


def list_target_years(session: Session) -> list[int]:
    """Return the years that have targets, newest first."""
    return list(session.scalars(select(YearTarget.year).distinct()
                                .order_by(YearTarget.year.desc())))


def _check(data: TargetData) -> dict[str, str]:
    metric = metrics.get_metric(data.metric)
    reasons: dict[str, str] = {}
    if metric is None:
        reasons["metric"] = labels.REFUSAL["unknown_metric"]
    if not YEAR_MIN <= data.year <= YEAR_MAX:
        reasons["year"] = labels.REFUSAL["year_range"]
    if data.target < 0:
        reasons["target"] = labels.REFUSAL["target_negative"]
    elif data.target > TARGET_MAX:
        reasons["target"] = labels.REFUSAL["target_too_large"]
    elif metric is not None and metric.unit == metrics.Unit.PERCENT and data.target > 100:
        reasons["target"] = labels.REFUSAL["percent_range"]
    if len(data.note) > NOTE_MAX:
        reasons["note"] = labels.REFUSAL["note_too_long"]
    return reasons


def set_target(session: Session, data: TargetData, *, actor, version: int | None) -> YearTarget:
    """Create or change the target of (year, metric); flush.

    version: the row's version the editor showed, None when it showed no target. Raise
    StaleObjectError when the row changed (or was created) since; ValidationFailedError
    with reasons by field for bad values; PermissionDeniedError unless actor is an operator.
    """
    target = find_target(session, data.year, data.metric)
    if not permissions.can(actor, Action.EDIT, target or YearTarget()):
        raise PermissionDeniedError("year_target")
    reasons = _check(data)
    if reasons:
        raise ValidationFailedError(reasons)
    if (target is None) != (version is None) or (target is not None
                                                 and target.version != version):
        raise StaleObjectError(target.id if target is not None else None)
    if target is None:
        target = YearTarget(year=data.year, metric=data.metric)
        session.add(target)
    target.target = data.target
    target.unit = metrics.BY_KEY[data.metric].unit
    target.note = data.note.strip()
    target.updated_by_id = getattr(actor, "id", None)
    try:
        with session.begin_nested():
            session.flush()
    except (IntegrityError, StaleDataError) as error:  # someone saved it between our read
        raise StaleObjectError(None) from error  # and this write
    return target
