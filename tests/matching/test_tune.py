"""Learning the matcher's weights from feedback (matchmaker.matching.tune): pure, no database."""
import numpy as np
import pytest

from matchmaker.domain import DeclineReason
from matchmaker.matching import Matcher, config
from matchmaker.matching.tune import (
    FIT_KEYS,
    MIN_EXAMPLES,
    Example,
    TooLittleFeedbackError,
    combine,
    fit_weights,
    format_report,
    informative_needs,
    quality,
    split_needs,
    tune,
)

DEFAULTS = config.DEFAULT_WEIGHTS


def _random_parts(rng) -> dict:
    parts = {k: float(rng.uniform()) for k in ("text", "chain", "trl", "mode", "region")}
    # Half the candidates are within budget (price part 1), the others over it.
    parts["price"] = 1.0 if rng.uniform() < 0.5 else float(rng.uniform(0.05, 0.95))
    return parts


def _feedback(truth: dict, *, needs=40, per_need=12, top=4, seed=0,
              reason=lambda parts: DeclineReason.NOT_OUR_FIELD) -> list[Example]:
    """Candidates with random parts; the top of each need under truth is relevant, the rest
    declined with reason(parts)."""
    rng = np.random.default_rng(seed)
    examples = []
    for need in range(needs):
        group = [_random_parts(rng) for _ in range(per_need)]
        scores = combine({k: np.array([p[k] for p in group]) for k in group[0]}, truth)
        best = set(np.argsort(-scores)[:top].tolist())
        examples += [Example(need, i, p, i in best, None if i in best else reason(p))
                     for i, p in enumerate(group)]
    return examples


def _fit_share_of(weights: dict, key: str) -> float:
    return weights[key] / sum(weights[k] for k in FIT_KEYS)


def _price_reason(parts: dict) -> str:
    return DeclineReason.PRICE if parts["price"] < 1 else DeclineReason.NOT_OUR_FIELD


PRICE_TRUTH = {**DEFAULTS, "trl": 0.05, "mode": 0.05, "price": 0.85, "region": 0.05,
               "fit_share": 0.7}


def test_combine_scores_parts_as_the_engine_does():
    rng = np.random.default_rng(3)
    parts = {k: rng.uniform(size=50) for k in ("text", "chain", "trl", "mode", "price", "region")}
    weights = {**DEFAULTS, "price": 0.7, "fit_share": 0.55, "chain": 0.4}
    matcher = Matcher(weights=weights)
    matcher.weights_ = {**DEFAULTS, **weights}  # what fit sets; score needs nothing else
    assert np.allclose(combine(parts, weights), matcher.score(parts))


def test_tune_refuses_too_little_feedback():
    examples = _feedback(PRICE_TRUTH, needs=4, per_need=10)
    assert len(examples) < MIN_EXAMPLES
    with pytest.raises(TooLittleFeedbackError, match="too little feedback"):
        tune(examples, DEFAULTS)


def test_tune_refuses_many_pairs_over_too_few_needs():
    examples = _feedback(PRICE_TRUTH, needs=5, per_need=30)
    assert len(examples) >= MIN_EXAMPLES
    with pytest.raises(TooLittleFeedbackError):
        tune(examples, DEFAULTS)


def test_declines_for_price_over_budget_raise_the_price_weight_and_are_applied():
    report = tune(_feedback(PRICE_TRUTH, reason=_price_reason), DEFAULTS)
    assert _fit_share_of(report.after, "price") > _fit_share_of(report.before, "price")
    assert report.quality_after.ndcg > report.quality_before.ndcg
    assert report.apply


def test_the_reason_of_a_decline_decides_which_weight_it_pushes():
    # The same verdicts on the same pairs; only the named component differs (both reasons say
    # the topic was right, so the relevance stage sees the same pairs).
    def mode_reason(parts):
        return DeclineReason.TRANSFER_MODE if parts["price"] < 1 else DeclineReason.NOT_OUR_FIELD

    for_price = fit_weights(_feedback(PRICE_TRUTH, reason=_price_reason), DEFAULTS)[0]
    for_mode = fit_weights(_feedback(PRICE_TRUTH, reason=mode_reason), DEFAULTS)[0]
    assert _fit_share_of(for_price, "price") > _fit_share_of(for_mode, "price")
    assert _fit_share_of(for_mode, "mode") > _fit_share_of(for_price, "mode")


def test_feedback_that_the_current_weights_already_explain_is_not_applied():
    report = tune(_feedback(DEFAULTS), DEFAULTS)
    assert report.quality_before.ndcg == pytest.approx(1.0)  # the truth orders perfectly
    assert not report.apply
    assert "kept" in report.verdict


def test_declines_as_not_our_field_on_weak_chains_raise_the_chain_weight():
    truth = {**DEFAULTS, "text": 0.3, "chain": 0.7, "fit_share": 0.0}
    weights = fit_weights(_feedback(truth), DEFAULTS)[0]
    assert weights["chain"] / (weights["text"] + weights["chain"]) > \
        DEFAULTS["chain"] / (DEFAULTS["text"] + DEFAULTS["chain"])


def test_split_holds_out_whole_needs_reproducibly():
    examples = _feedback(PRICE_TRUTH)
    train, test = split_needs(examples, seed=1)
    assert {e.need_id for e in train}.isdisjoint({e.need_id for e in test})
    assert len(train) + len(test) == len(examples)
    assert split_needs(examples, seed=1) == (train, test)
    assert split_needs(examples, seed=2) != (train, test)


def test_quality_counts_only_needs_with_both_verdicts():
    examples = _feedback(DEFAULTS, needs=3, per_need=5)
    examples += [Example("only-relevant", 1, examples[0].parts, True)]
    q = quality(examples, DEFAULTS)
    assert q.needs == 3 and "only-relevant" not in informative_needs(examples)
    assert q.pairs == 3 * 4 * 1  # four relevant × one declined per need


def test_report_shows_weights_and_held_out_figures():
    report = tune(_feedback(PRICE_TRUTH, reason=_price_reason), DEFAULTS)
    text = format_report(report)
    assert "price vs budget" in text and "NDCG@10" in text
    assert f"{report.quality_before.ndcg:.4f} → {report.quality_after.ndcg:.4f}" in text
    assert report.as_dict()["after"] == report.after
