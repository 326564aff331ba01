"""How fast and how good the matchmaking-event schedule solver is, against a greedy baseline.

    python -m bench.schedule                            # 50/250, 200/1,000, 400/2,000; 5 repeats
    python -m bench.schedule --sizes 200:1000 --repeat 3 --time-limit 20

For each size (participants : candidate pairs) one deterministic instance is generated (seeded:
the same instance every run) the way an event looks: 12 slots of 25 minutes (six in the
morning, six in the afternoon); 40 % enterprises and 60 % institutions, a quarter of the
institutions exhibiting at a booth; a hall of participants / 6 shared tables; maximum meetings
from 4 to 12; 15 % away for the morning, 15 % for the afternoon, 20 % blocking one or two slots;
candidate pairs between an enterprise and an institution, drawn with skewed popularity (a few
participants are wanted by many), scores ~ Beta(2, 3); 12 % accepted requests, 40 % of pairs
confirmed by the organiser; 1 % of pairs locked by the organiser in a slot (half of them at a
given table).

Then, in this process, one after another: `solve_schedule` (median of --repeat runs) and
`greedy_schedule` (the baseline: highest priority first, earliest slot that fits; median of
the same number of runs), both checked with `check_schedule`, compared on time and on the
objective (requests met, confirmed met, total score, meetings). Once per size, the
alternative the solver does not use is timed too: one HiGHS solve per tier, each higher tier
held at its value by a constraint row (`sequential_schedule`); its tiers must equal the
weighted solve's (a cross-check of the weights on realistic events). Then a **reschedule** after
publication: the solver's schedule is published, 2.5 % of participants block a slot where they
have a meeting, one participant withdraws and five new requests are accepted; both methods
reschedule and their diffs (kept / moved / added / dropped, participants to tell) are printed.

Writes bench/results/schedule-<time>.json and schedule-latest.json. No thresholds: figures to
read.
"""
import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, engine_state, machine
from matchmaker.events.schedule import (
    TIERS,
    CandidatePair,
    Meeting,
    Participant,
    Schedule,
    ScheduleProblem,
    Slot,
    check_schedule,
    greedy_schedule,
    solve_schedule,
)

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = ((50, 250), (200, 1000), (400, 2000))
SEED = 2026
MORNING = [f"{9 + (25 * k) // 60:02d}:{(25 * k) % 60:02d}" for k in range(6)]
AFTERNOON = [f"{14 + (25 * k) // 60:02d}:{(25 * k) % 60:02d}" for k in range(6)]


def make_problem(participants: int, pairs: int, *, seed: int = SEED) -> ScheduleProblem:
    """Return the deterministic benchmark instance of this size."""
    rng = random.Random(f"{seed}:{participants}:{pairs}")
    slots = tuple(Slot(f"s{k + 1:02d}", label) for k, label in enumerate(MORNING + AFTERNOON))
    ids = [s.id for s in slots]
    people = []
    enterprises = round(participants * 0.4)
    for n in range(participants):
        is_enterprise = n < enterprises
        pid = f"E{n + 1:03d}" if is_enterprise else f"I{n - enterprises + 1:03d}"
        away = rng.random()
        blocked = (ids[:6] if away < 0.15 else ids[6:] if away < 0.30
                   else rng.sample(ids, rng.choice((1, 2))) if away < 0.50 else [])
        booth = None if is_enterprise or rng.random() >= 0.25 else f"B-{pid}"
        people.append(Participant(pid, rng.choice((4, 6, 6, 8, 8, 10, 12)), frozenset(blocked),
                                  booth))
    cands = _pairs(rng, people[:enterprises], people[enterprises:], pairs)
    locks = _locks(rng, people, ids, cands, participants // 6, max(1, pairs // 100))
    return ScheduleProblem(tuple(people), slots, participants // 6, tuple(cands), tuple(locks))


def _pairs(rng, enterprises, institutions, count) -> list[CandidatePair]:
    pull_e = [rng.paretovariate(1.5) for _ in enterprises]
    pull_i = [rng.paretovariate(1.5) for _ in institutions]
    seen, out = set(), []
    while len(out) < count:
        e = rng.choices(enterprises, pull_e)[0]
        i = rng.choices(institutions, pull_i)[0]
        if (e.id, i.id) in seen:
            continue
        seen.add((e.id, i.id))
        # The institution first: an exhibitor hosts at its booth.
        out.append(CandidatePair(i.id, e.id, round(rng.betavariate(2, 3), 3),
                                 is_request=rng.random() < 0.12,
                                 is_confirmed=rng.random() < 0.40))
    return out


def _locks(rng, people, slot_ids, cands, tables, count) -> list[Meeting]:
    """Locks that can all hold: free sides, distinct tables, within every maximum."""
    by_id = {p.id: p for p in people}
    busy, load, used_tables = set(), {}, set()
    locks = []
    for pair in rng.sample([c for c in cands if c.is_request], count):
        a, b = by_id[pair.a], by_id[pair.b]
        free = [s for s in slot_ids if s not in a.blocked_slots | b.blocked_slots
                and (a.id, s) not in busy and (b.id, s) not in busy]
        if not free or load.get(a.id, 0) >= a.max_meetings or \
                load.get(b.id, 0) >= b.max_meetings:
            continue
        slot = rng.choice(free)
        table = None
        if a.booth is None and b.booth is None and rng.random() < 0.5:
            table = next(t for t in range(1, tables + 1) if (slot, t) not in used_tables)
            used_tables.add((slot, table))
        locks.append(Meeting(pair.a, pair.b, slot, table))
        busy |= {(a.id, slot), (b.id, slot)}
        load[a.id] = load.get(a.id, 0) + 1
        load[b.id] = load.get(b.id, 0) + 1
    return locks


def perturb(problem: ScheduleProblem, published, *, seed: int = SEED) -> ScheduleProblem:
    """The same event after publication: blocks, a withdrawal, new requests."""
    rng = random.Random(f"{seed}:perturb:{len(problem.participants)}")
    by_person = {}
    for m in published:
        for p in m.participants:
            by_person.setdefault(p, []).append(m)
    locked = {p for m in problem.locked for p in m.participants}
    movable = sorted(p for p in by_person if p not in locked)
    leaver = rng.choice(movable)
    blockers = set(rng.sample([p for p in movable if p != leaver],
                              max(1, len(problem.participants) // 40)))
    people = []
    for p in problem.participants:
        if p.id == leaver:
            continue
        if p.id in blockers:
            p = replace(p, blocked_slots=p.blocked_slots | {rng.choice(by_person[p.id]).slot})
        people.append(p)
    pairs = [c for c in problem.pairs if leaver not in (c.a, c.b)]
    known = {c.key for c in pairs}
    ids = [p.id for p in people]
    target = len(pairs) + 5
    while len(pairs) < target:
        a, b = rng.sample(ids, 2)
        if frozenset((a, b)) not in known:
            known.add(frozenset((a, b)))
            pairs.append(CandidatePair(a, b, round(rng.betavariate(2, 3), 3), is_request=True))
    return replace(problem, participants=tuple(people), pairs=tuple(pairs),
                   published=tuple(published))


def sequential_schedule(problem: ScheduleProblem, *, time_limit: float) -> Schedule:
    """The alternative the solver does not use: one solve per tier, each higher tier held at
    its value by a row (tier >= value). Same model, same HiGHS; a cross-check of the weights."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    from matchmaker.events.schedule.event import Event
    from matchmaker.events.schedule.result import finish
    from matchmaker.events.schedule.solver import SCORE_GAP, _Model

    began = time.perf_counter()
    event = Event(problem)
    model = _Model(event)
    x, held, status = np.zeros(model.n), [], "optimal"
    for name, v in zip(TIERS, model.tiers):
        if not v.any():
            continue
        left = time_limit - (time.perf_counter() - began)
        rows = sparse.vstack([model.matrix, *[sparse.csr_matrix(h) for h, _ in held]], "csr")
        lower = [-np.inf] * model.matrix.shape[0] + [value for _, value in held]
        upper = [*model.upper, *[np.inf] * len(held)]
        gap = SCORE_GAP if name == "score" else 0.5 / max(1.0, float(v.sum()))
        res = milp(-v, integrality=np.ones(model.n), bounds=Bounds(0, 1),
                   constraints=LinearConstraint(rows, lower, upper),
                   options={"time_limit": max(left, 0.01), "mip_rel_gap": gap})
        if res.x is None:
            status = "time_limit"
            break
        x = np.round(res.x)
        if res.status != 0:
            status = "time_limit"
        held.append((v, float(v @ x) - 1e-6))
    chosen = [(int(model.cand[k]), int(model.slot[k])) for k in np.flatnonzero(x > 0.5)]
    return finish(event, chosen, status, seconds=time.perf_counter() - began)


def _run(fn, problem, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(problem)
        times.append(time.perf_counter() - start)
    return result, times


def _summary(problem, schedule, times) -> dict:
    o = schedule.objective
    return {"status": schedule.status, "median_s": statistics.median(times), "times_s": times,
            "requests_met": o.requests_met, "confirmed_met": o.confirmed_met,
            "published_kept": o.published_kept, "score": round(o.score, 3),
            "meetings": o.meetings, "violations": check_schedule(problem, schedule.meetings),
            "variables": schedule.variables, "constraints": schedule.constraints,
            "gap": schedule.gap, "weights": list(schedule.weights),
            "unscheduled_reasons": _count(u.reason for u in schedule.unscheduled),
            "diff": None if schedule.diff is None else {
                "kept": len(schedule.diff.kept), "moved": len(schedule.diff.moved),
                "added": len(schedule.diff.added), "dropped": len(schedule.diff.dropped),
                "participants_affected": len(schedule.diff.participants_affected)}}


def _count(values) -> dict:
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def measure(participants: int, pairs: int, repeat: int, time_limit: float, *,
            sequential: bool = True) -> dict:
    """Solve, greedy and reschedule one instance; return the figures."""
    problem = make_problem(participants, pairs)
    solve = lambda p: solve_schedule(p, time_limit=time_limit)
    solved, solve_times = _run(solve, problem, repeat)
    greedy, greedy_times = _run(greedy_schedule, problem, repeat)
    seq, seq_times = (_run(lambda p: sequential_schedule(p, time_limit=time_limit), problem, 1)
                      if sequential else (None, None))
    changed = perturb(problem, solved.meetings)
    resolved, resolve_times = _run(solve, changed, repeat)
    regreedy, regreedy_times = _run(greedy_schedule, changed, repeat)
    return {"participants": participants, "pairs": pairs, "slots": len(problem.slots),
            "tables": problem.tables, "locks": len(problem.locked),
            "requests": sum(c.is_request for c in problem.pairs),
            "booths": sum(p.booth is not None for p in problem.participants),
            "solver": _summary(problem, solved, solve_times),
            "greedy": _summary(problem, greedy, greedy_times),
            "sequential": seq and _summary(problem, seq, seq_times),
            "reschedule": {"blocked": _newly_blocked(problem, changed),
                           "solver": _summary(changed, resolved, resolve_times),
                           "greedy": _summary(changed, regreedy, regreedy_times)}}


def _newly_blocked(before: ScheduleProblem, after: ScheduleProblem) -> int:
    blocked = {p.id: p.blocked_slots for p in before.participants}
    return sum(p.blocked_slots != blocked[p.id] for p in after.participants)


def _ratio(a, b) -> str:
    return f"{a / b:.2f}×" if b else "—"


def _print(r: dict) -> None:
    s, g = r["solver"], r["greedy"]
    print(f"\n{r['participants']} participants, {r['pairs']} pairs, {r['slots']} slots, "
          f"{r['tables']} tables, {r['booths']} booths, {r['requests']} requests, "
          f"{r['locks']} locks — model: {s['variables']} variables, {s['constraints']} rows")
    print(f"{'':16}{'solver':>12}{'greedy':>12}{'solver/greedy':>15}")
    print(f"{'median time':16}{s['median_s']:>11.3f}s{g['median_s'] * 1000:>10.1f}ms"
          f"{_ratio(s['median_s'], g['median_s']):>15}")
    for key in ("requests_met", "confirmed_met", "score", "meetings"):
        print(f"{key:16}{s[key]:>12}{g[key]:>12}{_ratio(s[key], g[key]):>15}")
    print(f"{'status':16}{s['status']:>12}{g['status']:>12}")
    q = r["sequential"]
    if q:
        same = all(q[k] == s[k] for k in ("requests_met", "confirmed_met", "published_kept"))
        print(f"sequential solves (one per tier, rows 'tier >= value'; one run): "
              f"{q['median_s']:.3f}s ({_ratio(q['median_s'], s['median_s'])} the weighted "
              f"solve), {q['status']}; requests {q['requests_met']}, confirmed "
              f"{q['confirmed_met']}, score {q['score']}: count tiers "
              f"{'the same' if same else 'DIFFERENT'}, score {q['score'] - s['score']:+.3f}")
    print(f"gap left (score points, HiGHS's bound): {s['gap']}; weights of requests, "
          f"confirmed, kept, score: {', '.join(f'{w:.4g}' for w in s['weights'])}")
    print(f"not scheduled (solver): {s['unscheduled_reasons']}")
    if s["violations"] or g["violations"]:
        print(f"VIOLATIONS: {s['violations'][:5]} {g['violations'][:5]}")
    rs = r["reschedule"]
    print(f"reschedule (slots newly blocked: {rs['blocked']}; 1 withdrawal; 5 new requests):")
    for name in ("solver", "greedy"):
        x = rs[name]
        d = x["diff"]
        print(f"  {name:7} {x['median_s']:.3f}s {x['status']:10} kept {d['kept']}, moved "
              f"{d['moved']}, added {d['added']}, dropped {d['dropped']}; "
              f"{d['participants_affected']} participants to tell; requests met "
              f"{x['requests_met']}, score {x['score']}")
    print(f"  weights when rescheduling: "
          f"{', '.join(f'{w:.4g}' for w in rs['solver']['weights'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(f"{p}:{c}" for p, c in SIZES),
                        help="participants:pairs,... (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--no-sequential", action="store_true",
                        help="skip the one-solve-per-tier comparison (slow at 400)")
    args = parser.parse_args()
    report = {"machine": machine(), "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "solver": engine_state(ROOT / "matchmaker" / "events" / "schedule"),
              "repeat": args.repeat, "time_limit": args.time_limit, "seed": SEED, "sizes": []}
    for size in args.sizes.split(","):
        participants, pairs = (int(x) for x in size.split(":"))
        result = measure(participants, pairs, args.repeat, args.time_limit,
                         sequential=not args.no_sequential)
        report["sizes"].append(result)
        _print(result)
    report["load_average_after"] = machine()["load_average"]
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in (f"schedule-{stamp}.json", "schedule-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nwritten: bench/results/schedule-{stamp}.json")


if __name__ == "__main__":
    main()
