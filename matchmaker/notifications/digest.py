"""The weekly digest of new matches for listing owners (the job runs on Monday mornings).

Each owner (an active, undeleted institution or enterprise account, which always has its
organisation) is told about the matches that are all of:

- new to them, as recommendations.seen defines it: in the current list of one of their
  organisation's listings as its page shows it (current generation, rank <= MATCH_LIMIT,
  listing and counterpart still on the market, a good match: match quality at least
  MATCH_FLOOR, recommendations.services.is_good_match) and not yet shown to them on that
  listing's page;
- not in an earlier digest to them (models.DigestedMatch).

Decisions:

- One digest per owner per ISO week, however often or late the job runs: the notification's
  dedupe key names the week and the user (rules.digest_key). The matches are recorded as
  digested only when this run recorded the notification. A second run in the same week finds
  the key taken and records nothing, so a match that arrived between the two runs waits for
  next week's digest instead of being marked as told in a message that never went out.
- A muted kind is skipped before its query and nothing is recorded: whoever unmutes it later
  hears about what is still new then (what they have opened since is seen, so left out).
- The threshold is the pages' floor, not a setting of its own: a match the digest tells
  about is one the listing's page lists, and the percentages are match qualities, as on the
  match cards.
- The link goes to the page of the listing with the best match, not to the owner's home:
  one click shows that match (the page then marks its list seen), and the home page lists
  every listing with its new matches anyway.
- One query per owner, through their organisation's listings only (the listings' indexed
  organisation column), plus one each for the owners, their choices and the keys already
  recorded this week: the bench's 100k outputs and 20k needs are never read as a whole.

Like every service: flush, never commit; the job owns the transaction.
"""
from datetime import date

from sqlalchemy import Select, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload

from matchmaker.auth.models import User
from matchmaker.domain import AccountStatus, Role, Side
from matchmaker.matching import calibration
from matchmaker.notifications import rules
from matchmaker.notifications.models import DigestedMatch, Notification
from matchmaker.notifications.rules import DigestLine, DigestSummary, Kind
from matchmaker.notifications.services import Choice, default_choice, load_choices, notify
from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import seen
from matchmaker.recommendations.models import StoredMatch
from matchmaker.recommendations.services import match_floor, match_quality
from matchmaker.types import utcnow

KIND = Kind.NEW_MATCHES_DIGEST
# An owner's listings: their side, and the page a digest links to.
SIDES = {Role.INSTITUTION: (Side.OUTPUT, "outputs.detail"),
         Role.ENTERPRISE: (Side.NEED, "needs.detail")}
_KEYS_PER_QUERY = 500  # keeps IN lists well inside SQLite's and PostgreSQL's limits


def list_owners(session: Session) -> list[User]:
    """Return the accounts a digest can go to, by id."""
    return list(session.scalars(
        select(User).where(User.role.in_(list(SIDES)), User.status == AccountStatus.ACTIVE,
                           User.deleted_at.is_(None))
        .order_by(User.id).options(lazyload("*"))))


def _own_listing_ids(user: User) -> Select:
    """Return a select of the ids of the listings of user's organisation.

    correlate(None): the outer query joins the same table, and this must stay a plain list of
    the organisation's listings (driven by its index), not a condition on the outer row.
    """
    if user.role == Role.INSTITUTION:
        return select(ResearchOutput.id).where(
            ResearchOutput.institution_id == user.institution_id).correlate(None)
    return select(TechNeed.id).where(TechNeed.enterprise_id == user.enterprise_id).correlate(None)


def list_digest_matches(session: Session, user: User, *, floor: float | None = None,
                        limit: int | None = None) -> list[DigestLine]:
    """Return the matches a digest to user would list now, by match quality, best first
    (one query); floor and limit default to MATCH_FLOOR and MATCH_LIMIT."""
    side, _endpoint = SIDES[user.role]
    query = (seen.new_matches_query(user, side, _own_listing_ids(user), limit=limit,
                                    floor=floor)
             .outerjoin(DigestedMatch, and_(DigestedMatch.user_id == user.id,
                                            DigestedMatch.need_id == StoredMatch.need_id,
                                            DigestedMatch.output_id == StoredMatch.output_id))
             .where(DigestedMatch.user_id.is_(None)))
    return [DigestLine(row.listing_id, row.listing_title, row.need_id, row.output_id,
                       match_quality(row.score, row.best, row.rank))
            for row in session.execute(query)]


def _keys_taken(session: Session, keys: list[str]) -> set[str]:
    """Return those of keys that a notification already has."""
    taken: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        taken.update(session.scalars(select(Notification.dedupe_key)
                                     .where(Notification.dedupe_key.in_(chunk))))
    return taken


def _record(session: Session, user: User, lines: list[DigestLine]) -> None:
    """Record that user was told about lines (a pair already recorded is left as it was)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    session.flush()
    session.execute(dialect.insert(DigestedMatch).on_conflict_do_nothing(),
                    [{"user_id": user.id, "need_id": line.need_id, "output_id": line.output_id,
                      "digested_at": now} for line in lines])


def _tell(session: Session, user: User, summary: DigestSummary, *, key: str, floor: float,
          choices: dict[tuple[int, str], Choice]) -> int | None:
    _side, endpoint = SIDES[user.role]
    params = {"count": summary.count, "listings": summary.listings,
              "threshold": round(floor * 100), "best": summary.best.listing_title,
              "best_score": calibration.percent(summary.best.quality)}
    return notify(session, user, KIND, key=key, params=params, choices=choices,
                  link=(endpoint, {"item_id": summary.best.listing_id}))


def send_digests(session: Session, *, today: date | None = None,
                 floor: float | None = None, limit: int | None = None) -> dict:
    """Send this week's digest of new matches to every owner who has some; return counts.

    Safe to run again, or late, in the same ISO week: each owner gets one digest a week.
    floor (the match quality a match reaches) and limit default to MATCH_FLOOR and
    MATCH_LIMIT, as on the listings' pages.
    """
    today = today or clock.today()
    floor = match_floor() if floor is None else floor
    owners = list_owners(session)
    keys = {user.id: rules.digest_key(today, user.id) for user in owners}
    taken = _keys_taken(session, list(keys.values()))
    choices = load_choices(session, list(keys))
    sent = told = 0
    for user in owners:
        if keys[user.id] in taken or choices.get((user.id, KIND), default_choice(KIND)).muted:
            continue
        lines = list_digest_matches(session, user, floor=floor, limit=limit)
        summary = rules.summarise_digest(lines)
        if summary is None or _tell(session, user, summary, key=keys[user.id],
                                    floor=floor, choices=choices) is None:
            continue
        _record(session, user, lines)
        sent += 1
        told += summary.count
    year, week, _day = today.isocalendar()
    return {"week": f"{year}-W{week:02d}", "owners": len(owners), "sent": sent,
            "matches": told}


__all__ = ["list_digest_matches", "list_owners", "send_digests"]
