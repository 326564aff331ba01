"""The pipeline's rules, in plain Python (no Flask, no SQLAlchemy): what users argue about.

- which stage moves are allowed and what a stage needs before a deal leaves it forward;
- when a deal is overdue (its next step's date has passed) or stale (idle too long for its
  stage, unless the broker snoozed the flag);
- expected value (value × probability);
- which broker a new deal or introduction request goes to;
- who sees the confidential part of a research output;
- the operators' figures (funnel, conversion rate, median days per stage);
- what an operator may do to the stages themselves (keys, names, figures, the fixed stages the
  code names, switching off a stage that still holds deals, the order of the board).

Inputs are frozen dataclasses (services.py builds them from rows); refusals are codes, which
the services turn into messages in the user's language (pipeline/labels.py).
"""
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from statistics import median

from matchmaker.domain import (
    FIXED_STAGES,
    LEADING_STAGES,
    PHASE_ORDER,
    STAGE_KEY_PATTERN,
    STALE_DAYS_MAX,
    NdaStatus,
    Phase,
    Requirement,
)


@dataclass(frozen=True)
class StageDef:
    """One stage as the operators configured it (a row of deal_stages)."""

    key: str
    phase: Phase
    position: int
    default_probability: int = 0
    stale_after_days: int | None = None
    requirements: tuple[str, ...] = ()
    is_active: bool = True

    @property
    def is_lost(self) -> bool:
        return self.phase == Phase.LOST


@dataclass(frozen=True)
class ContractFacts:
    total_amount: Decimal | None = None
    signed_on: date | None = None
    seller: str = ""
    buyer: str = ""

    @property
    def is_complete(self) -> bool:
        """A signed contract: an amount, a signing date and both parties."""
        return (self.total_amount is not None and self.total_amount > 0
                and self.signed_on is not None and bool(self.seller.strip())
                and bool(self.buyer.strip()))


@dataclass(frozen=True)
class DealFacts:
    """What the rules need to know about a deal."""

    stage_key: str = ""
    ip_checked: bool = False
    team_willing: bool = False
    reform_status: str | None = None
    transfer_mode: str | None = None
    price: Decimal | None = None
    payment_kind: str | None = None
    contract: ContractFacts | None = None
    landing_name: str = ""
    landing_region: str | None = None
    landed_on: date | None = None
    showcase_material: str = ""
    is_open: bool = True
    value: Decimal | None = None
    probability: int | None = None  # the deal's own override; None: the stage's default
    next_step_due: date | None = None
    last_activity_on: date | None = None
    snoozed_until: date | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a move is refused: a code the UI translates, the field to fix (if any), and the
    number the message counts (if it counts one)."""

    code: str
    field: str | None = None
    count: int | None = None


# --- stage moves ---------------------------------------------------------------------------

def _requirement_refusals(requirement: str, deal: DealFacts) -> list[Refusal]:
    if requirement == Requirement.QUALIFICATION:
        return [r for ok, r in (
            (deal.ip_checked, Refusal("ip_not_checked", "ip_checked")),
            (deal.team_willing, Refusal("team_not_willing", "team_willing")),
            (deal.reform_status is not None, Refusal("reform_status_unknown", "reform_status")),
        ) if not ok]
    if requirement == Requirement.TERMS:
        return [r for ok, r in (
            (bool(deal.transfer_mode), Refusal("transfer_mode_missing", "transfer_mode")),
            (deal.price is not None, Refusal("price_missing", "price")),
            (bool(deal.payment_kind), Refusal("payment_kind_missing", "payment_kind")),
        ) if not ok]
    if requirement == Requirement.CONTRACT:
        contract = deal.contract or ContractFacts()
        return [r for ok, r in (
            (contract.total_amount is not None and contract.total_amount > 0,
             Refusal("contract_amount_missing", "total_amount")),
            (contract.signed_on is not None, Refusal("contract_date_missing", "signed_on")),
            (bool(contract.seller.strip()) and bool(contract.buyer.strip()),
             Refusal("contract_parties_missing", "parties")),
        ) if not ok]
    if requirement == Requirement.LANDING:
        return [r for ok, r in (
            (bool(deal.landing_name.strip()), Refusal("landing_name_missing", "landing_name")),
            (deal.landing_region is not None,
             Refusal("landing_location_missing", "landing_region")),
            (deal.landed_on is not None, Refusal("landing_date_missing", "landed_on")),
        ) if not ok]
    if requirement == Requirement.SHOWCASE_MATERIAL:
        if not deal.showcase_material.strip():
            return [Refusal("showcase_material_missing", "showcase_material")]
        return []
    raise ValueError(f"unknown requirement {requirement!r}")


def is_forward(from_stage: StageDef, to_stage: StageDef) -> bool:
    """Return whether to_stage lies after from_stage in the chain (lost is neither)."""
    return (not from_stage.is_lost and not to_stage.is_lost
            and to_stage.position > from_stage.position)


def check_move(deal: DealFacts, from_stage: StageDef, to_stage: StageDef, *, reason: str = "",
               lost_reason: str | None = None,
               passed: Sequence[StageDef] = ()) -> list[Refusal]:
    """Return why deal may not move from from_stage to to_stage ([] when it may).

    Parameters
    ----------
    reason : the broker's words; a backward move and a move to or from lost need one.
    lost_reason : a LostReason code; a move to lost needs one.
    passed : the active stages strictly between the two when moving forward: skipping a stage
        needs what leaving it needs (you cannot jump from discovered to contract signed
        without qualifying the deal and agreeing the terms).

    Returns
    -------
    Refusals in a stable order (stage problems first, then the missing facts).
    """
    if to_stage.key == from_stage.key:
        return [Refusal("same_stage")]
    if not to_stage.is_active:
        return [Refusal("stage_inactive")]
    refusals: list[Refusal] = []
    needs_reason = from_stage.is_lost or to_stage.is_lost or not is_forward(from_stage, to_stage)
    if needs_reason and not reason.strip():
        refusals.append(Refusal("reason_required", "reason"))
    if to_stage.is_lost:
        if not lost_reason:
            refusals.append(Refusal("lost_reason_required", "lost_reason"))
        return refusals
    if is_forward(from_stage, to_stage):
        for stage in (from_stage, *passed):
            for requirement in stage.requirements:
                refusals.extend(_requirement_refusals(requirement, deal))
        if to_stage.phase == Phase.SHOWCASE:
            refusals.extend(_requirement_refusals(Requirement.SHOWCASE_MATERIAL, deal))
    return list(dict.fromkeys(refusals))


def check_start(stage: StageDef, stages: Iterable[StageDef]) -> list[Refusal]:
    """Return why a new deal may not start at stage ([] when it may).

    A deal starts in the mine phase, or at the first stage of the land phase when the parties
    asked to be introduced (an accepted introduction request): anything later must be
    reached by moves, so that no stage's requirements are skipped.
    """
    if not stage.is_active:
        return [Refusal("stage_inactive", "stage")]
    land = [s.position for s in stages if s.is_active and s.phase == Phase.LAND]
    if stage.phase == Phase.MINE or (land and stage.position == min(land)):
        return []
    return [Refusal("cannot_start_here", "stage")]


def stages_between(stages: Iterable[StageDef], from_stage: StageDef,
                   to_stage: StageDef) -> list[StageDef]:
    """Return the active stages strictly between two stages, in order (for check_move)."""
    return sorted((s for s in stages if s.is_active and not s.is_lost
                   and from_stage.position < s.position < to_stage.position),
                  key=lambda s: s.position)


def phase_rank(phase: Phase) -> int:
    """Return a phase's place in the chain (mine 0 … showcase 3; lost -1)."""
    return PHASE_ORDER.index(phase) if phase in PHASE_ORDER else -1


def is_landing_or_later(stage: StageDef) -> bool:
    """Return whether a deal at stage has reached the land phase (and is not lost)."""
    return phase_rank(stage.phase) >= phase_rank(Phase.LAND)


# --- configuring the stages ----------------------------------------------------------------

POSITION_STEP = 10  # the gap between two stages' positions after a renumbering
STAGE_NAME_MAX = {"name_zh": 40, "name_en": 60}  # deal_stages' column lengths
_PHASE_PLACES = (*PHASE_ORDER, Phase.LOST)


def check_stage(stage: StageDef, *, names: Mapping[str, str], before: StageDef | None = None,
                open_deals: int = 0) -> list[Refusal]:
    """Return why an operator may not save stage as given ([] when they may).

    Parameters
    ----------
    names : the stage's name_zh and name_en as typed.
    before : the stage as it is now; None for a new stage.
    open_deals : how many open deals are at the stage now (a stage that holds deals cannot be
        switched off: the deals would vanish from the board with no way to move them).
    """
    refusals: list[Refusal] = []
    if before is None and not re.fullmatch(STAGE_KEY_PATTERN, stage.key):
        refusals.append(Refusal("stage_key_format", "key"))
    for name, text in names.items():
        if not text.strip():
            refusals.append(Refusal("stage_name_required", name))
        elif len(text.strip()) > STAGE_NAME_MAX[name]:
            refusals.append(Refusal("stage_name_too_long", name))
    if not 0 <= stage.default_probability <= 100:
        refusals.append(Refusal("stage_probability_range", "default_probability"))
    if stage.stale_after_days is not None and not 0 < stage.stale_after_days <= STALE_DAYS_MAX:
        refusals.append(Refusal("stage_stale_days_range", "stale_after_days"))
    fixed = stage.key in FIXED_STAGES
    if fixed and before is not None and stage.phase != before.phase:
        refusals.append(Refusal("fixed_stage_phase", "phase"))
    elif stage.is_lost and (before is None or not before.is_lost):
        refusals.append(Refusal("stage_lost_single", "phase"))
    if fixed and not stage.is_active:
        refusals.append(Refusal("fixed_stage_inactive", "is_active"))
    elif not stage.is_active and (before is None or before.is_active) and open_deals > 0:
        refusals.append(Refusal("stage_has_open_deals", "is_active", count=open_deals))
    return refusals


def check_stage_order(stages: Iterable[StageDef]) -> list[Refusal]:
    """Return why the stages' positions are not a board order ([] when they are).

    Each stage has a position of its own; the phases follow the chain (mine, land, serve,
    showcase, then lost), so that moving forward means moving to a higher position; and a
    leading stage (introduced) stays first of its phase.
    """
    ordered = sorted(stages, key=lambda s: s.position)
    positions = [s.position for s in ordered]
    if len(set(positions)) != len(positions):
        return [Refusal("stage_position_taken", "position")]
    places = [_PHASE_PLACES.index(s.phase) for s in ordered]
    if places != sorted(places):
        return [Refusal("stage_phase_order", "position")]
    for key, phase in LEADING_STAGES.items():
        of_phase = [s.key for s in ordered if s.phase == phase]
        if key in of_phase and of_phase[0] != key:
            return [Refusal("stage_must_lead", "position")]
    return []


def _renumbered(keys: Sequence[str]) -> dict[str, int]:
    return {key: POSITION_STEP * (number + 1) for number, key in enumerate(keys)}


def positions_with(stages: Iterable[StageDef], new_key: str, after_key: str) -> dict[str, int]:
    """Return every stage's position once new_key is inserted right after after_key (the
    stages after it shift down; the earlier ones keep their place when evenly spaced)."""
    keys = [s.key for s in sorted(stages, key=lambda s: s.position)]
    keys.insert(keys.index(after_key) + 1, new_key)
    return _renumbered(keys)


def positions_moving(stages: Iterable[StageDef], key: str,
                     step: int) -> dict[str, int] | Refusal:
    """Return every stage's position once key swaps places with its neighbour in its phase
    (step -1: the one before, +1: the one after), or a Refusal when it is already at that
    end of its phase (a stage moves between phases only by being given another phase)."""
    ordered = sorted(stages, key=lambda s: s.position)
    keys = [s.key for s in ordered]
    index = keys.index(key)
    other = index + step
    if step not in (-1, 1) or not 0 <= other < len(ordered) or \
            ordered[other].phase != ordered[index].phase:
        return Refusal("stage_at_edge", "position")
    keys[index], keys[other] = keys[other], keys[index]
    return _renumbered(keys)


# --- the workspace flags --------------------------------------------------------------------

def is_overdue(deal: DealFacts, today: date) -> bool:
    """Return whether an open deal's next step is past its due date."""
    return deal.is_open and deal.next_step_due is not None and deal.next_step_due < today


def is_snoozed(deal: DealFacts, today: date) -> bool:
    """Return whether the stale flag is snoozed on today (snoozed_until is inclusive)."""
    return deal.snoozed_until is not None and deal.snoozed_until >= today


def is_stale(deal: DealFacts, stage: StageDef, today: date) -> bool:
    """Return whether an open deal has been idle longer than its stage allows, unsnoozed.

    Idle means no activity and no stage move: last_activity_on is the later of the two.
    """
    if not deal.is_open or stage.stale_after_days is None or deal.last_activity_on is None:
        return False
    if is_snoozed(deal, today):
        return False
    return (today - deal.last_activity_on).days > stage.stale_after_days


def probability(deal: DealFacts, stage: StageDef) -> int:
    """Return the deal's win probability in percent: its own override, else its stage's."""
    return deal.probability if deal.probability is not None else stage.default_probability


def expected_value(value: Decimal | None, probability_percent: int) -> Decimal:
    """Return value × probability (万元, two decimals); a deal without value counts 0."""
    if value is None:
        return Decimal("0.00")
    return (Decimal(value) * probability_percent / 100).quantize(Decimal("0.01"))


# --- assignment ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BrokerLoad:
    """A broker who can take deals: their user id, chains of specialty and open deals."""

    user_id: int
    chain_ids: frozenset[int] = field(default_factory=frozenset)
    open_deals: int = 0


def choose_broker(candidates: Iterable[BrokerLoad], chain_id: int | None) -> int | None:
    """Return the user id of the broker a new deal or request goes to, or None if no one.

    The brokers whose specialty is the chain come first; among them the lowest open load,
    ties by the lower id (stable, so that two equal brokers are not chosen at random). When no
    broker has the chain (or the deal has none), the least loaded of all takes it: a request
    must reach somebody, and an operator can reassign it.
    """
    candidates = list(candidates)
    fitting = [c for c in candidates if chain_id is not None and chain_id in c.chain_ids]
    pool = fitting or candidates
    if not pool:
        return None
    return min(pool, key=lambda c: (c.open_deals, c.user_id)).user_id


# --- confidentiality --------------------------------------------------------------------------

def nda_in_force(status: str, expires_on: date | None, today: date) -> bool:
    """Return whether an NDA is signed and not past its expiry date."""
    return status == NdaStatus.SIGNED and (expires_on is None or expires_on >= today)


def may_see_confidential(*, is_output_side: bool, is_staff: bool, is_counterparty: bool,
                         nda_status: str, nda_expires_on: date | None, today: date) -> bool:
    """Return whether a viewer may read the confidential part of a deal's research output.

    The institution that listed it, operators and the deal's brokers always may; the
    enterprise side (the need's members) only while a signed NDA is in force; nobody else.
    """
    if is_output_side or is_staff:
        return True
    return is_counterparty and nda_in_force(nda_status, nda_expires_on, today)


# --- operators' figures -------------------------------------------------------------------------

def funnel(reached: Iterable[int], positions: Sequence[int]) -> list[int]:
    """Return how many deals reached each position, given each deal's furthest position.

    A deal that reached contract signed also passed every earlier stage, even if it skipped
    one, so it counts in each column up to its furthest.
    """
    reached = list(reached)
    return [sum(1 for r in reached if r >= position) for position in positions]


def conversion_rate(total: int, converted: int) -> float:
    """Return converted / total (0.0 when there is nothing to convert)."""
    return converted / total if total else 0.0


def stage_durations(path: Sequence[tuple[str, datetime]]) -> list[tuple[str, float]]:
    """Return (stage key, days spent) for each stage a deal left, from its stage entries in
    time order (the stage it is in now has no duration yet)."""
    return [(key, (end - start).total_seconds() / 86400)
            for (key, start), (_next, end) in pairwise(path)]


def median_days(durations: Iterable[float]) -> float | None:
    """Return the median of durations in days, or None when there are none."""
    values = list(durations)
    return float(median(values)) if values else None
