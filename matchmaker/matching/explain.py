"""Explanations: which rules fired, the shared terms, and what would make a pair fit."""
import numpy as np

from matchmaker.domain import TransferMode
from matchmaker.matching import config, rules
from matchmaker.matching.terms import MIN_PROFILES, term_filter

# English names of the modes for explanations (the UI translates through matchmaker.labels).
MODE_NAMES = {TransferMode.ASSIGNMENT: "assignment", TransferMode.LICENCE: "a licence",
              TransferMode.EXCLUSIVE_LICENCE: "an exclusive licence",
              TransferMode.EQUITY: "equity contribution",
              TransferMode.PAY_LATER: "use first, pay later",
              TransferMode.RIGHTS_TRANSFER: "rights transfer",
              TransferMode.INVEST_THEN_EQUITY: "invest first, equity later",
              TransferMode.CUSTODY: "technology custody", TransferMode.JOINT_RD: "joint R&D"}
# Hints are given for pairs whose relevance is at least this: it is worth fixing the fit.
HINT_RELEVANCE = 0.25


def _guess_dict(guess) -> dict:
    return {"chain": guess.chain, "segment": guess.segment, "confidence": guess.confidence,
            "source": guess.source}


def shared_terms(matcher, q_row, c_row, limit: int = config.SHARED_TERMS) -> list[str]:
    """Return the specific terms that contribute most to the text similarity of two rows.

    A broker repeats these to the enterprise: 技术, 两个 or 30°c say nothing, so only terms that
    terms.TermFilter finds specific are named, fewer than limit (or none) when fewer are shared.
    """
    common, q_at, c_at = np.intersect1d(q_row.indices, c_row.indices, assume_unique=True,
                                        return_indices=True)
    if common.size == 0:
        return []
    contribution = q_row.data[q_at] * c_row.data[c_at]
    order = np.lexsort((common, -contribution))
    allowed = term_filter(matcher.analyzer_, matcher.chains_)
    channel = matcher.words_
    enough = channel.n >= MIN_PROFILES  # document frequencies of a handful of profiles mislead
    named = []
    for i in order:
        column = common[i]
        share = float(channel.df[column]) / channel.n if enough else None
        if allowed.is_specific(str(matcher.terms_[column]), share):
            named.append(matcher.analyzer_.display(str(matcher.terms_[column])))
            if len(named) == limit:
                break
    return named


def _modes_text(modes) -> str:
    return " or ".join(MODE_NAMES.get(m, m) for m in modes) or "—"


def _chain_rules(matcher, need_guess, output_guess) -> list[dict]:
    if need_guess.chain is None or output_guess.chain is None:
        return [{"code": "chain_unknown"}]
    if need_guess.chain != output_guess.chain:
        return [{"code": "other_chain", "need": need_guess.chain, "output": output_guess.chain}]
    distance = matcher.chains_.segment_distance(need_guess.chain, need_guess.segment,
                                                output_guess.segment)
    if distance == 0:
        return [{"code": "same_segment", "chain": need_guess.chain,
                 "segment": need_guess.segment}]
    if distance == 1:
        return [{"code": "adjacent_segment", "chain": need_guess.chain,
                 "need_segment": need_guess.segment, "output_segment": output_guess.segment}]
    return [{"code": "same_chain", "chain": need_guess.chain}]


def _fit_rules(need, output) -> tuple[list[dict], list[dict]]:
    """Return the business rules that fired and the hints that would make the pair fit."""
    fired, hints = [], []
    if need.min_trl and output.trl:
        if output.trl >= need.min_trl:
            fired.append({"code": "trl_ok", "trl": output.trl, "required": need.min_trl})
        else:
            gap = need.min_trl - output.trl
            step = "a pilot line (中试)" if gap <= 2 else "further development and a pilot line"
            fired.append({"code": "trl_gap", "trl": output.trl, "required": need.min_trl})
            hints.append({"code": "trl_gap", "trl": output.trl, "required": need.min_trl,
                          "gap": gap, "step": "pilot" if gap <= 2 else "development",
                          "message": f"TRL {output.trl} < required {need.min_trl}: needs {step}"})
    if need.modes and output.modes:
        wanted, offered = set(need.modes), set(output.modes)
        compatible = {m for w in wanted for m in rules.COMPATIBLE.get(w, ())}
        if wanted & offered:
            fired.append({"code": "mode_match", "modes": sorted(wanted & offered)})
        elif compatible & offered:
            fired.append({"code": "mode_compatible", "modes": sorted(compatible & offered)})
        else:
            fired.append({"code": "mode_mismatch"})
            hints.append({"code": "mode_mismatch", "offered": list(output.modes),
                          "wanted": list(need.modes),
                          "message": f"offers {_modes_text(output.modes)} only; the need wants "
                                     f"{_modes_text(need.modes)}"})
    if need.budget_max is not None and output.price_min is not None:
        if output.price_min <= need.budget_max:
            fired.append({"code": "price_within_budget"})
        else:
            fired.append({"code": "price_over_budget"})
            hints.append({"code": "price_over_budget", "price_min": output.price_min,
                          "budget_max": need.budget_max,
                          "message": f"asking price from {output.price_min:g} 万元 exceeds the "
                                     f"budget of {need.budget_max:g} 万元"})
    return fired, hints


def explain_pair(matcher, need, output, need_guess, output_guess, parts: dict, q_row, c_row) -> dict:
    """Build the explanation of one need–output pair."""
    fired = _chain_rules(matcher, need_guess, output_guess)
    fit_rules, hints = _fit_rules(need, output)
    fired += fit_rules
    if parts.get("region", 0) >= 1.0:
        fired.append({"code": "local_conversion", "region": need.region})
    elif parts.get("region", 0) > 0:
        fired.append({"code": "same_province"})
    if parts.get("relevance", 0) < HINT_RELEVANCE:
        hints = []
    return {
        "components": {k: v for k, v in parts.items() if k != "relevance"},
        "relevance": parts.get("relevance"),
        "rules": fired,
        "shared_terms": shared_terms(matcher, q_row, c_row),
        "need_chain": _guess_dict(need_guess),
        "output_chain": _guess_dict(output_guess),
        "hints": hints,
    }
