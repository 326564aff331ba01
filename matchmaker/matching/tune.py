"""Learn the matcher's component weights from brokers' recorded feedback (`flask match tune`).

Pure: no Flask, no database. The caller hands over one Example per judged (need, output) pair:
the pair's component scores as the matcher computed them (StoredMatch.parts), the verdict and,
for a decline, its reason (domain.DeclineReason).

How the score is built (engine.Matcher.score, mirrored by `combine`)::

    relevance = (w_text·text + w_chain·chain) / (w_text + w_chain)
    fit       = Σ_k w_k·part_k / Σ_k w_k            k ∈ trl, mode, price, region
    score     = relevance · (1 − fit_share + fit_share · fit)

Rankings do not change when the text/chain pair or the four fit weights are scaled together, so
the learnable quantities are the text share of relevance, the four fit proportions and
fit_share. Expanding the product gives a score that is *linear* in non-negative coefficients
once relevance is known::

    score = c_0 · relevance + Σ_k c_k · relevance·part_k
    with  c_0 = 1 − fit_share,  c_k = fit_share · w_k / Σ w

so fit_share = Σc_k / (c_0 + Σc_k) and w_k ∝ c_k. That is what makes a well-kept linear learner
usable here.

The learner is scikit-learn's LogisticRegression on *pairwise differences* (RankNet / RankSVM
style, no intercept): for every need, each (relevant, declined) pair of its candidates is one
example "the first should score above the second". Pairwise rather than pointwise because only
the order of a need's candidates matters and needs differ in how well anything scores; a
pointwise classifier would spend its capacity on that. Coefficients must stay non-negative (the
matcher has no negative weights): a coefficient fitted below zero is fixed at zero and the rest
refitted (an active set, as in NNLS), so a component the feedback contradicts gets weight 0
rather than a sign the matcher cannot express. Features are scaled to unit spread before the
fit (the L2 penalty then treats components alike) and the coefficients scaled back.

Two stages, and what the decline reasons do (REASON_COMPONENT):

1. Relevance (text vs chain). A decline for a business reason (too early → TRL, price, transfer
   mode) says the *topic* was right, so such a pair counts as topically relevant here, like a
   "relevant" verdict; "not our field" is the topical negative. Reasons that name no component
   (benefit or route unclear, description unclear, other) stay out of this stage.
2. Business fit (fit_share and the four fit weights), with relevance from stage 1: every
   (relevant, declined) pair of a need, weighted so that each declined example counts once in
   total however many relevant neighbours it has. In addition, a decline whose reason names a
   component r adds one "counterfactual" pair: the pair as it is should score below the same
   pair with r satisfied (part_r = 1). Its difference is relevance·(1 − part_r) on r's column
   alone, so the reason pushes exactly r's weight, in proportion to how far the matcher already
   saw the problem; when the matcher knew nothing (part_r neutral or 1) it teaches little or
   nothing, as it should: no weight would have helped.

Judging the result (`tune`): the needs with both verdicts are split (seeded) into a training
and a held-out part; the weights are fitted on the training part only and the *same* weights
are judged on the held-out part, by NDCG@10 of each held-out need's judged candidates ordered
by score (relevant = 1, declined = 0) and by pairwise accuracy. "Apply" requires a mean NDCG@10
gain of at least MIN_GAIN *and* a paired bootstrap over held-out needs (BOOTSTRAP resamples,
seeded) whose 5th percentile gain is above zero: a gain smaller than the spread between needs is
noise. With fewer than MIN_EXAMPLES usable verdicts or MIN_NEEDS needs with both verdicts, tuning
refuses (TooLittleFeedbackError): a handful of verdicts would move the weights on anecdotes.

Limits: the held-out figure re-ranks candidates that were shown and judged; new weights also
change which candidates enter a top 10, which no recorded feedback can judge.
"""
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

from matchmaker.domain import DeclineReason
from matchmaker.matching import config
from matchmaker.matching.engine import id_key
from matchmaker.matching.evaluate import ndcg

FIT_KEYS = ("trl", "mode", "price", "region")
PART_KEYS = ("text", "chain", *FIT_KEYS)
RELEVANCE = "relevance"
# The component a decline reason holds responsible (None: the reason names no component).
REASON_COMPONENT: dict[str, str | None] = {
    DeclineReason.TOO_EARLY: "trl",
    DeclineReason.PRICE: "price",
    DeclineReason.TRANSFER_MODE: "mode",
    DeclineReason.NOT_OUR_FIELD: RELEVANCE,
    DeclineReason.BENEFIT_UNCLEAR: None,
    DeclineReason.COMMERCIAL_ROUTE_UNCLEAR: None,
    DeclineReason.DESCRIPTION_UNCLEAR: None,
    DeclineReason.OTHER: None,
}
MIN_EXAMPLES = 60  # usable verdicts (pairs with stored parts)
MIN_NEEDS = 10  # needs with at least one relevant and one declined candidate
MIN_STAGE_PAIRS = 20  # pairwise examples below which a stage keeps the current weights
HELD_OUT_SHARE = 0.3
MIN_GAIN = 0.005  # mean held-out NDCG@10 gain required to apply
BOOTSTRAP = 2000
CONFIDENCE = 0.95  # the bootstrap's lower percentile is 1 − CONFIDENCE
C = 1.0  # inverse L2 strength of the logistic regressions (features at unit spread)
DIGITS = 4


class TooLittleFeedbackError(ValueError):
    """There is not enough feedback to learn weights from honestly."""


@dataclass(frozen=True)
class Example:
    """One judged pair: the matcher's component scores, the verdict and a decline's reason."""

    need_id: Hashable
    output_id: Hashable
    parts: Mapping[str, float]
    is_relevant: bool
    reason: str | None = None


@dataclass(frozen=True)
class Quality:
    """How well weights order the judged candidates of some needs."""

    ndcg: float
    pairwise: float
    needs: int
    pairs: int
    per_need: Mapping[Hashable, float] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TuneReport:
    """The outcome of one tuning: counts, weights before/after, held-out quality, decision."""

    examples: int
    relevant: int
    declined: int
    reasons: Mapping[str, int]
    train_needs: int
    held_out_needs: int
    before: Mapping[str, float]
    after: Mapping[str, float]
    quality_before: Quality
    quality_after: Quality
    gain: float
    gain_low: float
    apply: bool
    verdict: str
    stages: Mapping[str, str]

    def as_dict(self) -> dict:
        """Return the report as plain JSON-ready values (for the weights history)."""
        def quality(q: Quality) -> dict:
            return {"ndcg@10": q.ndcg, "pairwise": q.pairwise, "needs": q.needs, "pairs": q.pairs}

        return {"examples": self.examples, "relevant": self.relevant, "declined": self.declined,
                "reasons": dict(self.reasons), "train_needs": self.train_needs,
                "held_out_needs": self.held_out_needs, "before": dict(self.before),
                "after": dict(self.after), "held_out_before": quality(self.quality_before),
                "held_out_after": quality(self.quality_after), "gain": self.gain,
                "gain_low": self.gain_low, "apply": self.apply, "verdict": self.verdict,
                "stages": dict(self.stages)}


# --- the score, as the engine computes it ------------------------------------------------------

def full_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return weights with every key of config.DEFAULT_WEIGHTS (missing ones at the default)."""
    return {**config.DEFAULT_WEIGHTS, **(weights or {})}


def _matrix(examples: Sequence[Example]) -> dict[str, np.ndarray]:
    return {k: np.array([float(e.parts.get(k, 0.5)) for e in examples]) for k in PART_KEYS}


def relevance(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Return the matcher's relevance (text and chain mixed) of the given parts."""
    w = full_weights(weights)
    return (w["text"] * parts["text"] + w["chain"] * parts["chain"]) / (w["text"] + w["chain"])


def combine(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Return the matcher's score of the given parts under weights (engine.Matcher.score)."""
    w = full_weights(weights)
    fit = sum(w[k] * parts[k] for k in FIT_KEYS) / sum(w[k] for k in FIT_KEYS)
    return relevance(parts, w) * (1 - w["fit_share"] + w["fit_share"] * fit)


# --- quality on judged candidates --------------------------------------------------------------

def _by_need(examples: Sequence[Example]) -> dict[Hashable, list[Example]]:
    grouped: dict[Hashable, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.need_id].append(example)
    return grouped


def informative_needs(examples: Sequence[Example]) -> list[Hashable]:
    """Return the needs with at least one relevant and one declined candidate, sorted."""
    return sorted((need for need, group in _by_need(examples).items()
                   if len({e.is_relevant for e in group}) == 2), key=id_key)


def quality(examples: Sequence[Example], weights: Mapping[str, float]) -> Quality:
    """Return NDCG@10 and pairwise accuracy of weights on the needs with both verdicts."""
    per_need, right, pairs = {}, 0.0, 0
    groups = _by_need(examples)
    for need in informative_needs(examples):
        group = groups[need]
        scores = np.round(combine(_matrix(group), weights), 6)
        order = sorted(range(len(group)), key=lambda i: (-scores[i], id_key(group[i].output_id)))
        grades = {group[i].output_id: int(group[i].is_relevant) for i in range(len(group))}
        per_need[need] = ndcg([group[i].output_id for i in order], grades)
        good = scores[[e.is_relevant for e in group]]
        bad = scores[[not e.is_relevant for e in group]]
        diff = good[:, None] - bad[None, :]
        right += float((diff > 0).sum() + 0.5 * (diff == 0).sum())
        pairs += diff.size
    mean = float(np.mean(list(per_need.values()))) if per_need else 0.0
    return Quality(round(mean, DIGITS), round(right / pairs, DIGITS) if pairs else 0.0,
                   len(per_need), pairs, per_need)


# --- the learner --------------------------------------------------------------------------------

def _nonnegative_pairwise(diffs: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Fit a no-intercept logistic regression on pairwise differences ("first above second")
    with non-negative coefficients; return them (None when every one came out ≤ 0)."""
    scale = np.sqrt(np.average(diffs ** 2, axis=0, weights=weights))
    active = np.flatnonzero(scale > 1e-9)
    coef = np.zeros(diffs.shape[1])
    while active.size:
        x = diffs[:, active] / scale[active]
        model = LogisticRegression(fit_intercept=False, C=C, max_iter=1000)
        model.fit(np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))],
                  sample_weight=np.r_[weights, weights])
        fitted = model.coef_.ravel() / scale[active]
        if (fitted >= 0).all():
            coef[active] = fitted
            return coef if coef.sum() > 0 else None
        active = np.delete(active, np.argmin(fitted))  # fix the most negative at zero
    return None


def _pairs(groups, is_positive, is_negative, features) -> tuple[np.ndarray, np.ndarray]:
    """Return the difference rows (positive − negative, within a need) and their weights: each
    negative example weighs 1 in total, spread over its positive neighbours."""
    rows, weights = [], []
    for group in groups.values():
        pos = [i for i, e in enumerate(group) if is_positive(e)]
        neg = [i for i, e in enumerate(group) if is_negative(e)]
        if not pos or not neg:
            continue
        x = features(group)
        for j in neg:
            rows.append(x[pos] - x[j])
            weights.append(np.full(len(pos), 1.0 / len(pos)))
    if not rows:
        return np.zeros((0, 0)), np.zeros(0)
    return np.vstack(rows), np.concatenate(weights)


def _component(example: Example) -> str | None:
    return None if example.is_relevant else REASON_COMPONENT.get(example.reason or "")


def _fit_relevance(groups, weights: dict, stages: dict) -> dict:
    def topical(e: Example) -> bool:
        return e.is_relevant or _component(e) in FIT_KEYS

    def features(group):
        m = _matrix(group)
        return np.column_stack([m["text"], m["chain"]])

    diffs, pair_weights = _pairs(groups, topical, lambda e: _component(e) == RELEVANCE, features)
    if len(diffs) < MIN_STAGE_PAIRS:
        stages["relevance"] = f"kept: {len(diffs)} topical pairs"
        return weights
    coef = _nonnegative_pairwise(diffs, pair_weights)
    if coef is None:
        stages["relevance"] = "kept: no component ordered the pairs"
        return weights
    total = weights["text"] + weights["chain"]
    stages["relevance"] = f"fitted on {len(diffs)} topical pairs"
    return {**weights, "text": total * coef[0] / coef.sum(), "chain": total * coef[1] / coef.sum()}


def _fit_business(groups, weights: dict, stages: dict) -> dict:
    def features(group):
        m = _matrix(group)
        rel = relevance(m, weights)
        return np.column_stack([rel, *(rel * m[k] for k in FIT_KEYS)])

    diffs, pair_weights = _pairs(groups, lambda e: e.is_relevant, lambda e: not e.is_relevant,
                                 features)
    counterfactual, reasons = [], 0
    for group in groups.values():
        x = features(group)
        for i, e in enumerate(group):
            key = _component(e)
            if key in FIT_KEYS and e.parts.get(key, 0.5) < 1.0:
                row = np.zeros(1 + len(FIT_KEYS))
                row[1 + FIT_KEYS.index(key)] = x[i, 0] * (1.0 - e.parts.get(key, 0.5))
                counterfactual.append(row)
                reasons += 1
    if counterfactual:
        diffs = np.vstack([diffs.reshape(-1, 1 + len(FIT_KEYS)), counterfactual])
        pair_weights = np.r_[pair_weights, np.ones(len(counterfactual))]
    if len(diffs) < MIN_STAGE_PAIRS:
        stages["business"] = f"kept: {len(diffs)} pairs"
        return weights
    coef = _nonnegative_pairwise(diffs, pair_weights)
    if coef is None:
        stages["business"] = "kept: no component ordered the pairs"
        return weights
    stages["business"] = (f"fitted on {len(diffs) - reasons} ranked pairs and {reasons} "
                          f"decline reasons")
    fit_total, fit_sum = sum(weights[k] for k in FIT_KEYS), coef[1:].sum()
    if fit_sum <= 0:
        return {**weights, "fit_share": 0.0}
    return {**weights, "fit_share": fit_sum / coef.sum(),
            **{k: fit_total * coef[1 + i] / fit_sum for i, k in enumerate(FIT_KEYS)}}


def fit_weights(examples: Sequence[Example], weights: Mapping[str, float] | None = None,
                ) -> tuple[dict[str, float], dict[str, str]]:
    """Learn the matcher's weights from examples, starting from weights.

    Parameters
    ----------
    examples : judged pairs with their component scores.
    weights : the current weights (missing keys: config.DEFAULT_WEIGHTS); a stage with too
        little evidence keeps its part of them.

    Returns
    -------
    (weights, stages) : the learnt weights (every key, rounded) and, per stage, what it did.
    """
    stages: dict[str, str] = {}
    groups = _by_need(examples)
    learnt = _fit_relevance(groups, full_weights(weights), stages)
    learnt = _fit_business(groups, learnt, stages)
    return {k: round(float(v), DIGITS) for k, v in learnt.items()}, stages


# --- split, judge, decide ----------------------------------------------------------------------

def split_needs(examples: Sequence[Example], *, held_out: float = HELD_OUT_SHARE,
                seed: int = 0) -> tuple[list[Example], list[Example]]:
    """Split examples by need (seeded): a share of the needs with both verdicts is held out;
    every other need trains."""
    needs = informative_needs(examples)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(needs))
    held = {needs[i] for i in order[:max(1, math.ceil(held_out * len(needs)))]}
    return ([e for e in examples if e.need_id not in held],
            [e for e in examples if e.need_id in held])


def bootstrap_low(gains: Sequence[float], *, seed: int = 0, resamples: int = BOOTSTRAP,
                  confidence: float = CONFIDENCE) -> float:
    """Return the (1 − confidence) percentile of the mean gain over needs resampled with
    replacement (a paired bootstrap: each need's before and after stay together)."""
    gains = np.asarray(gains, dtype=float)
    if gains.size == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    means = gains[rng.integers(0, gains.size, (resamples, gains.size))].mean(axis=1)
    return float(np.quantile(means, 1 - confidence))


def check_enough(examples: Sequence[Example]) -> None:
    """Raise TooLittleFeedbackError unless examples are enough to learn from."""
    needs = len(informative_needs(examples))
    if len(examples) < MIN_EXAMPLES or needs < MIN_NEEDS:
        raise TooLittleFeedbackError(
            f"too little feedback to tune: {len(examples)} judged pairs with stored scores over "
            f"{needs} needs that have both a relevant and a declined candidate; tuning needs at "
            f"least {MIN_EXAMPLES} pairs and {MIN_NEEDS} such needs")


def tune(examples: Sequence[Example], weights: Mapping[str, float] | None = None, *,
         seed: int = 0, held_out: float = HELD_OUT_SHARE) -> TuneReport:
    """Fit weights on part of the feedback, judge them on the rest and decide whether to apply.

    Parameters
    ----------
    examples : every judged pair with its component scores.
    weights : the weights the matcher uses now (missing keys: config.DEFAULT_WEIGHTS).
    seed : seeds the split by need and the bootstrap.
    held_out : share of the needs with both verdicts held out for judging.

    Returns
    -------
    TuneReport; apply is True only when the new weights beat the current ones on held-out needs
    by at least MIN_GAIN and the bootstrap's lower bound of the gain is above zero.

    Raises TooLittleFeedbackError when there is too little feedback (check_enough).
    """
    examples = list(examples)
    check_enough(examples)
    before = {k: round(float(v), DIGITS) for k, v in full_weights(weights).items()}
    train, test = split_needs(examples, held_out=held_out, seed=seed)
    after, stages = fit_weights(train, before)
    q_before, q_after = quality(test, before), quality(test, after)
    gains = [q_after.per_need[n] - q_before.per_need[n] for n in q_before.per_need]
    gain = float(np.mean(gains)) if gains else 0.0
    low = bootstrap_low(gains, seed=seed)
    apply = gain >= MIN_GAIN and low > 0 and after != before
    if apply:
        verdict = "the new weights win on held-out feedback"
    elif gain < MIN_GAIN:
        verdict = f"no gain of at least {MIN_GAIN} NDCG@10 on held-out feedback: weights kept"
    else:
        verdict = "the gain is within noise (bootstrap lower bound ≤ 0): weights kept"
    reasons = Counter(e.reason or "" for e in examples if not e.is_relevant)
    relevant = sum(e.is_relevant for e in examples)
    return TuneReport(
        examples=len(examples), relevant=relevant, declined=len(examples) - relevant,
        reasons=dict(reasons.most_common()),
        train_needs=len(informative_needs(train)), held_out_needs=q_before.needs,
        before=before, after=after, quality_before=q_before, quality_after=q_after,
        gain=round(gain, DIGITS), gain_low=round(low, DIGITS), apply=apply, verdict=verdict,
        stages=stages)


# --- the report, in the operator's terms ---------------------------------------------------------

WEIGHT_LABELS = {"text": "text similarity", "chain": "sector chain", "trl": "maturity (TRL)",
                 "mode": "transfer mode", "price": "price vs budget", "region": "same region",
                 "fit_share": "share of business fit"}


def format_report(report: TuneReport) -> str:
    """Return the report as the lines `flask match tune` prints."""
    reasons = ", ".join(f"{reason} {count}" for reason, count in report.reasons.items()) or "none"
    b, a = report.quality_before, report.quality_after
    lines = [
        (f"Feedback: {report.examples} judged pairs with stored scores ({report.relevant} "
        f"relevant, {report.declined} declined; reasons: {reasons})."),
        (f"Needs with both verdicts: {report.train_needs} to learn from, "
        f"{report.held_out_needs} held out to judge."),
        *(f"  {stage}: {what}" for stage, what in report.stages.items()),
        "",
        f"{'weight':24}{'now':>8}{'learnt':>8}",
        *(f"{WEIGHT_LABELS.get(k, k):24}{report.before[k]:8.3f}{report.after[k]:8.3f}"
          for k in report.before),
        "",
        f"Held-out needs ({b.needs}, {b.pairs} relevant/declined pairs):",
        (f"  NDCG@10 of the judged candidates  {b.ndcg:.4f} → {a.ndcg:.4f} "
        f"(gain {report.gain:+.4f}; 95 % bootstrap lower bound {report.gain_low:+.4f})"),
        f"  relevant ranked above declined    {b.pairwise:.1%} → {a.pairwise:.1%}",
        f"Decision: {report.verdict}.",
    ]
    return "\n".join(lines)
