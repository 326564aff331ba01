"""Scorers: small named functions, each vectorised over all candidates of one query.

Every scorer returns values in [0, 1] for the candidates; NEUTRAL marks "unknown" so that a
missing field neither helps nor hurts much.
"""
import numpy as np

from matchmaker.domain import TransferMode
from matchmaker.matching.profiles import EXCLUDED_NEED_STATUSES, EXCLUDED_OUTPUT_STATUSES

NEUTRAL = 0.5
MODES = tuple(TransferMode)  # the bit order of mode masks: the enum's order
MODE_BIT = {mode: 1 << i for i, mode in enumerate(MODES)}
# Modes that satisfy a wish for another mode, partly (an exclusive licence is a licence).
COMPATIBLE = {
    TransferMode.LICENCE: (TransferMode.EXCLUSIVE_LICENCE,),
    TransferMode.EXCLUSIVE_LICENCE: (TransferMode.LICENCE,),
    TransferMode.EQUITY: (TransferMode.INVEST_THEN_EQUITY,),
    TransferMode.INVEST_THEN_EQUITY: (TransferMode.EQUITY,),
    TransferMode.PAY_LATER: (TransferMode.LICENCE,),
}
SEGMENT_VALUE = {0: 1.0, 1: 0.7}
FAR_SEGMENT, UNKNOWN_SEGMENT, OTHER_CHAIN = 0.45, 0.6, 0.0
CROSS_CHAIN = 1.0  # multiplies the chain-evidence overlap of profiles in different chains
TRL_STEP = 0.25  # each missing TRL level costs a quarter
NEGOTIABLE_MODE = 0.4  # no wanted mode offered, but the need lists several


def mode_mask(modes) -> int:
    """Return the bit mask of the known modes in modes."""
    mask = 0
    for mode in modes or ():
        mask |= MODE_BIT.get(mode, 0)
    return mask


def compatible_mask(modes) -> int:
    return mode_mask(m for mode in modes or () for m in COMPATIBLE.get(mode, ()))


def chain_fit(q, c, q_mix: np.ndarray, c_mix: np.ndarray) -> np.ndarray:
    """Same segment 1, adjacent 0.7, same chain 0.45–0.6; across chains, the overlap of the
    two profiles' chain evidence (0 for clearly different chains). Weighed by confidence."""
    n = len(c.chain)
    if q.chain < 0:
        return np.full(n, NEUTRAL)
    dist = np.abs(c.seg_pos - q.seg_pos)
    seg_known = (c.seg_pos >= 0) & (q.seg_pos >= 0)
    same_chain_value = np.where(seg_known, np.select([dist == 0, dist == 1],
                                                     [SEGMENT_VALUE[0], SEGMENT_VALUE[1]],
                                                     FAR_SEGMENT), UNKNOWN_SEGMENT)
    overlap = c_mix @ q_mix if c_mix is not None and q_mix.shape[0] == c_mix.shape[1] else 0.0
    value = np.where(c.chain == q.chain, same_chain_value, OTHER_CHAIN + CROSS_CHAIN * overlap)
    confidence = q.chain_conf * c.chain_conf
    return np.where(c.chain >= 0, confidence * value + (1 - confidence) * NEUTRAL, NEUTRAL)


# The most a chain value can be: the same segment, or (chain evidence is a share per chain, so
# the overlap of two profiles' evidence is at most 1) the full overlap across chains.
CHAIN_VALUE_MAX = max(*SEGMENT_VALUE.values(), FAR_SEGMENT, UNKNOWN_SEGMENT,
                      OTHER_CHAIN + CROSS_CHAIN)


def chain_fit_bound(q, c_chain: np.ndarray, c_conf: np.ndarray) -> np.ndarray | float:
    """Return an upper bound of chain_fit(q, c, …) per candidate from the chains and
    confidences alone: what the best segment or overlap would give at the pair's confidence
    (NEUTRAL where either side has no chain). The ranking skips rows whose text cannot reach
    the top even with it (engine.Matcher._candidates)."""
    if q.chain < 0:
        return NEUTRAL
    confidence = q.chain_conf * c_conf
    return np.where(c_chain >= 0, confidence * CHAIN_VALUE_MAX + (1 - confidence) * NEUTRAL,
                    NEUTRAL)


def trl_fit(need_trl, output_trl) -> np.ndarray:
    """1 when the output is at least as mature as required; minus TRL_STEP per missing level."""
    need_trl, output_trl = np.broadcast_arrays(need_trl, output_trl)
    gap = need_trl - output_trl
    value = np.clip(1.0 - TRL_STEP * np.maximum(gap, 0), 0.0, 1.0)
    return np.where((need_trl < 1) | (output_trl < 1), NEUTRAL, value)


def mode_fit(need_mask, need_compatible, output_mask) -> np.ndarray:
    """1 for a wanted mode offered, 0.7 for a compatible one; when none fits, 0 if the need
    accepts a single mode (it left no room) and NEGOTIABLE_MODE if it lists several (brokers
    renegotiate the mode of such a need)."""
    need_mask, need_compatible, output_mask = np.broadcast_arrays(need_mask, need_compatible,
                                                                  output_mask)
    single = (need_mask & (need_mask - 1)) == 0  # one bit set
    value = np.where((need_mask & output_mask) != 0, 1.0,
                     np.where((need_compatible & output_mask) != 0, 0.7,
                              np.where(single, 0.0, NEGOTIABLE_MODE)))
    return np.where((need_mask == 0) | (output_mask == 0), NEUTRAL, value)


def price_fit(budget_max, price_min) -> np.ndarray:
    """1 when the asking price starts within the budget; budget/price when it is above."""
    budget_max, price_min = np.broadcast_arrays(budget_max, price_min)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(price_min <= budget_max, 1.0, budget_max / price_min)
    return np.where(np.isnan(budget_max) | np.isnan(price_min), NEUTRAL,
                    np.clip(np.nan_to_num(ratio, nan=NEUTRAL), 0.0, 1.0))


def region_fit(q_region, q_province, c_region, c_province) -> np.ndarray:
    """Local conversion bonus: same region 1, same province 0.5, otherwise 0."""
    q_region, q_province, c_region, c_province = np.broadcast_arrays(
        q_region, q_province, c_region, c_province)
    same_region = (q_region >= 0) & (q_region == c_region)
    same_province = (q_province >= 0) & (q_province == c_province)
    return np.where(same_region, 1.0, np.where(same_province, 0.5, 0.0))


def is_active_output(status: str) -> bool:
    return status not in EXCLUDED_OUTPUT_STATUSES


def is_active_need(status: str) -> bool:
    return status not in EXCLUDED_NEED_STATUSES
