"""Tuning on feedback simulated from the seed (dev) judgments (bench/tune_feedback.py)."""
import pytest

from bench.tune_feedback import shown_pairs, simulate, simulated_reason
from matchmaker.domain import DeclineReason
from matchmaker.matching import config
from matchmaker.matching.tune import FIT_KEYS, quality, split_needs, tune


@pytest.fixture(scope="module")
def pairs():
    return shown_pairs()


def test_simulated_declines_name_the_weakest_component():
    parts = {"text": 0.6, "chain": 0.5, "trl": 0.25, "mode": 1.0, "price": 0.5, "region": 0.0}
    assert simulated_reason(parts) == DeclineReason.TOO_EARLY
    assert simulated_reason({**parts, "text": 0.1}) == DeclineReason.NOT_OUR_FIELD


def test_simulation_follows_the_grades(pairs):
    examples = simulate(pairs)
    assert [e.is_relevant for e in examples] == [grade >= 1 for *_, grade, _ in pairs]
    assert all(e.reason for e in examples if not e.is_relevant)


def test_tuning_on_dev_feedback_reports_held_out_before_and_after(pairs):
    examples = simulate(pairs)
    report = tune(examples, config.DEFAULT_WEIGHTS)
    _, held_out = split_needs(examples)
    assert report.before == config.DEFAULT_WEIGHTS
    assert report.quality_before == quality(held_out, report.before)
    assert report.quality_after == quality(held_out, report.after)
    assert report.examples == len(examples) and report.held_out_needs > 0
    gain = report.quality_after.ndcg - report.quality_before.ndcg
    # Applied exactly when the held-out gain is real (not for a loss or a tie).
    assert report.apply == (report.gain >= 0.005 and report.gain_low > 0)
    assert not report.apply or gain > 0


def test_dev_feedback_declined_for_price_over_budget_moves_the_price_weight_up(pairs):
    report = tune(simulate(pairs, favour="price"), config.DEFAULT_WEIGHTS)

    def price_share(w):
        return w["price"] / sum(w[k] for k in FIT_KEYS)

    assert price_share(report.after) > price_share(report.before)
    assert report.quality_after.pairwise > report.quality_before.pairwise


def test_as_posted_simulation_declines_lowered_pairs_for_a_business_reason():
    pairs = shown_pairs(as_posted=True)
    lowered = [i for i, (*_, grade, technical) in enumerate(pairs) if grade < 1 <= technical]
    assert lowered  # the as-posted grades lower some shown pairs
    examples = simulate(pairs)
    business = {DeclineReason.TOO_EARLY, DeclineReason.TRANSFER_MODE, DeclineReason.PRICE}
    assert all(examples[i].reason in business for i in lowered)
