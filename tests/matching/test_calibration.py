"""The match-quality calibration: monotone, reproducible from its JSON, fitted deterministically."""
import json
import math
import random

import pytest

from matchmaker.matching import calibration
from matchmaker.matching.calibration import Calibration, feature_row


def _synthetic(seed: int = 7, n: int = 600):
    """Lists of ten candidates whose chance of being usable rises with the score."""
    rng = random.Random(seed)
    rows, usable = [], []
    for _ in range(n // 10):
        best = rng.uniform(0.2, 0.8)
        scores = sorted((best * rng.uniform(0.4, 1.0) for _ in range(9)), reverse=True)
        for rank, score in enumerate([best, *scores], start=1):
            rows.append(feature_row(score, best, rank))
            usable.append(rng.random() < min(1.0, score * 1.2))
    return rows, usable


def test_packaged_calibration_loads_and_is_monotone():
    packaged = calibration.load()
    assert set(packaged.features) <= set(calibration.DIRECTIONS)
    packaged.check()  # raises if a coefficient goes against its direction


@pytest.mark.parametrize("best", [0.2, 0.45, 0.8])
def test_quality_never_falls_as_the_raw_score_rises(best):
    packaged = calibration.load()
    values = [packaged.predict(best * k / 20, best, 3) for k in range(21)]
    assert values == sorted(values)
    assert values[-1] > values[0]


def test_quality_falls_down_a_list_in_the_ranking_order():
    packaged = calibration.load()
    best = 0.5
    scores = [0.5, 0.48, 0.45, 0.41, 0.40, 0.33, 0.30, 0.29, 0.21, 0.2]
    values = [packaged.predict(s, best, rank) for rank, s in enumerate(scores, start=1)]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]


def test_quality_is_a_probability():
    packaged = calibration.load()
    for score in (0.0, 0.05, 0.3, 0.7, 1.0):
        assert 0.0 <= packaged.predict(score, max(score, 0.3), 1) <= 1.0


def test_packaged_values_follow_from_the_json_parameters_alone():
    data = json.loads(calibration.DEFAULT_PATH.read_text(encoding="utf-8"))
    row = feature_row(0.31, 0.52, 4)
    z = data["intercept"] + sum(c * (row[name] - m) / s for name, c, m, s in zip(
        data["features"], data["coef"], data["means"], data["scales"]))
    assert calibration.load().predict(0.31, 0.52, 4) == round(1 / (1 + math.exp(-z)), 4)


def test_fit_is_reproducible_and_round_trips_through_json(tmp_path):
    rows, usable = _synthetic()
    first, second = calibration.fit(rows, usable), calibration.fit(rows, usable)
    assert first == second
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(first.to_dict()), encoding="utf-8")
    loaded = calibration.load(path)
    assert list(loaded.predict_rows(rows)) == list(first.predict_rows(rows))


def test_fit_learns_that_higher_scores_are_more_often_usable():
    rows, usable = _synthetic()
    fitted = calibration.fit(rows, usable)
    assert fitted.predict(0.7, 0.7, 1) > fitted.predict(0.2, 0.7, 8)


def test_fit_leaves_out_a_feature_that_would_break_monotonicity():
    # Usable only far down the lists: rank would have to raise the quality, so it is dropped.
    rows, usable = _synthetic()
    usable = [math.exp(row["log_rank"]) >= 6 for row in rows]
    fitted = calibration.fit(rows, usable)
    assert "log_rank" not in fitted.features
    fitted.check()


def test_a_calibration_with_a_coefficient_against_its_direction_is_refused():
    data = calibration.load().to_dict()
    data["coef"][data["features"].index("score")] = -1.0
    with pytest.raises(ValueError, match="wrong sign"):
        Calibration.from_dict(data)


def test_fit_needs_both_outcomes():
    rows, _ = _synthetic()
    with pytest.raises(ValueError):
        calibration.fit(rows, [True] * len(rows))


def test_percent_shows_a_quality_between_1_and_99():
    assert [calibration.percent(q) for q in (0.0, 0.004, 0.006, 0.5, 0.8249, 0.9951, 1.0)] == \
        [1, 1, 1, 50, 82, 99, 99]
