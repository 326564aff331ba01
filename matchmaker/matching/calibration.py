"""Match quality: the matcher's raw score turned into a probability a broker can compare.

The raw score (engine.Matcher.score) ranks the candidates of one listing well, but its level
depends on the listing: a short need written in other words than the outputs scores 0.3 on
a textbook match, a long need full of the chains' keywords 0.6 on a loose one. The match
quality shown to users is instead the estimated probability that a broker would judge the
candidate usable (judged grade >= 1), from what the matcher knows about it in its list:

- ``score``: the raw score;
- ``best``: the best raw score of the candidate's list (how strong the listing's matches are
  at all: the same score means more under a need whose best match is strong);
- ``log_rank``: log of the candidate's rank in its list (1 = best).

A logistic regression on the standardised features gives the probability
(``Calibration.predict``). The signs of its coefficients are checked when fitting: the raw
score may not lower the quality and a worse rank may not raise it (``best`` is the same for
every candidate of a list, so it may go either way). Hence within a list the quality falls as
the rank gets worse, exactly in the ranking's order, and across lists a higher raw score at
the same place and with the same best never shows a lower quality. (An isotonic regression on
top was measured too: it calibrated slightly better on the fitted data but put the best
candidates at 100 %, which no judged data supports; bench/README.md, "Match quality".)

The parameters are fitted offline (``python -m bench.calibrate``, on development judgments
only) and shipped in ``data/calibration.json``: numbers only, no listing text.
"""
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "calibration.json"
FEATURES = ("score", "best", "log_rank")
# The direction each feature may move the quality: +1 never lowers it, -1 never raises it,
# 0 either (a property of the whole list, not of the candidate's place in it).
DIRECTIONS = {"score": 1, "best": 0, "log_rank": -1}
FORMAT = 1


def feature_row(score: float, best: float, rank: int) -> dict[str, float]:
    """Return the calibration features of a candidate with raw score at rank in a list whose
    best raw score is best."""
    score = max(0.0, float(score))
    best = max(score, float(best or 0.0))
    return {"score": score, "best": best, "log_rank": math.log(max(1, int(rank)))}


@dataclass(frozen=True)
class Calibration:
    """A fitted map from (raw score, list's best score, rank) to the probability of usable.

    Parameters
    ----------
    features : names of the features, in the order of coef, means and scales.
    coef, intercept, means, scales : the logistic regression on (x - mean) / scale.
    meta : how it was fitted (data, figures), for people; predict ignores it.
    """

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    meta: Mapping[str, object] = field(default_factory=dict, compare=False)

    def linear(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Return the linear predictor (log-odds) of feature rows (dicts of feature_row)."""
        x = np.array([[row[name] for name in self.features] for row in rows], dtype=float)
        x = x.reshape(len(rows), len(self.features))
        z = (x - np.asarray(self.means)) / np.asarray(self.scales)
        return z @ np.asarray(self.coef) + self.intercept

    def linear_form(self) -> tuple[float, dict[str, float]]:
        """Return (constant, weights): the log-odds are constant + Σ weights[f] · feature f
        (unstandardised), for callers that filter in SQL."""
        constant, weights = self.intercept, {}
        for name, c, m, s in zip(self.features, self.coef, self.means, self.scales):
            weights[name] = c / s
            constant -= c * m / s
        return constant, weights

    def predict_rows(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Return the probability of usable for every feature row."""
        if not rows:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.linear(rows)))

    def predict(self, score: float, best: float, rank: int) -> float:
        """Return the match quality (probability of usable, 0–1, 4 decimals) of one
        candidate: its raw score, its list's best raw score and its rank there."""
        return round(float(self.predict_rows([feature_row(score, best, rank)])[0]), 4)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "features": list(self.features), "coef": list(self.coef),
                "intercept": self.intercept, "means": list(self.means),
                "scales": list(self.scales), "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Calibration":
        """Return the calibration data describes (as to_dict writes it); ValueError if the
        data is of another format or not monotone."""
        if data.get("format") != FORMAT:
            raise ValueError(f"calibration format {data.get('format')!r}, expected {FORMAT}")
        calibration = cls(tuple(data["features"]), tuple(map(float, data["coef"])),
                          float(data["intercept"]), tuple(map(float, data["means"])),
                          tuple(map(float, data["scales"])), dict(data.get("meta") or {}))
        calibration.check()
        return calibration

    def check(self) -> None:
        """Raise ValueError unless the map is monotone in the documented directions."""
        unknown = set(self.features) - set(DIRECTIONS)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        if not len(self.features) == len(self.coef) == len(self.means) == len(self.scales):
            raise ValueError("features, coef, means and scales differ in length")
        for name, c in zip(self.features, self.coef):
            if c * DIRECTIONS[name] < 0:
                raise ValueError(f"coefficient of {name} has the wrong sign ({c})")
        if any(s <= 0 for s in self.scales):
            raise ValueError("scales must be positive")


def percent(quality: float) -> int:
    """Return a match quality as the whole percentage pages show: 1 to 99, since no judged
    data supports certainty either way."""
    return min(99, max(1, round(float(quality) * 100)))


def load(path: str | Path | None = None) -> Calibration:
    """Return the calibration stored at path (default: the packaged data/calibration.json)."""
    return Calibration.from_dict(json.loads(Path(path or DEFAULT_PATH).read_text("utf-8")))


_default: Calibration | None = None


def default() -> Calibration:
    """Return the packaged calibration, read once per process."""
    global _default
    if _default is None:
        _default = load()
    return _default


def fit(rows: Sequence[Mapping[str, float]], usable: Sequence[bool], *,
        features: Sequence[str] = FEATURES, regularisation: float = 1.0,
        meta: Mapping | None = None) -> Calibration:
    """Fit a calibration on feature rows (feature_row) and whether each was judged usable.

    Parameters
    ----------
    rows : one dict of features per judged candidate.
    usable : whether a broker would use it (judged grade >= 1).
    features : the features to use; one whose coefficient comes out against its direction
        (DIRECTIONS) is left out and the model refitted, so the result is always monotone.
    regularisation : inverse strength C of the logistic regression's l2 penalty.

    Returns
    -------
    The fitted Calibration (deterministic: same rows, same parameters).
    """
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(usable, dtype=int)
    if len(set(y.tolist())) < 2:
        raise ValueError("need usable and unusable examples to fit a calibration")
    features = list(features)
    while True:
        x = np.array([[row[name] for name in features] for row in rows], dtype=float)
        means, scales = x.mean(axis=0), x.std(axis=0)
        scales = np.where(scales > 0, scales, 1.0)
        model = LogisticRegression(C=regularisation).fit((x - means) / scales, y)
        coef = model.coef_[0]
        wrong = [name for name, c in zip(features, coef) if c * DIRECTIONS[name] < 0]
        if not wrong:
            break
        features.remove(wrong[0])
        if not features:
            raise ValueError("no feature moves the probability the right way")
    calibration = Calibration(
        tuple(features), tuple(round(float(c), 8) for c in coef),
        round(float(model.intercept_[0]), 8), tuple(round(float(m), 8) for m in means),
        tuple(round(float(s), 8) for s in scales), dict(meta or {}))
    calibration.check()
    return calibration


# --- reliability figures --------------------------------------------------------------------

def brier(p: Sequence[float], y: Sequence[bool]) -> float:
    """Return the mean squared difference of probabilities p and outcomes y."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def expected_calibration_error(p: Sequence[float], y: Sequence[bool], bins: int = 10) -> float:
    """Return the expected calibration error over equal-width bins of p."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    if not len(p):
        return float("nan")
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            error += chosen.mean() * abs(p[chosen].mean() - y[chosen].mean())
    return float(error)
