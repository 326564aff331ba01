"""Computing the stored matches: the worker's side of recommendations.

Every published listing has a match set per generation: its top candidates with score, parts
and explanation. Two jobs keep them, both on the "matching" queue, whose worker holds the
matcher index:

matches.refresh  after a listing is saved (and every minute as a safety net): the sets of
                 listings that changed are recomputed, and so are the sets of the other side
                 that a changed listing was in or now enters.
matches.rebuild  after a chain edit (and nightly): refit the matcher, write a whole new
                 generation beside the current one, then make it current in one update.

Functions flush or commit as their docstring says; the job runner owns the last commit.
"""
import logging
import time
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import Engine, and_, delete, func, select, text, update
from sqlalchemy.orm import Session

from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.extensions import db
from matchmaker.jobs import JobContext, enqueue, task
from matchmaker.matching import Ranking
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.index import MatchIndex, need_profile, output_profile
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)
from matchmaker.types import utcnow

log = logging.getLogger(__name__)

MODELS = {Side.OUTPUT: ResearchOutput, Side.NEED: TechNeed}
MATCHABLE = {Side.OUTPUT: MATCHABLE_OUTPUT_STATUSES, Side.NEED: MATCHABLE_NEED_STATUSES}
# How many candidates of a changed listing are checked for entering the other side's sets.
ENTRY_POOL = 500
# Scores of the entry check come from the changed listing's side; a set is recomputed when
# the listing comes within this much of its threshold (the exact ranking then decides).
ENTRY_MARGIN = 0.02
WRITE_CHUNK = 200  # sets written per commit during a rebuild
DELETE_CHUNK = 2000


def warm_index() -> str:
    """Load or fit the index before a matching worker's first job (jobs.register_warmup)."""
    started = time.perf_counter()
    current_index().apply_changes(db.session)
    db.session.commit()
    db.session.remove()
    size = current_index().size
    return (f"Matcher index ready in {time.perf_counter() - started:.1f} s "
            f"({size[Side.OUTPUT]} outputs, {size[Side.NEED]} needs).")


def current_index() -> MatchIndex:
    """Return this process's matcher index (only job runners use it)."""
    return current_app.extensions["match_index"]


def _limit() -> int:
    return current_app.config.get("MATCH_LIMIT", 10)


def listings_fingerprint(session: Session) -> tuple:
    """Return what moves when a listing or chain changes in a way that changes matches: the
    count, id and version sums of the matchable listings of each side, and the chains."""
    parts = []
    for side, model in MODELS.items():
        parts.append(tuple(session.execute(
            select(func.count(model.id), func.coalesce(func.sum(model.id), 0),
                   func.coalesce(func.sum(model.version), 0))
            .where(model.status.in_(MATCHABLE[side]))).one()))
    return tuple(parts), current_index().settings_digest(session)


def current_generation(session: Session) -> MatchGeneration | None:
    """Return the generation pages read, or None before the first rebuild."""
    return session.scalar(select(MatchGeneration)
                          .where(MatchGeneration.status == GenerationStatus.CURRENT))


# --- writing sets -------------------------------------------------------------------------------

def _guess(ranking: Ranking) -> dict:
    guess = ranking.chain
    return {"chain": guess.chain, "segment": guess.segment,
            "confidence": round(float(guess.confidence), 4), "source": guess.source}


def _threshold(ranking: Ranking, limit: int, floor: float) -> float:
    """Return the score a candidate must beat to enter this set."""
    if ranking.notice or len(ranking.matches) < limit:
        return floor
    return float(ranking.matches[-1].score)


def write_sets(session: Session, generation_id: int, side: Side,
               rankings: Iterable[tuple[Ranking, int]], *, limit: int, floor: float) -> int:
    """Replace the sets of (generation, side) for the ranked listings; flush; return the count.

    rankings yields (ranking, version of the listing it was computed from).
    """
    rankings = list(rankings)
    if not rankings:
        return 0
    ids = [ranking.query_id for ranking, _ in rankings]
    session.execute(delete(MatchSet).where(MatchSet.generation_id == generation_id,
                                           MatchSet.side == side, MatchSet.profile_id.in_(ids)))
    now = utcnow()
    sets = [MatchSet(generation_id=generation_id, side=side, profile_id=ranking.query_id,
                     profile_version=version, notice=ranking.notice, chain_guess=_guess(ranking),
                     threshold=_threshold(ranking, limit, floor), computed_at=now)
            for ranking, version in rankings]
    session.add_all(sets)
    session.flush()
    rows = []
    for match_set, (ranking, _) in zip(sets, rankings):
        for rank, match in enumerate(ranking.matches, start=1):
            need_id, output_id = ((ranking.query_id, match.candidate_id) if side == Side.NEED
                                  else (match.candidate_id, ranking.query_id))
            rows.append({"set_id": match_set.id, "rank": rank, "need_id": need_id,
                         "output_id": output_id, "score": float(match.score),
                         "parts": dict(match.parts), "explanation": dict(match.explanation)})
    if rows:
        # With RETURNING, SQLAlchemy sends many rows per INSERT ("insertmanyvalues") instead
        # of one statement per row, each an executor start for PostgreSQL. (The JSON columns'
        # serializer writes numpy numbers: extensions.json_dumps.)
        table = StoredMatch.__table__
        session.execute(table.insert().returning(table.c.id), rows)
    return len(sets)


def analyze_match_tables(session: Session) -> bool:
    """Refresh PostgreSQL's statistics of the match tables (ANALYZE); False on SQLite.

    Every stored match checks its foreign key to its set, with a plan each connection makes
    once and keeps until the table's statistics change. Made while match_sets was nearly empty
    (a new database's first rebuild), that plan reads the whole table for every row, so
    writing a generation grew quadratic: at 100k listings the checks read 30 billion rows and
    the rebuild took 24 minutes, most of it PostgreSQL's CPU (bench/README.md, "Runtime").
    Where autovacuum is off or has not caught up, nothing else refreshes the statistics; a
    rebuild does it as the tables double, which also makes every connection plan anew.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(text("ANALYZE match_sets, stored_matches"))
    return True


def vacuum_match_tables(session: Session) -> bool:
    """VACUUM (ANALYZE) the match tables on PostgreSQL, outside the session's transaction;
    False when not on PostgreSQL or when the session is bound to a connection its caller owns
    (a VACUUM cannot run inside a transaction).

    A rebuild deletes the previous generation: 1.2 million stored matches at 100k listings.
    Until they are vacuumed the pages' statements step over them: PostgreSQL's CPU per request
    of the load test rose from 7.2 to 13.3 ms after a rebuild, and fell back after a VACUUM
    of 3 seconds (bench/README.md, "Runtime"). Autovacuum comes round to it in time, where it
    is on; the rebuild does not wait for it.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return False
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) match_sets, stored_matches")
    return True


def _rank(index: MatchIndex, side: Side, row, *, limit: int, explain: bool = True) -> Ranking:
    if side == Side.NEED:
        return index.matcher.rank_outputs(need_profile(row), limit=limit, explain=explain)
    return index.matcher.rank_needs(output_profile(row), limit=limit, explain=explain)


def compute_sets(session: Session, index: MatchIndex, generation_id: int, side: Side,
                 ids: Iterable[int]) -> int:
    """Rank the matchable listings ids of side and store their sets; flush; return the count."""
    model = MODELS[side]
    ids = sorted(set(ids))
    written = 0
    for start in range(0, len(ids), WRITE_CHUNK):
        rows = session.scalars(select(model).where(model.id.in_(ids[start:start + WRITE_CHUNK]),
                                                   model.status.in_(MATCHABLE[side])))
        rankings = [(_rank(index, side, row, limit=_limit()), row.version) for row in rows]
        written += write_sets(session, generation_id, side, rankings, limit=_limit(),
                              floor=index.min_score)
    return written


# --- what is out of date ------------------------------------------------------------------------

def stale_ids(session: Session, generation_id: int, side: Side) -> set[int]:
    """Return the matchable listings of side whose set is missing or older than the listing."""
    model = MODELS[side]
    stmt = (select(model.id)
            .outerjoin(MatchSet, and_(MatchSet.generation_id == generation_id,
                                      MatchSet.side == side, MatchSet.profile_id == model.id))
            .where(model.status.in_(MATCHABLE[side]),
                   (MatchSet.id.is_(None)) | (MatchSet.profile_version != model.version)))
    return set(session.scalars(stmt))


def gone_ids(session: Session, generation_id: int, side: Side) -> set[int]:
    """Return the listings of side that have a set but are no longer matchable."""
    model = MODELS[side]
    stmt = (select(MatchSet.profile_id)
            .outerjoin(model, and_(model.id == MatchSet.profile_id,
                                   model.status.in_(MATCHABLE[side])))
            .where(MatchSet.generation_id == generation_id, MatchSet.side == side,
                   model.id.is_(None)))
    return set(session.scalars(stmt))


def containing(session: Session, generation_id: int, side: Side, ids: set[int]) -> set[int]:
    """Return the listings of side whose set lists one of ids (listings of the other side)."""
    if not ids:
        return set()
    column = StoredMatch.output_id if side == Side.NEED else StoredMatch.need_id
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), DELETE_CHUNK):
        stmt = (select(MatchSet.profile_id).join(StoredMatch, StoredMatch.set_id == MatchSet.id)
                .where(MatchSet.generation_id == generation_id, MatchSet.side == side,
                       column.in_(ordered[start:start + DELETE_CHUNK])).distinct())
        found.update(session.scalars(stmt))
    return found


def entering(session: Session, index: MatchIndex, generation_id: int, side: Side,
             ids: set[int]) -> set[int]:
    """Return the listings of the other side whose sets the listings ids of side may now
    enter: the changed listing's score for them comes within ENTRY_MARGIN of their threshold.
    """
    model, other = MODELS[side], side.other
    scores: dict[int, float] = {}
    for row in session.scalars(select(model).where(model.id.in_(sorted(ids)),
                                                   model.status.in_(MATCHABLE[side]))):
        for match in _rank(index, side, row, limit=ENTRY_POOL, explain=False).matches:
            scores[match.candidate_id] = max(scores.get(match.candidate_id, 0.0), match.score)
    if not scores:
        return set()
    found = set()
    candidates = sorted(scores)
    for start in range(0, len(candidates), DELETE_CHUNK):
        rows = session.execute(select(MatchSet.profile_id, MatchSet.threshold).where(
            MatchSet.generation_id == generation_id, MatchSet.side == other,
            MatchSet.profile_id.in_(candidates[start:start + DELETE_CHUNK])))
        found.update(pid for pid, threshold in rows
                     if scores[pid] >= threshold - ENTRY_MARGIN)
    return found


# --- the two jobs -------------------------------------------------------------------------------

def refresh(session: Session, index: MatchIndex, generation: MatchGeneration,
            progress: Callable | None = None) -> dict:
    """Bring the sets of generation in step with the listings; flush; return what was done."""
    index.apply_changes(session)
    if index.matcher is None:
        return {"sets": 0, "note": "too little text to fit a matcher"}
    changed = {side: stale_ids(session, generation.id, side) for side in Side}
    gone = {side: gone_ids(session, generation.id, side) for side in Side}
    todo = {side: set(changed[side]) for side in Side}
    for side in Side:
        moved = changed[side] | gone[side]
        todo[side.other] |= containing(session, generation.id, side.other, moved)
        todo[side.other] |= entering(session, index, generation.id, side, changed[side])
    for side in Side:
        if gone[side]:
            session.execute(delete(MatchSet).where(MatchSet.generation_id == generation.id,
                                                   MatchSet.side == side,
                                                   MatchSet.profile_id.in_(sorted(gone[side]))))
        todo[side] -= gone[side]
    total = sum(len(ids) for ids in todo.values())
    written = 0
    for side in Side:
        written += compute_sets(session, index, generation.id, side, todo[side])
        if progress:
            progress(written, total)
    return {"changed": sum(len(v) for v in changed.values()),
            "removed": sum(len(v) for v in gone.values()), "sets": written}


def rebuild(session: Session, index: MatchIndex,
            progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Refit the index and write a new generation of every set, then make it current.

    Commits as it goes (a chunk of sets at a time): pages keep reading the current generation
    until the new one is complete, then switch in one update.
    """
    progress = progress or (lambda done, total, message="": None)
    generation = MatchGeneration(status=GenerationStatus.BUILDING,
                                 settings_digest=index.settings_digest(session))
    session.add(generation)
    session.commit()
    index.fit(session, progress=lambda done, total: progress(0, None, "reading listings"))
    limit, written = _limit(), 0
    total = sum(index.size.values())
    if index.matcher is not None:
        analyze_at = WRITE_CHUNK
        for side in (Side.NEED, Side.OUTPUT):
            stamps = index.stamps[side]
            batch = []
            for ranking in index.matcher.all_pairs(limit=limit, queries=side):
                batch.append((ranking, stamps[ranking.query_id][0]))
                if len(batch) >= WRITE_CHUNK:
                    written += write_sets(session, generation.id, side, batch, limit=limit,
                                          floor=index.min_score)
                    batch = []
                    if written >= analyze_at:
                        analyze_match_tables(session)
                        analyze_at = 2 * written
                    session.commit()
                    progress(written, total, "ranking")
            written += write_sets(session, generation.id, side, batch, limit=limit,
                                  floor=index.min_score)
            session.commit()
        analyze_match_tables(session)  # the pages' statements plan with the whole generation
        # Listings saved while the generation was being written.
        caught_up = refresh(session, index, generation)
    else:
        caught_up = {"sets": 0, "note": "too little text to fit a matcher"}
    _make_current(session, generation)
    session.commit()
    retired = drop_retired(session)
    vacuum_match_tables(session)
    index.save()
    return {"generation": generation.id, "sets": written, "caught_up": caught_up["sets"],
            "retired_sets": retired}


def _make_current(session: Session, generation: MatchGeneration) -> None:
    session.execute(update(MatchGeneration)
                    .where(MatchGeneration.status == GenerationStatus.CURRENT)
                    .values(status=GenerationStatus.RETIRED))
    session.flush()
    generation.status, generation.finished_at = GenerationStatus.CURRENT, utcnow()
    session.flush()


def drop_retired(session: Session) -> int:
    """Delete the sets of retired generations in chunks, then the generations; commit."""
    dropped = 0
    retired = list(session.scalars(select(MatchGeneration.id).where(
        MatchGeneration.status == GenerationStatus.RETIRED)))
    for generation_id in retired:
        while True:
            chunk = list(session.scalars(select(MatchSet.id)
                                         .where(MatchSet.generation_id == generation_id)
                                         .limit(DELETE_CHUNK)))
            if not chunk:
                break
            session.execute(delete(StoredMatch).where(StoredMatch.set_id.in_(chunk)))
            session.execute(delete(MatchSet).where(MatchSet.id.in_(chunk)))
            session.commit()
            dropped += len(chunk)
        session.execute(delete(MatchGeneration).where(MatchGeneration.id == generation_id))
        session.commit()
    return dropped


def _one_snapshot(session: Session) -> None:
    """Make the rest of this job read the database as of one moment.

    A refresh reads the listings several times (the index's changes, then which sets are
    stale, then the entry check). Under PostgreSQL's default READ COMMITTED, a save committed
    between two of those reads was seen by the staleness check but not by the index: its own
    set was stored as up to date while the lists it entered were ranked on its old text, and
    no later refresh found it stale again. In one REPEATABLE READ snapshot, a save committed
    meanwhile is simply left to the next refresh, which its own job already is. (SQLite's
    transactions are serializable: nothing to do.)
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return  # SQLite; or a session bound to a connection its caller owns (the tests')
    session.commit()  # end the runner's claim-time transaction; nothing of the job is written yet
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@task("matches.refresh", queue="matching", every=60, timeout=1800,
      label="Refresh stored matches")
def refresh_job(ctx: JobContext) -> dict:
    """Recompute the sets that saved listings made stale (a rebuild when there are none)."""
    _one_snapshot(ctx.session)
    generation = current_generation(ctx.session)
    if generation is None:
        enqueue(ctx.session, "matches.rebuild")
        return {"note": "no matches yet: a rebuild was queued"}
    return refresh(ctx.session, current_index(), generation,
                   progress=lambda done, total: ctx.progress(done, total, "ranking"))


@task("matches.rebuild", queue="matching", cron="30 3 * * *", timeout=6 * 3600,
      label="Rebuild all matches")
def rebuild_job(ctx: JobContext) -> dict:
    """Refit the matcher and swap in a whole new generation of matches."""
    return rebuild(ctx.session, current_index(),
                   progress=lambda done, total, message="": ctx.progress(done, total, message))

