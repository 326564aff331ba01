"""The worker's matcher index: ORM rows -> matcher profiles, kept in step with the database.

Only the process that computes the stored matches holds an index (the RQ worker of the
"matching" queue; in the embedded default, the in-process job runner). Web processes never fit
or query one: they read the stored matches. The index is fitted from the database (or loaded
from the file `flask match rebuild` saves) and brought in step before each use: rows whose
version stamp moved are upserted, vanished rows removed, without a refit.
"""
import hashlib
import json
import logging
import pickle
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matchmaker.matching
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Side
from matchmaker.matching import ChainBook, Matcher, NeedProfile, OutputProfile
from matchmaker.orgs.models import Region
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.weights import effective_weights

log = logging.getLogger(__name__)

FILE_FORMAT = 2  # 2: stamps keyed by domain.Side
CHUNK = 500  # rows loaded per query
# Upserts since the last fit after which the vocabulary is refitted (share of the index size).
REFIT_MIN, REFIT_SHARE = 1000, 0.25


# --- ORM rows → matcher profiles ---------------------------------------------------------

def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def output_profile(output: ResearchOutput) -> OutputProfile:
    """Return the matcher's view of a research output (ids are the database ids)."""
    institution = output.institution
    return OutputProfile(
        id=output.id, title=output.title or "", abstract=output.abstract or "",
        keywords=tuple(output.keywords or ()), ipc=tuple(output.ipc_codes),
        chain=output.chain.key if output.chain else None,
        segment=output.segment.key if output.segment else None,
        trl=output.trl, modes=tuple(output.modes),
        price_min=_number(output.price_min), price_max=_number(output.price_max),
        region=institution.region.name if institution and institution.region else None,
        institution=institution.name if institution else None, status=output.status)


def need_profile(need: TechNeed) -> NeedProfile:
    """Return the matcher's view of a technology need; it lands in its region or its
    enterprise's."""
    region = need.region or (need.enterprise.region if need.enterprise else None)
    return NeedProfile(
        id=need.id, title=need.title or "", description=need.description or "",
        keywords=tuple(need.keywords or ()),
        chain=need.chain.key if need.chain else None,
        segment=need.segment.key if need.segment else None,
        min_trl=need.min_trl, modes=tuple(need.modes),
        budget_min=_number(need.budget_min), budget_max=_number(need.budget_max),
        region=region.name if region else None, status=need.status)


def chain_dicts(session: Session) -> list[dict]:
    """Return every chain in the seed_data/chains format, for ChainBook.from_dicts."""
    segments: dict[int, list[dict]] = {}
    for s in session.scalars(select(ChainSegment).order_by(ChainSegment.chain_id,
                                                           ChainSegment.position,
                                                           ChainSegment.id)):
        segments.setdefault(s.chain_id, []).append({
            "key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "position": s.position,
            "keywords_zh": list(s.keywords_zh), "keywords_en": list(s.keywords_en),
            "ipc_prefixes": list(s.ipc_prefixes)})
    return [{"key": c.key, "name_zh": c.name_zh, "name_en": c.name_en,
             "synonyms": c.synonym_groups, "core_terms": list(c.core_terms),
             "segments": segments.get(c.id, [])}
            for c in session.scalars(select(Chain).order_by(Chain.id))]


def region_provinces(session: Session) -> dict[str, str]:
    """Return region name → province, for the matcher's same-province rule."""
    return dict(session.execute(select(Region.name, Region.province).order_by(Region.id)).all())


class _Kind:
    """What differs between the two sides of the index."""

    def __init__(self, side, model, statuses, to_profile, upsert, remove):
        self.side, self.model, self.statuses = side, model, statuses
        self.to_profile, self.upsert, self.remove = to_profile, upsert, remove


KINDS = (
    _Kind(Side.OUTPUT, ResearchOutput, MATCHABLE_OUTPUT_STATUSES, output_profile,
          Matcher.upsert_output, Matcher.remove_output),
    _Kind(Side.NEED, TechNeed, MATCHABLE_NEED_STATUSES, need_profile,
          Matcher.upsert_need, Matcher.remove_need),
)


def _stamps(session: Session, kind: _Kind) -> dict[int, tuple]:
    """Return id → (version, updated_at) of every matchable row of kind."""
    model = kind.model
    rows = session.execute(select(model.id, model.version, model.updated_at)
                           .where(model.status.in_(kind.statuses)))
    return {row.id: (row.version, row.updated_at) for row in rows}


def _rows(session: Session, kind: _Kind, ids: Iterable[int]) -> Iterator[list]:
    """Yield the rows of ids in chunks, with what the profile needs loaded."""
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        yield list(session.scalars(select(kind.model).where(kind.model.id.in_(chunk))
                                   .order_by(kind.model.id)))


def iter_profiles(session: Session, side: Side) -> Iterator[OutputProfile | NeedProfile]:
    """Yield the profile of every matchable listing of side, by id."""
    kind = next(k for k in KINDS if k.side == side)
    for rows in _rows(session, kind, _stamps(session, kind)):
        yield from (kind.to_profile(row) for row in rows)


def _fingerprint(session: Session) -> tuple:
    """Return a summary of the matchable rows that moves whenever one is added, removed,
    edited or rolled back."""
    parts = []
    for kind in KINDS:
        m = kind.model
        parts.append(tuple(session.execute(
            select(func.count(m.id), func.coalesce(func.sum(m.id), 0),
                   func.coalesce(func.sum(m.version), 0), func.max(m.updated_at))
            .where(m.status.in_(kind.statuses))).one()))
    return tuple(parts)


def _engine_digest() -> str:
    """Return a digest of the engine's code and data: a saved index from others is not reused."""
    folder = Path(matchmaker.matching.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


class MatchIndex:
    """One process's fitted matcher and what it was fitted on.

    Parameters
    ----------
    path : file the fitted index is saved to and loaded from (None: memory only).
    weights, min_score : passed to the Matcher.
    """

    def __init__(self, *, path: str | Path | None = None, weights: dict | None = None,
                 min_score: float = 0.05):
        self.path = Path(path) if path else None
        self.weights = weights
        self.min_score = min_score
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next use fits again (or loads the saved file)."""
        self.matcher: Matcher | None = None
        self.digest: str | None = None
        self.fingerprint: tuple | None = None
        self.stamps: dict[Side, dict[int, tuple]] = {kind.side: {} for kind in KINDS}
        self.pending = 0
        self._tried_file = False

    # --- keeping in step ---------------------------------------------------------------

    def _settings_digest(self, chains: list[dict], regions: dict, weights: dict) -> str:
        text = json.dumps([chains, regions, weights, self.min_score], sort_keys=True,
                          ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def fit_weights(self, session: Session) -> dict:
        """Return the weights a fit uses: the last applied tuning's (`flask match tune`) over
        the configured ones (MATCH_WEIGHTS) over the engine's defaults."""
        return effective_weights(session, self.weights)

    def settings_digest(self, session: Session) -> str:
        """Return the digest of what a fit would use besides the listings (chains, regions,
        weights): when it differs from the index's, only a refit brings the index in step."""
        return self._settings_digest(chain_dicts(session), region_provinces(session),
                                     self.fit_weights(session))

    def apply_changes(self, session: Session) -> None:
        """Bring the indexed rows in step with the database (fit if nothing is fitted yet).

        Unlike sync, a change of the chains does not refit here: the rebuild job refits and
        swaps the new matches in at once, while this keeps the current ones fresh meanwhile.
        """
        if not self._tried_file:
            self.load()
        if self.matcher is None:
            self.fit(session)
            return
        fingerprint = _fingerprint(session)
        if fingerprint != self.fingerprint:
            self._apply_changes(session)
            self.fingerprint = fingerprint

    def _apply_changes(self, session: Session) -> None:
        current = {kind.side: _stamps(session, kind) for kind in KINDS}
        changes = {kind.side: ([i for i, s in current[kind.side].items()
                                if self.stamps[kind.side].get(i) != s],
                               [i for i in self.stamps[kind.side] if i not in current[kind.side]])
                   for kind in KINDS}
        size = sum(len(s) for s in current.values())
        count = sum(len(c) + len(r) for c, r in changes.values())
        if count + self.pending > max(REFIT_MIN, REFIT_SHARE * size):
            self.fit(session)  # so many upserts that the vocabulary is worth learning again
            return
        for kind in KINDS:
            changed, removed = changes[kind.side]
            for rows in _rows(session, kind, changed):
                for row in rows:
                    kind.upsert(self.matcher, kind.to_profile(row))
            for key in removed:
                kind.remove(self.matcher, key)
        self.stamps = current
        self.pending += count

    def fit(self, session: Session, *, chains: list[dict] | None = None,
            regions: dict | None = None,
            progress: Callable[[int, int], None] | None = None) -> None:
        """Refit the matcher on every matchable row; progress(done, total) follows reading."""
        chains = chain_dicts(session) if chains is None else chains
        regions = region_provinces(session) if regions is None else regions
        stamps = {kind.side: _stamps(session, kind) for kind in KINDS}
        total, done = sum(len(s) for s in stamps.values()), 0
        profiles: dict[Side, list] = {}
        for kind in KINDS:
            profiles[kind.side] = []
            for rows in _rows(session, kind, stamps[kind.side]):
                profiles[kind.side] += [kind.to_profile(row) for row in rows]
                done += len(rows)
                if progress:
                    progress(done, total)
        weights = self.fit_weights(session)
        matcher = Matcher(ChainBook.from_dicts(chains), regions=regions, weights=weights,
                          min_score=self.min_score)
        try:
            self.matcher = matcher.fit(profiles[Side.OUTPUT], profiles[Side.NEED])
        except ValueError:  # nothing to learn a vocabulary from (an empty or tiny database)
            log.info("match index: too little text to fit a matcher", exc_info=True)
            self.matcher = None
        self.stamps, self.pending = stamps, 0
        self.digest = self._settings_digest(chains, regions, weights)
        self.fingerprint = _fingerprint(session)

    # --- saving and loading ------------------------------------------------------------

    def save(self) -> Path | None:
        """Write the fitted index to path (atomically); return the path, None if unset."""
        if self.path is None:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state = {"format": FILE_FORMAT, "engine": _engine_digest(), "matcher": self.matcher,
                 "digest": self.digest, "fingerprint": self.fingerprint, "stamps": self.stamps}
        partial = self.path.with_suffix(".partial")
        with partial.open("wb") as file:
            pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
        partial.replace(self.path)
        return self.path

    def load(self) -> bool:
        """Load the saved index if there is one written by this engine; return whether it was.

        The file is the app's own (written by `flask match rebuild` into instance/), so it is
        trusted like the code; a file from other engine code, or a broken one, is ignored.
        """
        self._tried_file = True
        if self.path is None or not self.path.exists():
            return False
        try:
            with self.path.open("rb") as file:
                state = pickle.Unpickler(file).load()
            if state.get("format") != FILE_FORMAT or state.get("engine") != _engine_digest():
                log.info("match index: %s was written by other code; fitting afresh", self.path)
                return False
        except Exception:
            log.warning("match index: cannot read %s; fitting afresh", self.path, exc_info=True)
            return False
        self.matcher, self.digest = state["matcher"], state["digest"]
        self.fingerprint, self.stamps = state["fingerprint"], state["stamps"]
        self.pending = 0
        return True

    @property
    def size(self) -> dict[Side, int]:
        """Return how many outputs and needs are indexed."""
        return {name: len(stamps) for name, stamps in self.stamps.items()}
