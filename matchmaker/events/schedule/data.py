"""The schedule's inputs, outputs and errors: frozen dataclasses, never ORM rows."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Id = int | str


# Why a candidate pair did not meet (Unscheduled.reason), checked in this order.
NO_COMMON_FREE_SLOT = "no_common_free_slot"  # every slot is blocked by one side or the other
AT_MAX_MEETINGS = "participant_at_max_meetings"  # a side already has their maximum
TABLE_CAPACITY = "table_capacity"  # both free in a slot whose shared tables are all taken
BOOTH_BUSY = "booth_busy"  # both free in a slot where the host's shared booth is taken
LOWER_PRIORITY = "lower_priority"  # in every common free slot a side has a meeting that ranks
#                                     higher (a lock, a request, a better score, …)
NOT_SELECTED = "not_selected"  # could still meet: score 0, or the solver stopped at its limit
WITHDRAWN = "withdrawn"  # a published meeting whose pair is no longer a candidate or a lock
REASONS = (NO_COMMON_FREE_SLOT, AT_MAX_MEETINGS, TABLE_CAPACITY, BOOTH_BUSY, LOWER_PRIORITY,
           NOT_SELECTED, WITHDRAWN)

TIERS = ("requests_met", "confirmed_met", "published_kept", "score")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Participant:
    """A party at the event; a booth holder (exhibitor) receives every meeting at ``booth``."""

    id: Id
    max_meetings: int
    blocked_slots: frozenset[Id] = frozenset()
    booth: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "blocked_slots", frozenset(self.blocked_slots))


@dataclass(frozen=True)
class Slot:
    """A time slot; slots are given in time order."""

    id: Id
    label: str = ""


@dataclass(frozen=True)
class CandidatePair:
    """Two participants who could meet: a matcher proposal or an accepted request."""

    a: Id
    b: Id
    score: float
    is_request: bool = False
    is_confirmed: bool = False

    @property
    def key(self) -> frozenset:
        return frozenset((self.a, self.b))


@dataclass(frozen=True)
class Meeting:
    """A pair meeting in a slot at a shared table (1-based) or at a booth.

    As a lock, ``table`` and ``booth`` may both be None: the solver then places it.
    """

    a: Id
    b: Id
    slot: Id
    table: int | None = None
    booth: str | None = None

    @property
    def key(self) -> frozenset:
        return frozenset((self.a, self.b))

    @property
    def participants(self) -> tuple[Id, Id]:
        return (self.a, self.b)


@dataclass(frozen=True)
class ScheduleProblem:
    """Everything the solver needs; ``published`` is set when rescheduling."""

    participants: tuple[Participant, ...]
    slots: tuple[Slot, ...]
    tables: int
    pairs: tuple[CandidatePair, ...]
    locked: tuple[Meeting, ...] = ()
    published: tuple[Meeting, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "participants", tuple(self.participants))
        object.__setattr__(self, "slots", tuple(
            s if isinstance(s, Slot) else Slot(s) for s in self.slots))
        object.__setattr__(self, "pairs", tuple(self.pairs))
        object.__setattr__(self, "locked", tuple(self.locked))
        if self.published is not None:
            object.__setattr__(self, "published", tuple(self.published))


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Unscheduled:
    """A candidate pair (or withdrawn published meeting) that does not meet, and why."""

    a: Id
    b: Id
    reason: str


@dataclass(frozen=True)
class ObjectiveParts:
    """The schedule's value on each tier, locked meetings included."""

    requests_met: int
    confirmed_met: int
    published_kept: int
    score: float
    meetings: int

    def key(self) -> tuple:
        """Return the tiers in lexicographic order (compare schedules with it)."""
        return (self.requests_met, self.confirmed_met, self.published_kept, self.score)


@dataclass(frozen=True)
class ScheduleDiff:
    """What changed from the published schedule; moved pairs are (before, after)."""

    kept: tuple[Meeting, ...]
    moved: tuple[tuple[Meeting, Meeting], ...]
    added: tuple[Meeting, ...]
    dropped: tuple[Meeting, ...]
    participants_affected: frozenset

    @property
    def is_empty(self) -> bool:
        return not (self.moved or self.added or self.dropped)


@dataclass(frozen=True)
class Schedule:
    """A schedule, the pairs left out with their reasons, and how it was found.

    ``status``: ``optimal`` (HiGHS closed the gap: the lexicographic optimum, the score within
    `SCORE_GAP`), ``time_limit`` (the best schedule found in the time budget), ``greedy``
    (from `greedy_schedule`) or ``solver_error``. ``gap``: how much the sum of scores could
    still grow, at most (HiGHS's bound); below 1 the three count tiers are proven optimal.
    None when nothing bounds it (`greedy_schedule`, or HiGHS stopped without a bound).
    """

    meetings: tuple[Meeting, ...]
    unscheduled: tuple[Unscheduled, ...]
    status: str
    objective: ObjectiveParts
    gap: float | None = None
    weights: tuple[float, ...] = ()  # of the tiers in TIERS order, as solved
    seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    diff: ScheduleDiff | None = None

    def agenda(self, participant_id: Id) -> tuple[Meeting, ...]:
        """Return one participant's meetings in slot order."""
        return tuple(m for m in self.meetings if participant_id in m.participants)


# --------------------------------------------------------------------------- errors


class ScheduleInputError(ValueError):
    """The input is malformed (unknown or duplicate ids, scores out of range, …)."""

    def __init__(self, problems: Iterable[str]):
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Conflict:
    """One reason the locked meetings cannot all be kept.

    ``code`` (for the app's translated message): ``unknown_participant``, ``unknown_slot``,
    ``slot_blocked``, ``wrong_place`` (a booth neither side holds, a shared table for a booth
    holder, a table number out of range), ``pair_locked_twice``, ``double_booked`` (one
    participant, one slot), ``over_max_meetings``, ``table_double_booked``,
    ``booth_double_booked``, ``over_table_capacity``. ``message`` is English, for logs.
    """

    code: str
    message: str
    slot: Id | None = None
    participants: tuple = ()
    meetings: tuple[Meeting, ...] = ()


class ScheduleConflictError(ScheduleInputError):
    """The locked meetings break a hard constraint; ``conflicts`` names each clash."""

    def __init__(self, conflicts: Iterable[Conflict]):
        self.conflicts = tuple(conflicts)
        super().__init__(c.message for c in self.conflicts)
