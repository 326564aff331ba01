"""The meeting schedule of a matchmaking event (对接会), solved as an integer programme.

Plain Python on numpy and scipy (``scipy.optimize.milp``, the HiGHS solver): no Flask, no ORM.
Inputs and outputs are frozen dataclasses; the events package converts rows to and from them.

    schedule = solve_schedule(ScheduleProblem(participants, slots, tables, pairs, locked))
    later = solve_schedule(replace(problem, published=schedule.meetings))  # later.diff

The problem
-----------
Participants (enterprises, institutions) meet in pairs. The organiser gives the ordered time
slots, the number of identical shared tables, the candidate pairs (the matcher's proposals
with their score in [0, 1], and the meeting requests the other side accepted, each possibly
confirmed by the organiser), the meetings they locked, and, when rescheduling, the schedule
published before. The solver chooses which pairs meet, in which slot, at which table or booth.

Hard constraints (every schedule returned keeps all of them; `check_schedule` verifies them):

- a participant is in at most one meeting per slot, and in none in a slot they blocked;
- a participant has at most ``max_meetings`` meetings (locked ones included);
- a pair meets at most once;
- per slot, the meetings at shared tables are at most ``tables``. A meeting where a side holds
  a booth (an exhibitor) takes place at that booth and uses no shared table. When both sides
  hold a booth the meeting is at the booth of the pair's first participant ``a`` (the app orders
  a pair so that ``a`` is the host, e.g. the exhibitor being visited); the other exhibitor's
  booth stays unattended for that slot. A booth hosts one meeting per slot (this only binds
  when several participants share one booth);
- locked meetings are kept exactly (pair, slot, and table or booth when given). Locks that
  cannot all hold raise `ScheduleConflictError` listing every clash; nothing is solved.

What is optimised, in this order
--------------------------------
Lexicographic: a higher tier is never traded for any amount of the tiers below it.

1. ``requests_met``: accepted meeting requests that meet (both sides asked for it);
2. ``confirmed_met``: pairs the organiser confirmed that meet (a person chose them, so they
   rank above what only the matcher proposed);
3. ``published_kept``: when rescheduling, published meetings that stay in their slot (each
   also keeps its table: tables are assigned after the slots, published tables first);
4. ``score``: the sum of the scores of the pairs that meet.

So a change after publication moves a published meeting only to make room for a request or a
confirmed pair, or because it cannot stay (a side blocked the slot, left, has a lower maximum,
or a lock took the place); it never moves or drops one to gain score. A published meeting that
cannot stay competes like a new pair for the room the others leave: moved if it wins a slot,
else dropped (`Unscheduled.reason` says why).

Weights, provably large enough
------------------------------
One solve of a weighted sum ``w_r·requests + w_c·confirmed + w_k·kept + score``. From the
instance, bound each tier over every schedule: M, the meetings any schedule can hold beside
the locks, is the least of the pairs with a possible slot, half the sum over participants of
min(meetings left, slots they could use), and the sum over slots of half the participants who
could meet in it; B_tier = min(M, pairs of that tier with a possible slot); B_score = the sum
of the M highest scores. Then w_score = 1 and w_i = 1 + Σ_{j below i} w_j·B_j: one more unit
of tier i adds w_i to the objective, while everything below can lose at most Σ w_j·B_j =
w_i − 1 together. So any schedule better on a count tier is better by at least 1 in the
objective. HiGHS runs with its relative gap set so that the absolute gap is at most
min(0.5, `SCORE_GAP`·B_score): when it proves that gap, no schedule is better on any count tier
(it would beat the proven bound by 1), and the score is within the gap of the best given them.
`Schedule.gap` reports the gap left, after a time limit too (below 1: the count tiers are
still proven optimal). The weights stay moderate because the bounds are the instance's own:
w_requests is 1.3·10^5 for a first schedule of 200 participants and 1,000 pairs, 4.4·10^8
when rescheduling 400 and 2,000 (``python -m bench.schedule`` prints them): the objective's
terms keep far more precision in doubles than a score's 10^-3. The tests compare the result
with exhaustive search on small events, and the benchmark with sequential solves.

Why not sequential solves (maximise tier 1, then tier 2 subject to tier 1 ≥ its value, …)?
They give the same schedules (the benchmark checks it), but each "tier ≥ value" row is dense
and makes the LP relaxation fractional, so HiGHS branches far longer: 5× the time at 200
participants and 1,000 pairs, 16× at 400 and 2,000 (bench/README.md).

Size and time
-------------
There is a variable only for each (pair, slot) where both sides are free and the pair could
meet at all (room at a table or the booth, both below their maximum after the locks); rows
are written only where they can bind. At ``time_limit`` HiGHS returns the best schedule it
found, with status ``time_limit``; the greedy schedule (`greedy_schedule`, highest priority
first) stands in when that is worse or missing, so a result always exists.
"""
from matchmaker.events.schedule.data import (
    AT_MAX_MEETINGS,
    BOOTH_BUSY,
    LOWER_PRIORITY,
    NO_COMMON_FREE_SLOT,
    NOT_SELECTED,
    REASONS,
    TABLE_CAPACITY,
    TIERS,
    WITHDRAWN,
    CandidatePair,
    Conflict,
    Meeting,
    ObjectiveParts,
    Participant,
    Schedule,
    ScheduleConflictError,
    ScheduleDiff,
    ScheduleInputError,
    ScheduleProblem,
    Slot,
    Unscheduled,
)
from matchmaker.events.schedule.result import check_schedule, diff_schedules
from matchmaker.events.schedule.solver import (
    DEFAULT_TIME_LIMIT,
    SCORE_GAP,
    greedy_schedule,
    solve_schedule,
)

__all__ = [
    "AT_MAX_MEETINGS", "BOOTH_BUSY", "DEFAULT_TIME_LIMIT", "LOWER_PRIORITY",
    "NOT_SELECTED", "NO_COMMON_FREE_SLOT", "REASONS", "SCORE_GAP", "TABLE_CAPACITY", "TIERS",
    "WITHDRAWN", "CandidatePair", "Conflict", "Meeting", "ObjectiveParts", "Participant",
    "Schedule", "ScheduleConflictError", "ScheduleDiff", "ScheduleInputError",
    "ScheduleProblem", "Slot", "Unscheduled", "check_schedule", "diff_schedules",
    "greedy_schedule", "solve_schedule",
]
