"""Fit the match-quality calibration (matchmaker/matching/calibration.py) on judged matches.

    python -m bench.calibrate [--seed-qrels FILE ...] [--tm-judges FILE ...] [--write]

Development judgments only: the seed benchmark (seed_data/judgments/*.tsv, grades 0-3, over
the seed outputs and needs) and benchmark D (bench/data/tm/judge-*.tsv: two judges per
group, files judge-<group><a|b>.tsv, the mean grade of the two as bench/quality.py does, over
the real listings and papers of ../shared/eval-data). Both are options, so that a new set of
judgments (another round of benchmark D, more judged needs) refits the map:
--tm-judges takes any number of judge files of the same corpus, paired by name.

For every judged need the matcher (the product's settings: seed chains, min_score 0.05)
ranks its top --depth candidates, as the stored matches hold them; each candidate becomes one
example: its raw score, its list's best raw score and its rank, and whether it was judged
usable (grade >= --usable; unjudged candidates count as not usable, as in TREC scoring, and
their share is printed). Needs held out for independent evaluation are never read
(bench/corpora.py leaves them out).

Reliability is measured by need-grouped cross-validation (--folds, every need's candidates
in one fold): Brier score, expected calibration error (10 bins), the AUC of the score over
all needs pooled (does a value mean the same on every need?), and the top-1 value of needs
whose best candidate is a textbook match (seed grade 3, both judges 2) against needs whose
best candidate is not usable. "raw" is the raw score read as a probability, "isotonic(raw)"
and "logistic(raw)" one-feature maps of it, "calibrated" the shipped model (raw score, the
list's best raw score, log rank). --write stores the model
fitted on all examples in matchmaker/matching/data/calibration.json (parameters only).
"""
import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import engine_state

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seed_data"
TM = ROOT / "bench" / "data" / "tm"
REAL = ROOT / "bench" / "data" / "real"
DEPTH = 10
MIN_SCORE = 0.05  # the app's MATCH_MIN_SCORE
FLOORS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def read_seed(paths) -> dict[str, dict[str, float]]:
    from matchmaker.matching.io import read_qrels

    qrels: dict[str, dict[str, float]] = {}
    for path in paths:
        for need, grades in read_qrels(path).items():
            qrels.setdefault(need, {}).update({d: float(g) for d, g in grades.items()})
    return qrels


def read_judges(paths) -> dict[str, dict[str, float]]:
    """The mean grade of the two judges of each group (judge-<group><a|b>.tsv), per pair
    both judged."""
    from matchmaker.matching.io import read_qrels

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for path in sorted(map(Path, paths)):
        # Groups are named per folder (bench/data/tm and bench/data/real both have group 1).
        groups[(str(path.parent), path.stem.removeprefix("judge-")[:-1])].append(
            read_qrels(path))
    merged: dict[str, dict[str, float]] = defaultdict(dict)
    for (_, group), judges in sorted(groups.items()):
        if len(judges) < 2:
            _log(f"judges: group {group} has one judge file; left out")
            continue
        a, b = judges[:2]
        for need in a:
            for doc, grade in a[need].items():
                if doc in b.get(need, {}):
                    merged[need][doc] = (grade + b[need][doc]) / 2
    return dict(merged)


def test_needs(paths) -> set[str]:
    """The needs the split files mark test (never fitted on, never measured here)."""
    test = set()
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1].strip() == "test":
                test.add(parts[0].strip())
    return test


def _chains():
    from matchmaker.matching import ChainBook

    return ChainBook.from_path(SEED / "chains")


def _examples(matcher, needs, qrels, dataset: str, depth: int) -> list[dict]:
    from matchmaker.matching.calibration import feature_row

    examples = []
    for need in needs:
        ranking = matcher.rank_outputs(need, limit=depth, explain=False)
        if not ranking.matches:
            continue
        best = ranking.matches[0].score
        grades = qrels[str(need.id)]
        for rank, match in enumerate(ranking.matches, start=1):
            grade = grades.get(str(match.candidate_id))
            examples.append({"dataset": dataset, "need": f"{dataset}:{need.id}", "rank": rank,
                             "grade": grade, **feature_row(match.score, best, rank)})
    return examples


def seed_examples(qrels, depth: int) -> list[dict]:
    from matchmaker.matching import Matcher
    from matchmaker.matching.io import seed_profiles, seed_regions

    outputs, needs = seed_profiles(SEED)
    matcher = Matcher(_chains(), regions=seed_regions(SEED), min_score=MIN_SCORE)
    matcher.fit(outputs, needs)
    judged = [n for n in needs if str(n.id) in qrels]
    return _examples(matcher, judged, qrels, "seed", depth)


def tm_examples(qrels, depth: int) -> list[dict]:
    from bench import corpora
    from bench.tm_pool import corpus_docs
    from matchmaker.matching import Matcher

    docs = corpus_docs()
    by_id = {d["id"]: d for d in corpora.load_docs()}  # held-out needs are not in it
    needs = [corpora.as_need(by_id[q]) for q in sorted(qrels) if q in by_id]
    missing = len(qrels) - len(needs)
    if missing:
        _log(f"tm: {missing} judged needs are not in the corpus (or held out); left out")
    matcher = Matcher(_chains(), min_score=MIN_SCORE).fit([corpora.as_output(d) for d in docs],
                                                          [])
    return _examples(matcher, needs, qrels, "tm", depth)


# --- measuring --------------------------------------------------------------------------------

def _auc(p, y) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < sum(y) < len(y) else float("nan")


def _cross_validated(examples, usable, folds: int) -> dict[str, np.ndarray]:
    """Out-of-fold predictions of each method, folds grouped by need."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import GroupKFold

    from matchmaker.matching import calibration

    groups = [e["need"] for e in examples]
    y = np.asarray(usable, dtype=int)
    raw = np.array([e["score"] for e in examples])
    out = {"raw": raw.copy(), "isotonic(raw)": np.zeros(len(y)),
           "logistic(raw)": np.zeros(len(y)), "calibrated": np.zeros(len(y))}
    for train, test in GroupKFold(n_splits=folds).split(raw, y, groups):
        iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(raw[train],
                                                                             y[train])
        out["isotonic(raw)"][test] = iso.predict(raw[test])
        model = calibration.fit([examples[i] for i in train], y[train], features=("score",))
        out["logistic(raw)"][test] = model.predict_rows([examples[i] for i in test])
        model = calibration.fit([examples[i] for i in train], y[train])
        out["calibrated"][test] = model.predict_rows([examples[i] for i in test])
    return out


def _top1(examples, values, textbook) -> dict:
    """Top-1 values of needs whose best candidate is textbook vs not usable."""
    good, bad = [], []
    for i, e in enumerate(examples):
        if e["rank"] != 1:
            continue
        if textbook(e):
            good.append(values[i])
        elif not e["usable"]:
            bad.append(values[i])

    def describe(v):
        if not v:
            return {"n": 0}
        q = np.percentile(v, [10, 50, 90])
        return {"n": len(v), "p10": round(float(q[0]), 3), "median": round(float(q[1]), 3),
                "p90": round(float(q[2]), 3), "std": round(float(np.std(v)), 3)}

    return {"textbook": describe(good), "not_usable": describe(bad)}


def reliability(examples, predictions) -> dict:
    y = [e["usable"] for e in examples]
    from matchmaker.matching.calibration import brier, expected_calibration_error

    def textbook(e):
        return e["grade"] is not None and e["grade"] >= (3 if e["dataset"] == "seed" else 2)

    result = {}
    for name, p in predictions.items():
        row = {"brier": round(brier(p, y), 4), "ece": round(expected_calibration_error(p, y), 4),
               "pooled_auc": round(_auc(p, y), 4), "top1": _top1(examples, p, textbook)}
        for dataset in sorted({e["dataset"] for e in examples}):
            idx = [i for i, e in enumerate(examples) if e["dataset"] == dataset]
            row[dataset] = {"brier": round(brier(p[idx], [y[i] for i in idx]), 4),
                            "ece": round(expected_calibration_error(p[idx],
                                                                    [y[i] for i in idx]), 4),
                            "mean_p": round(float(np.mean(p[idx])), 3),
                            "usable_rate": round(float(np.mean([y[i] for i in idx])), 3)}
        result[name] = row
    return result


def floors(examples, p) -> list[dict]:
    """What each floor would show: candidates per need, their usable share, usable kept."""
    y = np.array([e["usable"] for e in examples])
    needs = sorted({e["need"] for e in examples})
    rows = []
    for floor in FLOORS:
        shown = p >= floor
        per_need, usable_shown, has_usable = defaultdict(int), defaultdict(int), set()
        for e, s in zip(examples, shown):
            per_need[e["need"]] += int(s)
            usable_shown[e["need"]] += int(s and e["usable"])
            if e["usable"]:
                has_usable.add(e["need"])
        counts = [per_need[n] for n in needs]
        rows.append({"floor": floor, "shown_per_need": round(float(np.mean(counts)), 2),
                     "needs_with_none": sum(c == 0 for c in counts),
                     "needs_missed": sum(1 for n in has_usable if usable_shown[n] == 0),
                     "precision": round(float(y[shown].mean()), 3) if shown.any() else None,
                     "usable_kept": round(float(y[shown].sum() / max(1, y.sum())), 3),
                     "hidden_usable": int(y[~shown].sum()),
                     "hidden": int((~shown).sum())})
    return rows


def _print(report: dict) -> None:
    print(f"examples: {report['examples']} candidates of {report['needs']} needs "
          f"(top {report['depth']}); usable (grade >= {report['usable_grade']}): "
          f"{report['usable']}; unjudged (counted not usable): {report['unjudged']}")
    print(f"held-out reliability, {report['folds']}-fold cross-validation grouped by need:")
    print(f"{'method':16} {'Brier':>7} {'ECE':>7} {'AUC':>7}   top-1 textbook p10/med/p90"
          f" (std)   top-1 not usable p10/med/p90 (std)")
    for name, r in report["reliability"].items():
        t, b = r["top1"]["textbook"], r["top1"]["not_usable"]
        print(f"{name:16} {r['brier']:7.4f} {r['ece']:7.4f} {r['pooled_auc']:7.4f}   "
              f"{t.get('p10')}/{t.get('median')}/{t.get('p90')} ({t.get('std')}) n={t['n']}   "
              f"{b.get('p10')}/{b.get('median')}/{b.get('p90')} ({b.get('std')}) n={b['n']}")
        for dataset in ("seed", "tm"):
            if dataset in r:
                d = r[dataset]
                print(f"    {dataset:12} Brier {d['brier']:.4f} ECE {d['ece']:.4f} "
                      f"mean value {d['mean_p']:.3f} vs usable rate {d['usable_rate']:.3f}")
    print("floors on the cross-validated calibrated values:")
    print(f"{'floor':>6} {'shown/need':>10} {'needs w/o':>9} {'missed':>6} {'precision':>9} "
          f"{'usable kept':>11} {'usable hidden':>13} {'hidden':>7}   (missed: needs with a "
          f"usable candidate in their list but none shown)")
    for f in report["floors"]:
        print(f"{f['floor']:6.2f} {f['shown_per_need']:10.2f} {f['needs_with_none']:9d} "
              f"{f['needs_missed']:6d} "
              f"{f['precision'] if f['precision'] is not None else '—':>9} "
              f"{f['usable_kept']:11.3f} {f['hidden_usable']:13d} {f['hidden']:7d}")
    print("fitted on all examples: " + json.dumps(report["model"], ensure_ascii=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-qrels", nargs="*", type=Path,
                        default=sorted((SEED / "judgments").glob("*.tsv")),
                        help="TREC qrels over the seed profiles (default: seed_data/judgments)")
    parser.add_argument("--tm-judges", nargs="*", type=Path,
                        default=sorted(TM.glob("judge-*.tsv")) + sorted(REAL.glob("judge-*.tsv")),
                        help="judge files over the benchmark D corpus, paired by name within "
                             "their folder (default: bench/data/tm/judge-*.tsv, benchmarks D, "
                             "and bench/data/real/judge-*.tsv, benchmark E)")
    parser.add_argument("--splits", nargs="*", type=Path, default=[REAL / "needs.tsv"],
                        help="TSV files need_id<TAB>split: needs marked test are left out "
                             "(default: bench/data/real/needs.tsv; unlisted needs are dev)")
    parser.add_argument("--usable", type=float, default=1.0,
                        help="grade from which a candidate counts as usable (default 1)")
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true",
                        help="store the model in matchmaker/matching/data/calibration.json")
    parser.add_argument("--out", type=Path, help="write the model here instead")
    args = parser.parse_args(argv)
    from matchmaker.matching import calibration

    examples = []
    if args.seed_qrels:
        examples += seed_examples(read_seed(args.seed_qrels), args.depth)
        _log(f"seed: {len(examples)} examples")
    if args.tm_judges:
        before = len(examples)
        test = test_needs(args.splits)
        judged = read_judges(args.tm_judges)
        left_out = sorted(set(judged) & test)
        _log(f"tm: {len(left_out)} judged needs of the test split left out")
        examples += tm_examples({q: g for q, g in judged.items() if q not in test}, args.depth)
        _log(f"tm: {len(examples) - before} examples")
    for e in examples:
        e["usable"] = e["grade"] is not None and e["grade"] >= args.usable
    usable = [e["usable"] for e in examples]
    predictions = _cross_validated(examples, usable, args.folds)
    model = calibration.fit(examples, usable)
    report = {"examples": len(examples), "needs": len({e["need"] for e in examples}),
              "depth": args.depth, "usable_grade": args.usable, "usable": sum(usable),
              "unjudged": sum(e["grade"] is None for e in examples), "folds": args.folds,
              "reliability": reliability(examples, predictions),
              "floors": floors(examples, predictions["calibrated"]),
              "model": {"features": model.features, "coef": model.coef}}
    _print(report)
    if args.write or args.out:
        meta = {"fitted_by": "python -m bench.calibrate",
                "fitted_at": time.strftime("%Y-%m-%d"),
                "engine": engine_state(),
                "data": {"seed_qrels": [str(p.relative_to(ROOT)) if p.is_absolute() and
                                        ROOT in p.parents else str(p) for p in args.seed_qrels],
                         "tm_judges": [f"{p.parent.name}/{p.name}" for p in args.tm_judges],
                         "test_needs_left_out_by": [str(p.name) for p in args.splits]},
                "examples": report["examples"], "needs": report["needs"],
                "usable_grade": args.usable, "depth": args.depth,
                "cross_validated": {k: {m: v[m] for m in ("brier", "ece", "pooled_auc")}
                                    for k, v in report["reliability"].items()}}
        model = calibration.Calibration(**{**model.__dict__, "meta": meta})
        path = args.out or calibration.DEFAULT_PATH
        path.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
