"""The integer programme (scipy.optimize.milp, HiGHS), its weights, and the greedy baseline."""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matchmaker.events.schedule.data import Schedule, ScheduleProblem
from matchmaker.events.schedule.event import Event
from matchmaker.events.schedule.result import finish

# HiGHS's target for the absolute gap on the sum of scores, relative to its largest value.
SCORE_GAP = 1e-4
DEFAULT_TIME_LIMIT = 20.0


class _Model:
    """One 0/1 variable per (candidate, slot) that could happen, and the rows that can bind."""

    def __init__(self, event: Event):
        self.event = event
        pairs = [(c, s) for c, cand in enumerate(event.cands) for s in event.free_slots(cand)]
        self.cand = np.array([c for c, _ in pairs], dtype=np.int64)
        self.slot = np.array([s for _, s in pairs], dtype=np.int64)
        self.index = {cs: v for v, cs in enumerate(pairs)}
        self.n = len(pairs)
        self.matrix, self.upper = self._rows()
        self.tiers = self._tier_vectors()

    def _rows(self):
        ev = self.event
        groups, caps = defaultdict(list), {}
        for v, (c, s) in enumerate(zip(self.cand.tolist(), self.slot.tolist())):
            cand = ev.cands[c]
            for p in (cand.i, cand.j):
                groups["slot", p, s].append(v)
                caps["slot", p, s] = 1
                groups["max", p].append(v)
                caps["max", p] = ev.people[p].max_meetings - ev.load[p]
            groups["once", c].append(v)
            caps["once", c] = 1
            if cand.booth is None:
                groups["tables", s].append(v)
                caps["tables", s] = ev.tables_left[s]
            elif cand.booth in ev.shared_booths:
                groups["booth", cand.booth, s].append(v)
                caps["booth", cand.booth, s] = 1
        rows = [(vs, caps[key]) for key, vs in groups.items() if len(vs) > caps[key]]
        indptr = np.cumsum([0] + [len(vs) for vs, _ in rows])
        indices = np.array([v for vs, _ in rows for v in vs], dtype=np.int64)
        matrix = sparse.csr_matrix((np.ones(len(indices)), indices, indptr),
                                   shape=(len(rows), self.n))
        return matrix, np.array([cap for _, cap in rows], dtype=float)

    def _tier_vectors(self) -> list[np.ndarray]:
        ev = self.event
        cands = [ev.cands[c] for c in self.cand.tolist()]
        kept = [ev.published_slot.get(cand.pair.key) == s
                for cand, s in zip(cands, self.slot.tolist())]
        return [np.array([c.pair.is_request for c in cands], dtype=float),
                np.array([c.pair.is_confirmed for c in cands], dtype=float),
                np.array(kept, dtype=float),
                np.array([float(c.pair.score) for c in cands], dtype=float)]

    def key(self, x: np.ndarray) -> tuple:
        return tuple(float(v @ x) for v in self.tiers)

    def constraints(self) -> LinearConstraint:
        return LinearConstraint(self.matrix, np.full(self.matrix.shape[0], -np.inf), self.upper)


def _tier_bounds(model: _Model) -> list[float]:
    """Upper bounds of each tier over every schedule: counts, then the sum of scores."""
    ev = model.event
    cands = np.unique(model.cand)
    slots_of, people_at = defaultdict(set), defaultdict(set)
    for c, s in zip(model.cand.tolist(), model.slot.tolist()):
        for p in (ev.cands[c].i, ev.cands[c].j):
            slots_of[p].add(s)
            people_at[s].add(p)
    meetings = min(len(cands),
                   sum(min(ev.people[p].max_meetings - ev.load[p], len(ss))
                       for p, ss in slots_of.items()) // 2,
                   sum(len(ps) // 2 for ps in people_at.values()))
    counts = [min(meetings, len(np.unique(model.cand[v > 0]))) for v in model.tiers[:3]]
    scores = sorted((ev.cands[c].pair.score for c in cands.tolist()), reverse=True)
    return [*counts, float(sum(scores[:meetings]))]


def _weights(bounds: list[float]) -> list[float]:
    """Weight the score 1 and tier i 1 + the sum over lower tiers j of weight_j * bound_j, so
    that one more of tier i gains at least 1 more than all lower tiers together can lose."""
    weights = [1.0] * len(bounds)
    for i in range(len(bounds) - 2, -1, -1):
        weights[i] = 1.0 + sum(weights[j] * bounds[j] for j in range(i + 1, len(bounds)))
    return weights


def _solve_weighted(model: _Model, time_limit: float):
    """Maximise the weighted objective once; return the best x HiGHS found (None if none),
    its status, the objective vector, HiGHS's upper bound on it (None if none) and the
    weights."""
    bounds = _tier_bounds(model)
    weights = _weights(bounds)
    objective = sum(w * v for w, v in zip(weights, model.tiers))
    largest = sum(w * b for w, b in zip(weights, bounds))
    wanted = min(0.5, max(1e-6, SCORE_GAP * bounds[-1]))
    res = milp(-objective, integrality=np.ones(model.n), bounds=Bounds(0, 1),
               constraints=model.constraints(),
               options={"time_limit": max(time_limit, 0.01),
                        "mip_rel_gap": wanted / max(largest, 1.0)})
    status = {0: "optimal", 1: "time_limit"}.get(res.status, "solver_error")
    dual = getattr(res, "mip_dual_bound", None)
    upper = -float(dual) if dual is not None and np.isfinite(dual) else None
    x = None if res.x is None else np.round(res.x)
    return x, status, objective, upper, weights


def _greedy_choice(event: Event) -> list[tuple[int, int]]:
    """Highest priority first (requests, confirmed, score), each in its published slot if it
    still fits, else the earliest slot that fits."""
    busy = [set(b) for b in event.busy]
    load = list(event.load)
    tables_left = list(event.tables_left)
    booth_taken = set(event.booth_taken)
    order = sorted(range(len(event.cands)), key=lambda c: (
        -event.cands[c].pair.is_request, -event.cands[c].pair.is_confirmed,
        -event.cands[c].pair.score, event.cands[c].index))
    chosen = []
    for c in order:
        cand = event.cands[c]
        i, j, booth = cand.i, cand.j, cand.booth
        if load[i] >= event.people[i].max_meetings or load[j] >= event.people[j].max_meetings:
            continue
        taken = event.blocked[i] | event.blocked[j] | busy[i] | busy[j]
        first = event.published_slot.get(cand.pair.key)
        for s in ([first] if first is not None else []) + list(range(event.nslots)):
            if s in taken or not (tables_left[s] > 0 if booth is None else
                                  booth not in event.shared_booths or
                                  (booth, s) not in booth_taken):
                continue
            chosen.append((c, s))
            busy[i].add(s)
            busy[j].add(s)
            load[i] += 1
            load[j] += 1
            if booth is None:
                tables_left[s] -= 1
            else:
                booth_taken.add((booth, s))
            break
    return chosen


def solve_schedule(problem: ScheduleProblem, *,
                   time_limit: float = DEFAULT_TIME_LIMIT) -> Schedule:
    """Build the event's meeting schedule: the lexicographic optimum of the module docstring.

    Parameters
    ----------
    problem:
        Participants, slots, tables, candidate pairs, locks, and the published schedule when
        rescheduling (then only what must change changes, and ``Schedule.diff`` says what did).
    time_limit:
        Seconds HiGHS may run; at the limit the best schedule found is returned with status
        ``time_limit`` (never below `greedy_schedule`'s on the tiers' order).

    Returns
    -------
    Schedule
        Meetings with their table or booth, the candidate pairs left out with a reason code,
        the status and gap, the value of each tier, and the diff against
        ``problem.published`` (None when not rescheduling).

    Raises
    ------
    ScheduleInputError
        Malformed input (unknown or duplicate ids, scores outside [0, 1]).
    ScheduleConflictError
        Locked meetings that cannot all be kept; ``conflicts`` lists every clash.
    """
    began = time.perf_counter()
    event = Event(problem)
    model = _Model(event)
    greedy = np.zeros(model.n)
    for cs in _greedy_choice(event):
        greedy[model.index[cs]] = 1.0
    x, status, gap, weights = greedy, "optimal", 0.0, ()
    if model.n:
        x, status, objective, upper, weights = _solve_weighted(model, time_limit)
        if x is None or (status != "optimal" and model.key(greedy) > model.key(x)):
            x = greedy
        gap = None if upper is None else max(0.0, upper - float(objective @ x))
    chosen = [(int(model.cand[v]), int(model.slot[v])) for v in np.flatnonzero(x > 0.5)]
    return finish(event, chosen, status, gap=gap, weights=tuple(weights),
                  seconds=time.perf_counter() - began, variables=model.n,
                  constraints=model.matrix.shape[0])


def greedy_schedule(problem: ScheduleProblem) -> Schedule:
    """Build a schedule greedily, highest priority first: the baseline the solver must beat.

    Pairs go in the order accepted requests, confirmed pairs, score (ties: input order), each
    to its published slot if it still fits, else to the earliest slot that fits. Same
    constraints, locks, errors and result shape as `solve_schedule`; status ``greedy``.
    """
    began = time.perf_counter()
    event = Event(problem)
    chosen = _greedy_choice(event)
    return finish(event, chosen, "greedy", seconds=time.perf_counter() - began)
