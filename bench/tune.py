"""Compare matcher settings on the three ranking benchmarks at once (tuning aid).

    python -m bench.tune                       # every variant below, one child process each
    python -m bench.tune --variants default,feedback-0.3 --benchmarks dev,tm

Each variant overrides matchmaker.matching.config (module constants and DEFAULT_WEIGHTS) in a
fresh process and prints NDCG@10 of the full matcher on: dev (seed judgments), posted (the same
pairs graded as posted: seed_data/judgments/as-posted/), tm (benchmark D,
real market listings; also text only) and csl-b (CSL related papers, **dev split**: the test
split stays for reporting). A setting is worth changing only when it helps the real-data
benchmarks without hurting the seed one; differences below ~0.01 on tm (36 judged needs) are
noise. The table in bench/README.md ("Tuning on real data") was made with this script.
"""
import argparse
import json
import subprocess
import sys
import time

VARIANTS: dict[str, dict] = {
    "default": {},
    "feedback-0.3": {"FEEDBACK_WEIGHT": 0.3},
    "feedback-0.15": {"FEEDBACK_WEIGHT": 0.15},
    "char-0": {"CHAR_SHARE": 0.0},
    "char-0.3": {"CHAR_SHARE": 0.3},
    "chain-0.1": {"weights": {"chain": 0.1, "text": 0.9}},
    "chain-0.2": {"weights": {"chain": 0.2, "text": 0.8}},
    "chain-0.3": {"weights": {"chain": 0.3, "text": 0.7}},
    "no-fit": {"weights": {"fit_share": 0.0}},
    "trl-only": {"weights": {"mode": 0.0, "price": 0.0, "region": 0.0}},
    "mode-only": {"weights": {"trl": 0.0, "price": 0.0, "region": 0.0}},
    "price-only": {"weights": {"trl": 0.0, "mode": 0.0, "region": 0.0}},
    "region-only": {"weights": {"trl": 0.0, "mode": 0.0, "price": 0.0}},
    "fit-0.1": {"weights": {"fit_share": 0.1}},
    "fit-0.5": {"weights": {"fit_share": 0.5}},
    "saturation-1.0": {"TEXT_SATURATION": 1.0},
    "min-words-6": {"MIN_CONTENT_WORDS": 6},
}
BENCHMARKS = ("dev", "posted", "tm", "csl-b")


def apply(overrides: dict) -> None:
    from matchmaker.matching import Matcher, config

    for name, value in overrides.items():
        if name == "weights":
            config.DEFAULT_WEIGHTS = {**config.DEFAULT_WEIGHTS, **value}
        elif name == "CHAR_SHARE":  # a constructor default, read when the module was imported
            Matcher.__init__.__kwdefaults__["char_share"] = value
        else:
            setattr(config, name, value)


def dev(as_posted: bool = False) -> dict:
    from bench.quality import SEED, _chains, as_posted_qrels, seed_qrels
    from matchmaker.matching.evaluate import ABLATIONS, available_qrels, matcher_run, score_run
    from matchmaker.matching.io import seed_profiles, seed_regions

    outputs, needs = seed_profiles(SEED)
    qrels = available_qrels(as_posted_qrels() if as_posted else seed_qrels(), outputs)
    ids = [n.id for n in needs if any(g >= 1 for g in qrels.get(str(n.id), {}).values())]
    out = {}
    for name, weights in (("text", ABLATIONS["text only"]), ("all", {})):
        run = matcher_run(outputs, needs, _chains(), weights=weights,
                          regions=seed_regions(SEED), query_ids=ids)
        out[name] = round(score_run(run, qrels)["ndcg@10"], 4)
    return out


def tm() -> dict:
    from bench.quality import _score, tm_qrels
    from bench.tm_pool import corpus_docs, pick_needs, system_runs
    from matchmaker.matching.evaluate import ABLATIONS

    qrels, _ = tm_qrels()
    needs = [n for n in pick_needs() if n["id"] in qrels]
    runs = system_runs(needs, corpus_docs(), baselines=False,
                       matchers={"text": ABLATIONS["text only"], "all": {}})
    return {name: round(_score(run, qrels, [n["id"] for n in needs])["ndcg@10"], 4)
            for name, run in runs.items()}


def csl_b() -> dict:
    from bench.quality import _chains, _eval_data, _matcher_runs, _score, csl_b_items
    from matchmaker.matching import OutputProfile

    corpus, queries, qrels = _eval_data()
    related, _, items = csl_b_items(corpus, queries, qrels)
    split = {q["qid"] for q in queries if q["csl_split"] == "dev"}
    items = [item for item in items if item["qid"] in split]
    outputs = [OutputProfile(id=d["id"], title=d["title"], abstract=d["abstract"])
               for d in corpus]
    run = _matcher_runs(_chains(), outputs, items)[0]
    return {"all": round(_score(run, related, [i["qid"] for i in items])["ndcg@10"], 4)}


def child(variant: str, benchmarks: list[str]) -> None:
    apply(VARIANTS[variant])
    runners = {"dev": dev, "posted": lambda: dev(as_posted=True), "tm": tm, "csl-b": csl_b}
    result = {"variant": variant}
    for name in benchmarks:
        started = time.perf_counter()
        result[name] = runners[name]() | {"s": round(time.perf_counter() - started)}
    print(json.dumps(result), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    benchmarks = [b for b in args.benchmarks.split(",") if b]
    if args.child:
        child(args.child, benchmarks)
        return 0
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS] + [b for b in benchmarks
                                                            if b not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    print(f"{'variant':16}" + "".join(f"{b + (' text' if b != 'csl-b' else ''):>12}"
                                      f"{b + ' all':>12}" for b in benchmarks))
    for variant in variants:
        done = subprocess.run([sys.executable, "-m", "bench.tune", "--child", variant,
                               "--benchmarks", ",".join(benchmarks)],
                              capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        cells = "".join(f"{result[b].get('text', float('nan')):12.4f}{result[b]['all']:12.4f}"
                        for b in benchmarks)
        print(f"{variant:16}{cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
