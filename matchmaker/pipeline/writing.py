"""What every pipeline service does: refuse with reasons, check the version, flush, record
the change (signals.deal_changed, whose subscriber writes history), and keep the listing
statuses that deals own (see services.py's docstring)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matchmaker import permissions, signals
from matchmaker.auth.models import User
from matchmaker.domain import HistoryKind, NeedStatus, OutputStatus, Phase
from matchmaker.errors import StaleObjectError, ValidationFailedError
from matchmaker.pipeline import clock, rules, subscribers  # noqa: F401  (history rows)
from matchmaker.pipeline.labels import refusal_message
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.pipeline.queries import deal_facts, stage_def
from matchmaker.profiles.models import ResearchOutput
from matchmaker.profiles.services import apply_deal_status


class RefusedError(ValidationFailedError):
    """A pipeline change the rules refuse; refusals hold the codes, reasons their messages
    (keyed by the field to fix, else by the code), in the reader's language."""

    def __init__(self, refusals: list[rules.Refusal]):
        self.refusals = refusals
        self.codes = [r.code for r in refusals]
        super().__init__({r.field or r.code: refusal_message(r.code, r.count) for r in refusals})


def refuse(code: str, field: str | None = None) -> RefusedError:
    """Return the error for one refusal code (raise it)."""
    return RefusedError([rules.Refusal(code, field)])


# --- helpers -------------------------------------------------------------------------------

def flush_deal(session: Session, deal: Deal | None = None) -> None:
    """Flush; a deal saved by someone else since it was loaded is a StaleObjectError."""
    deal_id = deal.id if deal is not None else None  # not readable after a failed flush
    try:
        session.flush()
    except StaleDataError as error:
        raise StaleObjectError(deal_id) from error


def check_version(deal: Deal, version: int | None) -> None:
    """Raise StaleObjectError unless the deal is still at the version the user saw."""
    if version is not None and deal.version != version:
        raise StaleObjectError(deal.id)


def require_edit(actor: User | None, deal: Deal) -> None:
    """Raise unless actor may change the deal (its brokers and operators)."""
    permissions.require(actor, permissions.Action.EDIT, deal)


def touch(deal: Deal) -> None:
    """Mark the deal changed now (bumps its version) and active (resets the stale clock)."""
    moment = clock.now()
    deal.updated_at = moment
    deal.last_activity_at = moment


def history_text(value) -> str | None:
    """Return how a value is written in a history row."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "id"):
        return str(value.id)
    return str(value)


def announce(deal: Deal, session: Session, actor: User | None, kind: HistoryKind,
             changes=(), note: str = "") -> None:
    signals.deal_changed.send(
        deal, session=session, actor=actor, kind=kind, at=clock.now(), note=note,
        changes=[(name, history_text(old), history_text(new)) for name, old, new in changes])


def assign(obj, values: dict) -> list[tuple[str, object, object]]:
    """Set the attributes of values that differ; return (name, old, new) per change."""
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if isinstance(old, Decimal) and new is not None:
            new = Decimal(str(new))
        if old != new:
            setattr(obj, name, new)
            changes.append((name, old, new))
    return changes


def check_choice(value, enum, field: str) -> None:
    if value is not None and value not in {item.value for item in enum}:
        raise refuse("unknown_value", field)


def check_money(value, field: str) -> None:
    if value is not None and Decimal(str(value)) < 0:
        raise refuse("value_negative", field)


def is_active_broker(user: User | None) -> bool:
    """Return whether user is an active broker (who may own or co-own a deal)."""
    return permissions.is_broker(user)


# --- listing status, owned by deals -----------------------------------------------------------

def _landing_deals_of(session: Session, column, listing_id: int, except_id: int) -> int:
    land_stage_ids = select(DealStage.id).where(
        DealStage.phase.in_([Phase.LAND, Phase.SERVE, Phase.SHOWCASE]))
    return session.scalar(select(func.count(Deal.id)).where(
        column == listing_id, Deal.id != except_id, Deal.is_open,
        Deal.stage_id.in_(land_stage_ids))) or 0


def sync_listing_status(session: Session, deal: Deal, actor: User | None, *,
                        record: bool = True) -> None:
    """Set the deal's output and need statuses to what the deal now says (services.py's
    docstring: deals own them); each change is a history row unless record is False."""
    stage = stage_def(deal.stage)
    signed = (deal.is_open and rules.is_landing_or_later(stage)
              and deal.contract is not None and deal_facts(deal).contract.is_complete)
    landing = deal.is_open and rules.is_landing_or_later(stage)
    for listing, column, (back, landing_status, done) in (
            (deal.output, Deal.output_id, (OutputStatus.PUBLISHED, OutputStatus.UNDER_NEGOTIATION,
                                           OutputStatus.TRANSFERRED)),
            (deal.need, Deal.need_id, (NeedStatus.PUBLISHED, NeedStatus.MATCHED,
                                       NeedStatus.SOLVED))):
        if listing is None:
            continue
        if signed:
            wanted = done
        elif landing:
            wanted = landing_status
        elif listing.status == landing_status and not _landing_deals_of(
                session, column, listing.id, deal.id):
            wanted = back
        else:
            continue
        old = listing.status
        if apply_deal_status(session, listing, wanted, deal_id=deal.id) and record:
            name = "output_status" if isinstance(listing, ResearchOutput) else "need_status"
            announce(deal, session, actor, HistoryKind.FIELD, [(name, old, wanted)],
                     note="owner_told")


def sync_listing_statuses(session: Session, deal: Deal) -> None:
    """Re-apply the statuses the deal already set on its listings, without new history rows
    (the seed loader calls it after the listings' own loader reset them from their files)."""
    sync_listing_status(session, deal, None, record=False)
