"""Who is on duty for a chain: the rule that routes a visitor's contact request.

Plain Python (no Flask, no ORM), so the rule can be read and tested alone:

1. the active brokers whose specialties include the item's chain take it; among them the one
   with the fewest open contact requests, ties broken by the lower user id (stable: two
   equally loaded brokers are not chosen at random);
2. when no broker specialises in the chain (or the item has none), an active operator takes
   it, by the same order: the platform's staff answer what no specialist can;
3. when there is nobody at all the request stays unassigned; it is stored anyway and
   operators see it once one exists.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    user_id: int
    chain_ids: frozenset[int] = field(default_factory=frozenset)
    open_requests: int = 0


def on_duty(brokers: Iterable[Candidate], operators: Iterable[Candidate],
            chain_id: int | None) -> int | None:
    """Return the user id of who takes a contact request about chain_id, or None."""
    fitting = [b for b in brokers if chain_id is not None and chain_id in b.chain_ids]
    pool = fitting or list(operators)
    if not pool:
        return None
    return min(pool, key=lambda c: (c.open_requests, c.user_id)).user_id
