"""What recommendations do when listings or chains change: ask the worker to recompute."""
from matchmaker import signals
from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.jobs import enqueue


@signals.profile_saved.connect
def refresh_after_save(listing, *, session, side: Side, change: str, **_) -> None:
    """A listing that is or was in the market changes the stored matches: refresh them
    (a bulk load's caller asks for a rebuild once instead)."""
    if signals.in_bulk_load(session):
        return
    statuses = MATCHABLE_NEED_STATUSES if side == Side.NEED else MATCHABLE_OUTPUT_STATUSES
    if change == "status" or listing.status in statuses:
        enqueue(session, "matches.refresh")


@signals.chain_saved.connect
def rebuild_after_chain_edit(chain, *, session, **_) -> None:
    """Chains shape every match: refit and swap in a new generation of matches."""
    if signals.in_bulk_load(session):
        return
    enqueue(session, "matches.rebuild")
