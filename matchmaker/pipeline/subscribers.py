"""What the pipeline does when its services announce a change: write the history rows (of
deals and of stages), and note on open deals when their listing's owner withdraws or closes
it."""
from sqlalchemy import select

from matchmaker import signals
from matchmaker.domain import HistoryKind, NeedStatus, OutputStatus, Side
from matchmaker.pipeline import clock
from matchmaker.pipeline.models import Deal, DealHistory, StageChange


@signals.deal_changed.connect
def write_history(deal, *, session, actor, kind, changes, note, at, **_) -> None:
    """One history row per changed field (one row for an event without fields)."""
    rows = changes or [("", None, None)]
    for name, old, new in rows:
        session.add(DealHistory(deal_id=deal.id, actor_id=actor.id if actor else None, at=at,
                                kind=str(kind), field=name, old_value=old, new_value=new,
                                note=note or ""))
    session.flush()


@signals.stage_changed.connect
def write_stage_changes(stage, *, session, actor, action, changes, at, **_) -> None:
    """One stage_changes row per changed field (one row for a change without fields)."""
    for name, old, new in changes or [("", None, None)]:
        session.add(StageChange(stage_id=stage.id, actor_id=actor.id if actor else None, at=at,
                                action=str(action), field=name, old_value=old, new_value=new))
    session.flush()


_OWNER_ENDS = {Side.OUTPUT: OutputStatus.WITHDRAWN, Side.NEED: NeedStatus.CLOSED}


@signals.profile_saved.connect
def note_listing_withdrawn(listing, *, session, side, change, by_deal=None, **_) -> None:
    """An owner withdrew the output or closed the need: each open deal on it records so.

    The deals stay open (their broker decides whether the deal is lost: the owner may be
    re-negotiating, or the listing come back); the row puts it on the deal's timeline.
    """
    if change != "status" or by_deal is not None or listing.status != _OWNER_ENDS[side]:
        return
    column = Deal.output_id if side == Side.OUTPUT else Deal.need_id
    name = "output_status" if side == Side.OUTPUT else "need_status"
    for deal_id in session.scalars(select(Deal.id).where(column == listing.id, Deal.is_open)):
        session.add(DealHistory(deal_id=deal_id, actor_id=None, at=clock.now(),
                                kind=HistoryKind.FIELD, field=name, new_value=listing.status,
                                note="by_listing_owner"))
    session.flush()
