"""Which matches are new to a listing's owners: what each of them has been shown.

A match is *new* for a user while its counterpart is in the current list of a listing of the
user's organisation, as the listing's page shows that list (the current generation, the first
MATCH_LIMIT, counterparts still on the market), and the user has not been shown it on that
page. Opening the page records what it showed (models.SeenMatch).

Decisions, each tested in tests/recommendations/test_seen.py:

- The record is keyed by the pair (need, output), not by the stored match. A refresh or
  rebuild rewrites a listing's whole set (store.write_sets deletes and re-inserts it), so a
  match that stays in the list across refreshes stays seen.
- A counterpart that drops out of the list and later comes back is not new again: its owner
  has been shown it already. "New" means "not shown to you here before", not "moved".
- Per user: each member of the organisation has their own "new"; a colleague's visit does not
  hide the news from the others.
- Only the organisation's members are followed (permissions: Action.FOLLOW_MATCHES): a broker
  or operator opening the page does not clear the owner's "new".

Functions flush but never commit; the caller owns the transaction.
"""
import math
from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import Select, and_, case, false, func, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from matchmaker import permissions
from matchmaker.auth.models import User
from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.matching import calibration
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    SeenMatch,
    StoredMatch,
)
from matchmaker.recommendations.services import match_floor
from matchmaker.types import utcnow

MODELS = {Side.OUTPUT: ResearchOutput, Side.NEED: TechNeed}
MATCHABLE = {Side.OUTPUT: MATCHABLE_OUTPUT_STATUSES, Side.NEED: MATCHABLE_NEED_STATUSES}


def shown_limit() -> int:
    """Return how many matches a listing's page shows (the app's MATCH_LIMIT)."""
    return current_app.config.get("MATCH_LIMIT", 10) if has_app_context() else 10


def quality_log_odds(score, best, log_rank):
    """Return a SQL expression of the match quality's log-odds (services.match_quality, as
    the calibration's linear form) from SQL expressions of the raw score, the list's best raw
    score and the log of the rank: higher log-odds, higher quality."""
    constant, weights = calibration.default().linear_form()
    terms = {"score": score, "best": best, "log_rank": log_rank}
    log_odds = literal(constant)
    for name, weight in weights.items():
        log_odds = log_odds + weight * terms[name]
    return log_odds


def log_odds_of(quality: float) -> float:
    """Return the log-odds a SQL quality_log_odds is compared with to mean quality >= it (0 <
    quality < 1) as pages mean it: they compare the quality rounded to 4 decimals
    (calibration.predict), so a quality that rounds up to it counts."""
    quality = max(quality - 0.5e-4, 1e-12)
    return math.log(quality / (1 - quality)) - 1e-9


def list_best():
    """Return a SQL scalar subquery: the best raw score of StoredMatch's list (its rank 1)."""
    best_row = aliased(StoredMatch)
    return (select(best_row.score).where(best_row.set_id == StoredMatch.set_id,
                                         best_row.rank == 1).scalar_subquery())


def stored_log_odds(limit: int):
    """Return a SQL expression of StoredMatch's match quality as log-odds (its rank is at
    most limit)."""
    log_rank = case({r: math.log(r) for r in range(1, limit + 1)},
                    value=StoredMatch.rank, else_=math.log(max(1, limit)))
    return quality_log_odds(StoredMatch.score, list_best(), log_rank)


def quality_at_least(floor: float, limit: int):
    """Return a SQL condition on StoredMatch: its match quality (services.match_quality:
    calibrated from its score, its set's best score and its rank) is at least floor."""
    if floor <= 0:
        return true()
    if floor >= 1:
        return false()
    return stored_log_odds(limit) >= log_odds_of(floor)


def _columns(side: Side):
    """Return (the listing's column, the counterpart's column) of SeenMatch for side."""
    if side == Side.NEED:
        return SeenMatch.need_id, SeenMatch.output_id
    return SeenMatch.output_id, SeenMatch.need_id


def unseen_candidates(session: Session, user: User, listing: ResearchOutput | TechNeed,
                      candidate_ids: Iterable[int]) -> set[int]:
    """Return the counterparts among candidate_ids that user has not been shown on listing."""
    ids = set(candidate_ids)
    if not ids:
        return set()
    own, other = _columns(listing.side)
    seen = session.scalars(select(other).where(
        SeenMatch.user_id == user.id, SeenMatch.side == listing.side, own == listing.id,
        other.in_(sorted(ids))))
    return ids - set(seen)


def _insert_ignoring_duplicates(session: Session):
    """Return an INSERT into seen_matches that skips rows already there: two tabs opening the
    same page at once both insert, and the second must not fail (PostgreSQL and SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(SeenMatch).on_conflict_do_nothing()


def mark_matches_seen(session: Session, user: User, listing: ResearchOutput | TechNeed,
                      candidate_ids: Iterable[int]) -> set[int]:
    """Record that user has been shown the counterparts candidate_ids among listing's matches;
    flush; return those that were new to user.

    Only the listing's own organisation is followed: anyone else is refused.
    """
    permissions.require(user, Action.FOLLOW_MATCHES, listing)
    fresh = unseen_candidates(session, user, listing, candidate_ids)
    if not fresh:
        return fresh
    side, now = listing.side, utcnow()
    rows = [{"user_id": user.id, "side": side, "seen_at": now,
             "need_id": listing.id if side == Side.NEED else candidate,
             "output_id": candidate if side == Side.NEED else listing.id}
            for candidate in sorted(fresh)]
    session.flush()
    session.execute(_insert_ignoring_duplicates(session), rows)
    return fresh


def _shown_matches(columns, user: User, side: Side, listing_ids: Select, *,
                   limit: int | None, floor: float | None = None) -> Select:
    """Return a select of columns over the matches that the pages of the listings of side that
    listing_ids selects show (current generation, rank <= limit, quality at least the floor,
    listing and counterpart on the market), each outer-joined to whether user has been shown
    it there (SeenMatch). Candidates below the floor are shown only on request: they are never
    counted new (else a listing would stay "new" for what its page does not show)."""
    limit = shown_limit() if limit is None else limit
    floor = match_floor() if floor is None else floor
    listing, candidate = MODELS[side], MODELS[side.other]
    candidate_id = StoredMatch.output_id if side == Side.NEED else StoredMatch.need_id
    return (
        select(*columns)
        .select_from(MatchSet)
        .join(MatchGeneration, and_(MatchGeneration.id == MatchSet.generation_id,
                                    MatchGeneration.status == GenerationStatus.CURRENT))
        .join(listing, and_(listing.id == MatchSet.profile_id,
                            listing.status.in_(MATCHABLE[side])))
        .join(StoredMatch, and_(StoredMatch.set_id == MatchSet.id, StoredMatch.rank <= limit))
        .join(candidate, and_(candidate.id == candidate_id,
                              candidate.status.in_(MATCHABLE[side.other])))
        .outerjoin(SeenMatch, and_(SeenMatch.user_id == user.id, SeenMatch.side == side,
                                   SeenMatch.need_id == StoredMatch.need_id,
                                   SeenMatch.output_id == StoredMatch.output_id))
        .where(MatchSet.side == side, MatchSet.profile_id.in_(listing_ids),
               quality_at_least(floor, limit)))


def match_counts_query(user: User, side: Side, listing_ids: Select, *,
                       limit: int | None = None) -> Select:
    """Return a select of (listing_id, matches, new) for the listings of side that listing_ids
    selects: how many matches each one's page shows, and how many of those user has not been
    shown there. One statement for any number of listings; listings without a shown match
    have no row.
    """
    matches = func.count(StoredMatch.id)
    columns = (MatchSet.profile_id.label("listing_id"), matches.label("matches"),
               (matches - func.count(SeenMatch.user_id)).label("new"))
    return (_shown_matches(columns, user, side, listing_ids, limit=limit)
            .group_by(MatchSet.profile_id))


def new_matches_query(user: User, side: Side, listing_ids: Select, *,
                      limit: int | None = None, floor: float | None = None) -> Select:
    """Return a select of (listing_id, listing_title, need_id, output_id, score, best, rank),
    by match quality, best first, of the matches new to user: shown on the pages of the
    listings of side that listing_ids selects (good matches: quality at least floor, by
    default MATCH_FLOOR), not yet shown to user there. score is the raw score, best its
    list's best; services.match_quality(score, best, rank) is the quality. One statement; the
    caller may add conditions (the weekly digest leaves out what it told before).
    """
    limit = shown_limit() if limit is None else limit
    listing = MODELS[side]
    columns = (MatchSet.profile_id.label("listing_id"), listing.title.label("listing_title"),
               StoredMatch.need_id, StoredMatch.output_id, StoredMatch.score,
               list_best().label("best"), StoredMatch.rank)
    return (_shown_matches(columns, user, side, listing_ids, limit=limit, floor=floor)
            .where(SeenMatch.user_id.is_(None))
            .order_by(stored_log_odds(limit).desc(), MatchSet.profile_id, StoredMatch.need_id,
                      StoredMatch.output_id))


def count_new_matches(session: Session, user: User,
                      listings: Iterable[ResearchOutput | TechNeed]) -> dict[int, int]:
    """Return {listing id: matches new to user} for listings of one side (one query)."""
    listings = list(listings)
    if not listings:
        return {}
    side = listings[0].side
    model = MODELS[side]
    ids = select(model.id).where(model.id.in_([item.id for item in listings]))
    counts = {row.listing_id: row.new
              for row in session.execute(match_counts_query(user, side, ids))}
    return {item.id: counts.get(item.id, 0) for item in listings}
