"""The problem in indices: who is free when, what the locks already take; lock conflicts."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matchmaker.events.schedule.data import (
    CandidatePair,
    Conflict,
    Meeting,
    ScheduleConflictError,
    ScheduleInputError,
    ScheduleProblem,
)


@dataclass
class Candidate:
    """A candidate pair that is not locked, in indices."""

    index: int  # position in problem.pairs
    pair: CandidatePair
    i: int
    j: int
    booth: str | None  # where it would take place; None: a shared table


class Event:
    """The problem in indices: who is free when, what the locks already use."""

    def __init__(self, problem: ScheduleProblem):
        self.problem = problem
        self.people = problem.participants
        self.pindex = {p.id: n for n, p in enumerate(self.people)}
        self.sindex = {s.id: n for n, s in enumerate(problem.slots)}
        self.nslots = len(problem.slots)
        _check_input(problem, self.pindex, self.sindex)
        self.blocked = [{self.sindex[s] for s in p.blocked_slots} for p in self.people]
        holders = defaultdict(int)
        for p in self.people:
            if p.booth is not None:
                holders[p.booth] += 1
        self.shared_booths = {b for b, n in holders.items() if n > 1}
        self.locks = _place_locks(self, problem.locked)  # [(Meeting, i, j, s)]
        self.busy = [set() for _ in self.people]  # slots taken by a lock
        self.load = [0] * len(self.people)
        self.tables_left = [problem.tables] * self.nslots
        self.booth_taken: set[tuple[str, int]] = set()
        for meeting, i, j, s in self.locks:
            self._occupy(i, j, s, meeting.booth)
        self.locked_keys = {m.key for m, *_ in self.locks}
        self.cands = [Candidate(n, pair, self.pindex[pair.a], self.pindex[pair.b],
                                self.host_booth(self.pindex[pair.a], self.pindex[pair.b]))
                      for n, pair in enumerate(problem.pairs) if pair.key not in self.locked_keys]
        self.by_key = {pair.key: pair for pair in problem.pairs}
        self.published_slot = {}
        for m in problem.published or ():
            if m.a in self.pindex and m.b in self.pindex and m.slot in self.sindex:
                self.published_slot[m.key] = self.sindex[m.slot]

    def _occupy(self, i, j, s, booth):
        for p in (i, j):
            self.busy[p].add(s)
            self.load[p] += 1
        if booth is not None:
            self.booth_taken.add((booth, s))
        else:
            self.tables_left[s] -= 1

    def host_booth(self, i: int, j: int) -> str | None:
        return self.people[i].booth if self.people[i].booth is not None else self.people[j].booth

    def free_slots(self, cand: Candidate) -> list[int]:
        """Slots where the pair could meet before any other choice: both free, room left."""
        i, j = cand.i, cand.j
        if self.load[i] >= self.people[i].max_meetings or \
                self.load[j] >= self.people[j].max_meetings:
            return []
        taken = self.blocked[i] | self.blocked[j] | self.busy[i] | self.busy[j]
        return [s for s in range(self.nslots) if s not in taken and self._room(cand.booth, s)]

    def _room(self, booth, s) -> bool:
        if booth is None:
            return self.tables_left[s] > 0
        return booth not in self.shared_booths or (booth, s) not in self.booth_taken


def _check_input(problem: ScheduleProblem, pindex, sindex) -> None:
    problems = []
    if len(pindex) != len(problem.participants):
        problems.append("participant ids are not unique")
    if len(sindex) != len(problem.slots):
        problems.append("slot ids are not unique")
    if not isinstance(problem.tables, int) or problem.tables < 0:
        problems.append(f"tables must be a whole number >= 0, not {problem.tables!r}")
    for p in problem.participants:
        if not isinstance(p.max_meetings, int) or p.max_meetings < 0:
            problems.append(f"participant {p.id!r}: max_meetings must be a whole number >= 0")
        unknown = [s for s in p.blocked_slots if s not in sindex]
        if unknown:
            problems.append(f"participant {p.id!r}: blocked slots {unknown!r} are not slots")
    seen = set()
    for pair in problem.pairs:
        name = f"pair ({pair.a!r}, {pair.b!r})"
        if pair.a not in pindex or pair.b not in pindex:
            problems.append(f"{name}: not a participant")
        if pair.a == pair.b:
            problems.append(f"{name}: a participant cannot meet themselves")
        if pair.key in seen:
            problems.append(f"{name}: listed twice")
        seen.add(pair.key)
        if isinstance(pair.score, bool) or not (isinstance(pair.score, (int, float))
                                                 and 0.0 <= pair.score <= 1.0):
            problems.append(f"{name}: score must be in [0, 1], not {pair.score!r}")
    if problems:
        raise ScheduleInputError(problems)


def _place_locks(event: Event, locked) -> list:
    """Return the locks as (meeting, i, j, slot index), or raise with every conflict."""
    conflicts, placed = [], []
    for m in locked:
        found = _lock_itself(event, m)
        if isinstance(found, Conflict):
            conflicts.append(found)
        else:
            placed.append(found)
    conflicts += _lock_clashes(event, placed)
    if conflicts:
        raise ScheduleConflictError(conflicts)
    return placed


def _lock_itself(event: Event, m: Meeting):
    """Check one lock alone; return (meeting placed at its booth if any, i, j, s) or a Conflict."""
    who = (m.a, m.b)
    if m.a not in event.pindex or m.b not in event.pindex or m.a == m.b:
        return Conflict("unknown_participant", f"locked meeting {who!r}: not two participants",
                        m.slot, who, (m,))
    if m.slot not in event.sindex:
        return Conflict("unknown_slot", f"locked meeting {who!r}: {m.slot!r} is not a slot",
                        m.slot, who, (m,))
    i, j, s = event.pindex[m.a], event.pindex[m.b], event.sindex[m.slot]
    blockers = tuple(event.people[p].id for p in (i, j) if s in event.blocked[p])
    if blockers:
        return Conflict("slot_blocked", f"locked meeting {who!r}: {blockers!r} blocked slot "
                        f"{m.slot!r}", m.slot, blockers, (m,))
    booths = {event.people[i].booth, event.people[j].booth} - {None}
    if m.booth is not None and m.booth not in booths:
        return Conflict("wrong_place", f"locked meeting {who!r}: booth {m.booth!r} is neither "
                        "side's booth", m.slot, who, (m,))
    if m.table is not None and booths:
        return Conflict("wrong_place", f"locked meeting {who!r}: a booth holder meets at their "
                        "booth, not at a shared table", m.slot, who, (m,))
    if m.table is not None and not (isinstance(m.table, int) and 1 <= m.table
                                    <= event.problem.tables):
        return Conflict("wrong_place", f"locked meeting {who!r}: table {m.table!r} is not "
                        f"between 1 and {event.problem.tables}", m.slot, who, (m,))
    if booths and m.booth is None:
        m = Meeting(m.a, m.b, m.slot, None, event.host_booth(i, j))
    return (m, i, j, s)


def _lock_clashes(event: Event, placed) -> list[Conflict]:
    conflicts = []
    by_key, by_person_slot, by_person = defaultdict(list), defaultdict(list), defaultdict(list)
    by_table, by_booth, table_users = defaultdict(list), defaultdict(list), defaultdict(list)
    for m, i, j, s in placed:
        by_key[m.key].append(m)
        for p in (i, j):
            by_person_slot[p, s].append(m)
            by_person[p].append(m)
        if m.booth is not None:
            by_booth[m.booth, s].append(m)
        else:
            table_users[s].append(m)
            if m.table is not None:
                by_table[m.table, s].append(m)
    for ms in by_key.values():
        if len(ms) > 1:
            conflicts.append(Conflict("pair_locked_twice", f"pair {ms[0].participants!r} is "
                                      f"locked {len(ms)} times", None, ms[0].participants,
                                      tuple(ms)))
    for (p, s), ms in by_person_slot.items():
        if len(ms) > 1:
            pid, sid = event.people[p].id, event.problem.slots[s].id
            conflicts.append(Conflict("double_booked", f"participant {pid!r} has {len(ms)} "
                                      f"locked meetings in slot {sid!r}", sid, (pid,), tuple(ms)))
    for p, ms in by_person.items():
        person = event.people[p]
        if len(ms) > person.max_meetings:
            conflicts.append(Conflict("over_max_meetings", f"participant {person.id!r} has "
                                      f"{len(ms)} locked meetings, more than their maximum "
                                      f"{person.max_meetings}", None, (person.id,), tuple(ms)))
    for (table, s), ms in by_table.items():
        if len(ms) > 1:
            sid = event.problem.slots[s].id
            conflicts.append(Conflict("table_double_booked", f"table {table} has {len(ms)} "
                                      f"locked meetings in slot {sid!r}", sid,
                                      _people(ms), tuple(ms)))
    for (booth, s), ms in by_booth.items():
        # A booth held by one participant only clashes through them: double_booked says it.
        if len(ms) > 1 and booth in event.shared_booths:
            sid = event.problem.slots[s].id
            conflicts.append(Conflict("booth_double_booked", f"booth {booth!r} has {len(ms)} "
                                      f"locked meetings in slot {sid!r}", sid,
                                      _people(ms), tuple(ms)))
    for s, ms in table_users.items():
        if len(ms) > event.problem.tables:
            sid = event.problem.slots[s].id
            conflicts.append(Conflict("over_table_capacity", f"slot {sid!r} has {len(ms)} "
                                      f"locked meetings at shared tables, more than the "
                                      f"{event.problem.tables} tables", sid, _people(ms),
                                      tuple(ms)))
    return conflicts


def _people(meetings) -> tuple:
    return tuple(dict.fromkeys(p for m in meetings for p in m.participants))
