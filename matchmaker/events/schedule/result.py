"""From chosen (pair, slot)s to a schedule: tables, reasons, objective parts, diff, checks."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from matchmaker.events.schedule.data import (
    AT_MAX_MEETINGS,
    BOOTH_BUSY,
    LOWER_PRIORITY,
    NO_COMMON_FREE_SLOT,
    NOT_SELECTED,
    TABLE_CAPACITY,
    WITHDRAWN,
    Meeting,
    ObjectiveParts,
    Schedule,
    ScheduleDiff,
    ScheduleProblem,
    Unscheduled,
)
from matchmaker.events.schedule.event import Event


def _place(event: Event, chosen: list[tuple[int, int]]) -> list[Meeting]:
    """Give each chosen pair its booth or a table: locked tables, then published tables of
    meetings that stayed in their slot, then the lowest free table."""
    slots, tables = event.problem.slots, event.problem.tables
    published = {m.key: m for m in event.problem.published or ()}
    used = defaultdict(set)
    placed, pending = [], []
    for m, *_ in event.locks:
        if m.table is not None:
            used[m.slot].add(m.table)
        if m.table is not None or m.booth is not None:
            placed.append(m)
        else:
            pending.append(Meeting(m.a, m.b, m.slot))
    for c, s in chosen:
        pair = event.cands[c].pair
        meeting = Meeting(pair.a, pair.b, slots[s].id, None, event.cands[c].booth)
        (placed if meeting.booth is not None else pending).append(meeting)
    rest = []
    for m in pending:
        before = published.get(m.key)
        if (before is not None and before.slot == m.slot and before.booth is None
                and isinstance(before.table, int) and 1 <= before.table <= tables
                and before.table not in used[m.slot]):
            used[m.slot].add(before.table)
            placed.append(Meeting(m.a, m.b, m.slot, before.table))
        else:
            rest.append(m)
    for m in rest:
        table = next(t for t in range(1, tables + 1) if t not in used[m.slot])
        used[m.slot].add(table)
        placed.append(Meeting(m.a, m.b, m.slot, table))
    order = event.sindex
    return sorted(placed, key=lambda m: (order[m.slot], m.booth is not None, m.table or 0,
                                         str(m.booth), event.pindex[m.a]))


def _reasons(event: Event, meetings: list[Meeting]) -> list[Unscheduled]:
    """Say why each candidate pair that does not meet does not: the first reason that holds."""
    met = {m.key for m in meetings}
    busy, load = defaultdict(set), defaultdict(int)
    tables_used, booths_used = defaultdict(int), set()
    for m in meetings:
        s = event.sindex[m.slot]
        for p in m.participants:
            busy[event.pindex[p]].add(s)
            load[event.pindex[p]] += 1
        if m.booth is None:
            tables_used[s] += 1
        else:
            booths_used.add((m.booth, s))
    out = []
    for cand in event.cands:
        if cand.pair.key in met:
            continue
        i, j, booth = cand.i, cand.j, cand.booth
        free = [s for s in range(event.nslots)
                if s not in event.blocked[i] and s not in event.blocked[j]]
        idle = [s for s in free if s not in busy[i] and s not in busy[j]]
        if not free:
            reason = NO_COMMON_FREE_SLOT
        elif (load[i] >= event.people[i].max_meetings
              or load[j] >= event.people[j].max_meetings):
            reason = AT_MAX_MEETINGS
        elif not idle:
            reason = LOWER_PRIORITY
        elif any(tables_used[s] < event.problem.tables if booth is None else
                 booth not in event.shared_booths or (booth, s) not in booths_used
                 for s in idle):
            reason = NOT_SELECTED
        else:
            reason = TABLE_CAPACITY if booth is None else BOOTH_BUSY
        out.append(Unscheduled(cand.pair.a, cand.pair.b, reason))
    for m in event.problem.published or ():
        if m.key not in met and m.key not in event.by_key:
            out.append(Unscheduled(m.a, m.b, WITHDRAWN))
    return out


def _objective(event: Event, meetings: list[Meeting]) -> ObjectiveParts:
    requests = confirmed = kept = 0
    score = 0.0
    for m in meetings:
        pair = event.by_key.get(m.key)
        if pair is not None:
            requests += pair.is_request
            confirmed += pair.is_confirmed
            score += pair.score
        kept += event.published_slot.get(m.key) == event.sindex[m.slot]
    return ObjectiveParts(requests, confirmed, kept, score, len(meetings))


def finish(event: Event, chosen, status: str, **how) -> Schedule:
    """Return the Schedule of the chosen (candidate, slot) indices, placed and explained."""
    meetings = _place(event, chosen)
    published = event.problem.published
    return Schedule(tuple(meetings), tuple(_reasons(event, meetings)), status,
                    _objective(event, meetings),
                    diff=None if published is None else diff_schedules(published, meetings),
                    **how)


def diff_schedules(before: Iterable[Meeting], after: Iterable[Meeting]) -> ScheduleDiff:
    """Compare two schedules pair by pair: kept (same slot and place), moved, added, dropped.

    ``participants_affected`` are the participants of every moved, added or dropped meeting:
    the people to tell.
    """
    old = {m.key: m for m in before}
    new = {m.key: m for m in after}
    kept, moved, added, dropped = [], [], [], []
    for key, m in new.items():
        was = old.get(key)
        if was is None:
            added.append(m)
        elif (was.slot, was.table, was.booth) == (m.slot, m.table, m.booth):
            kept.append(m)
        else:
            moved.append((was, m))
    dropped = [m for key, m in old.items() if key not in new]
    affected = {p for m in [*added, *dropped, *(a for pair in moved for a in pair)]
                for p in m.participants}
    return ScheduleDiff(tuple(kept), tuple(moved), tuple(added), tuple(dropped),
                        frozenset(affected))


def check_schedule(problem: ScheduleProblem, meetings: Iterable[Meeting]) -> list[str]:
    """Return every hard constraint the meetings break (empty: a valid schedule).

    Independent of the solver: use it on a schedule the organiser edited by hand.
    """
    people = {p.id: p for p in problem.participants}
    slots = {s.id for s in problem.slots}
    pairs = {p.key for p in problem.pairs} | {m.key for m in problem.locked}
    meetings = list(meetings)
    out = []
    seen_pairs, at, count = set(), defaultdict(list), defaultdict(int)
    places = defaultdict(list)
    for m in meetings:
        name = f"meeting {m.a!r}-{m.b!r} in slot {m.slot!r}"
        if m.a not in people or m.b not in people or m.slot not in slots or m.a == m.b:
            out.append(f"{name}: unknown participant or slot")
            continue
        if m.key not in pairs:
            out.append(f"{name}: neither a candidate pair nor a locked meeting")
        if m.key in seen_pairs:
            out.append(f"{name}: the pair meets twice")
        seen_pairs.add(m.key)
        for p in m.participants:
            at[p, m.slot].append(m)
            count[p] += 1
            if m.slot in people[p].blocked_slots:
                out.append(f"{name}: {p!r} blocked this slot")
        out += _check_place(problem, people, m, name)
        places[m.slot, m.table if m.booth is None else ("booth", m.booth)].append(m)
    for (p, slot), ms in at.items():
        if len(ms) > 1:
            out.append(f"participant {p!r} has {len(ms)} meetings in slot {slot!r}")
    for p, n in count.items():
        if n > people[p].max_meetings:
            out.append(f"participant {p!r} has {n} meetings, more than {people[p].max_meetings}")
    for (slot, place), ms in places.items():
        if len(ms) > 1:
            out.append(f"slot {slot!r}: {len(ms)} meetings at {place!r}")
    where = {(m.key, m.slot): m for m in meetings}
    for lock in problem.locked:
        m = where.get((lock.key, lock.slot))
        if m is None or (lock.table is not None and m.table != lock.table) or (
                lock.booth is not None and m.booth != lock.booth):
            out.append(f"locked meeting {lock.a!r}-{lock.b!r} in slot {lock.slot!r} not kept")
    return out


def _check_place(problem: ScheduleProblem, people: Mapping, m: Meeting, name: str) -> list[str]:
    booths = [people[p].booth for p in m.participants if people[p].booth is not None]
    if booths:
        locked = any(lock.key == m.key and lock.slot == m.slot for lock in problem.locked)
        # A lock may name either side's booth; otherwise the meeting is at the host's (a's).
        if m.table is not None or m.booth not in booths or (not locked and m.booth != booths[0]):
            return [f"{name}: must be at booth {booths[0]!r}, not at {m.table or m.booth!r}"]
        return []
    if m.booth is not None or not (isinstance(m.table, int) and 1 <= m.table <= problem.tables):
        return [f"{name}: table {m.table!r} is not one of tables 1-{problem.tables}"]
    return []
