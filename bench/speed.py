"""Speed and scale benchmark of the matcher, with baselines measured in the same run.

    python -m bench.speed [--sizes 1000,10000,100000] [--repeat 3] [--big-repeat 1]
                          [--rep-check 10000 | --no-rep-check] [--systems matcher,tfidf,bm25]
                          [--profile]

Every (corpus, system) pair runs in a fresh child process, one after the other (never in
parallel: the machine has two cores), so that its peak memory is its own: peak RSS is the
child's ``ru_maxrss`` (kernel high-water mark of resident memory, no sampling), which includes
the interpreter, libraries, jieba's dictionary and the corpus itself; the RSS after loading the
corpus is reported next to it.

Per corpus and system:
  build      fit/index the N outputs and the 10,000 needs (the same texts for every system);
             median of --repeat runs (--big-repeat for corpora above 20,000 outputs);
             throughput = (outputs + needs) / seconds.
  single     rank the outputs for one need, top 10, query analysis included, for 200 real tech
             needs; the matcher with explanations (its default); p50 / p95 / mean in ms.
  all-pairs  top 10 outputs for each of the 10,000 indexed needs (Matcher.all_pairs, with
             explanations; baselines: chunked sparse products / bm25s scores per need).
  add        matcher only: upsert_output(new profile) then rank_outputs with a need made of
             the new profile's text, checking the new id is in the top 10; 20 additions,
             p50 / p95 of the total. Then 480 more additions and the single-need p50 again,
             to show what pending (not yet refitted) additions cost.

Baselines: plain word TF-IDF (scikit-learn TfidfVectorizer, sublinear tf, jieba.lcut tokens,
no rules, cosine) and BM25 (bm25s on plain jieba tokens, bench.common.jieba_tokens: the
baselines of bench.quality; before 2026-12-07 it read the matcher's own word tokens, so its
build time included the matcher's tokenizer). Results go to bench/results/speed-<time>.json and
bench/results/speed-latest.json. With --profile the children run under cProfile instead and
write bench/results/profile-<corpus>-<phase>.txt (timings of a profiled run are not figures).
"""
import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.common import engine_state, jieba_tokens, machine, percentile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SYSTEMS = ("matcher", "tfidf", "bm25")
BIG = 20_000
TOP = 10
CHUNK = 256
ADDS_TIMED, ADDS_EXTRA = 20, 480
TARGETS = {"p95_ms": 30.0, "all_pairs_s": 120.0, "peak_rss_mb": 2048.0, "add_ms": 100.0}
RATIO_TARGETS = {"build": 0.25, "single": 2.0}  # matcher ÷ bm25s on plain jieba, same run


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB




def _latency(values_s) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"p50_ms": round(percentile(ms, 0.5), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "mean_ms": round(statistics.fmean(ms), 2), "n": len(ms)}


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class _Phases:
    """Time phases; under --profile run them in cProfile and write the statistics."""

    def __init__(self, label: str, profile: bool):
        self.label, self.profile = label, profile

    @contextmanager
    def run(self, phase: str):
        profiler = cProfile.Profile() if self.profile else None
        if profiler:
            profiler.enable()
        try:
            yield
        finally:
            if profiler:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("tottime").print_stats(30)
                RESULTS.mkdir(parents=True, exist_ok=True)
                path = RESULTS / f"profile-{self.label}-{phase}.txt"
                path.write_text(out.getvalue(), encoding="utf-8")
                _log(f"profile written to {path.relative_to(ROOT)}")


def _text(profile) -> str:
    body = getattr(profile, "abstract", None)
    if body is None:
        body = profile.description
    return f"{profile.title} {body} {' '.join(profile.keywords)}"


def _top(scores, k: int = TOP):
    import numpy as np

    if scores.shape[0] <= k:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


# --- children ------------------------------------------------------------------------------


def _child(spec: dict) -> dict:
    from bench import corpora
    from matchmaker.matching import ChainBook

    label, system, repeat = spec["label"], spec["system"], spec["repeat"]
    phases = _Phases(f"{label}-{system}", spec.get("profile", False))
    result = {"label": label, "system": system, "rss_start_mb": round(_rss_mb(), 1),
              "load_average_start": [round(x, 2) for x in os.getloadavg()],
              "engine": engine_state()}
    t = time.perf_counter()
    outs = corpora.outputs(spec["size"], base=spec.get("base"))
    need_corpus = corpora.needs(spec["needs"])
    queries = corpora.latency_queries(spec["queries"])
    result["corpus"] = outs.describe()
    result["needs"] = need_corpus.describe()
    result["corpus_load_s"] = round(time.perf_counter() - t, 2)
    chains = ChainBook.from_path(ROOT / "seed_data" / "chains")
    gc.collect()
    result["rss_corpus_mb"] = round(_rss_mb(), 1)
    runner = {"matcher": _matcher, "tfidf": _tfidf, "bm25": _bm25}[system]
    runner(result, outs.profiles, need_corpus.profiles, queries, chains, repeat, phases)
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    # The matcher's fit forks analysis workers on large corpora: the largest one's peak (it
    # shares the pages it inherited and did not write with this process).
    result["peak_rss_workers_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _chain_analyzer(chains):
    """The matcher's analyzer of the chain vocabulary, loaded: (seconds, analyzer)."""
    from matchmaker.matching.text import Analyzer

    t = time.perf_counter()
    analyzer = Analyzer.cached(tuple(chains.user_words()), tuple(chains.synonym_groups()))
    analyzer.words("质子交换膜电解水制氢")
    return time.perf_counter() - t, analyzer


def _cold_analyzers() -> None:
    """Forget cached analyzers so that every matcher build pays for its segmenter dictionary,
    as a fresh process (e.g. a rebuild command) does."""
    from matchmaker.matching.text import Analyzer

    clear = getattr(Analyzer.cached, "cache_clear", None)
    if clear:
        clear()


def _vocabulary(matcher) -> dict:
    """Index sizes, best effort (engine internals may change)."""
    info = {}
    for name in ("words", "chars"):
        try:
            info[f"{name}_terms"] = len(getattr(matcher, f"{name}_").counter.vocabulary_)
            info[f"{name}_nnz_outputs"] = int(getattr(matcher.outputs_, name).nnz)
        except AttributeError:
            pass
    return info


def _build_times(result, repeat, build, phases):
    times, index = [], None
    for r in range(repeat):
        index = None
        gc.collect()
        with phases.run("build") if r == 0 else _nothing():
            t = time.perf_counter()
            index = build()
            times.append(time.perf_counter() - t)
        _log(f"{result['label']} {result['system']}: build {r + 1}/{repeat} {times[-1]:.1f} s")
    n = result["corpus"]["n"] + result["needs"]["n"]
    median = statistics.median(times)
    result["build"] = {"median_s": round(median, 2), "runs_s": [round(x, 2) for x in times],
                       "profiles_per_s": round(n / median, 1),
                       "outputs_per_s": round(result["corpus"]["n"] / median, 1)}
    return index


@contextmanager
def _nothing():
    yield


def _matcher(result, outs, needs, queries, chains, repeat, phases):
    from bench import corpora
    from matchmaker.matching import INSUFFICIENT, Matcher, NeedProfile

    result["dictionary_load_s"] = round(_chain_analyzer(chains)[0], 2)

    def build():
        _cold_analyzers()
        return Matcher(chains).fit(outs, needs)

    matcher = _build_times(result, repeat, build, phases)
    result["rss_after_build_mb"] = round(_rss_mb(), 1)
    result["peak_after_build_mb"] = round(_peak_mb(), 1)
    result["vocabulary"] = _vocabulary(matcher)

    matcher.rank_outputs(queries[0], limit=TOP)  # warm caches once
    with phases.run("single"):
        lat, empty = [], 0
        for q in queries:
            t = time.perf_counter()
            ranking = matcher.rank_outputs(q, limit=TOP)
            lat.append(time.perf_counter() - t)
            empty += not ranking.matches
    result["single"] = _latency(lat) | {"explain": True, "empty_rankings": empty}
    lat = []
    for q in queries:
        t = time.perf_counter()
        matcher.rank_outputs(q, limit=TOP, explain=False)
        lat.append(time.perf_counter() - t)
    result["single_no_explain"] = _latency(lat)
    _log(f"{result['label']} matcher: single p50 {result['single']['p50_ms']} ms "
         f"p95 {result['single']['p95_ms']} ms")

    with phases.run("allpairs"):
        gc.collect()
        t = time.perf_counter()
        rankings = list(matcher.all_pairs(limit=TOP))
        elapsed = time.perf_counter() - t
    result["all_pairs"] = {"seconds": round(elapsed, 2), "needs": len(rankings),
                           "insufficient": sum(r.notice == INSUFFICIENT for r in rankings),
                           "results": sum(len(r.matches) for r in rankings),
                           "needs_per_s": round(len(rankings) / elapsed, 1)}
    del rankings
    result["peak_after_all_pairs_mb"] = round(_peak_mb(), 1)
    _log(f"{result['label']} matcher: all-pairs {elapsed:.1f} s")

    fresh = corpora.fresh_outputs(ADDS_TIMED + ADDS_EXTRA)
    upsert, rank, total, found = [], [], [], 0
    with phases.run("add"):
        for p in fresh[:ADDS_TIMED]:
            probe = NeedProfile(id=f"probe-{p.id}", title=p.title, description=p.abstract,
                                keywords=p.keywords)
            t0 = time.perf_counter()
            matcher.upsert_output(p)
            t1 = time.perf_counter()
            ranking = matcher.rank_outputs(probe, limit=TOP)
            t2 = time.perf_counter()
            upsert.append(t1 - t0)
            rank.append(t2 - t1)
            total.append(t2 - t0)
            found += any(m.candidate_id == p.id for m in ranking.matches)
    t = time.perf_counter()
    for p in fresh[ADDS_TIMED:]:
        matcher.upsert_output(p)
    extra_s = time.perf_counter() - t
    lat = []
    with phases.run("single-after-adds"):
        for q in queries:
            t = time.perf_counter()
            matcher.rank_outputs(q, limit=TOP)
            lat.append(time.perf_counter() - t)
    result["add"] = {"total": _latency(total), "upsert": _latency(upsert),
                     "rank": _latency(rank), "found": found, "of": ADDS_TIMED,
                     "extra_adds": len(fresh) - ADDS_TIMED,
                     "extra_adds_mean_ms": round(extra_s * 1000 / max(1, len(fresh) - ADDS_TIMED),
                                                 2),
                     "single_after_adds": _latency(lat)}
    _log(f"{result['label']} matcher: add+rank p95 {result['add']['total']['p95_ms']} ms, "
         f"found {found}/{ADDS_TIMED}")


def _tfidf(result, outs, needs, queries, chains, repeat, phases):
    import jieba
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(60)
    t = time.perf_counter()
    jieba.initialize()
    result["dictionary_load_s"] = round(time.perf_counter() - t, 2)
    n = len(outs)

    def build():
        vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, lowercase=True, sublinear_tf=True,
                                     token_pattern=None, dtype=np.float32)
        matrix = vectorizer.fit_transform([_text(o) for o in outs] + [_text(q) for q in needs])
        return vectorizer, matrix[:n].T.tocsr(), matrix[n:].tocsr()

    vectorizer, outputs_t, need_rows = _build_times(result, repeat, build, phases)
    result["rss_after_build_mb"] = round(_rss_mb(), 1)
    lat = []
    for q in queries:
        t = time.perf_counter()
        sims = (vectorizer.transform([_text(q)]) @ outputs_t).toarray()[0]
        _top(sims)
        lat.append(time.perf_counter() - t)
    result["single"] = _latency(lat)
    t = time.perf_counter()
    for start in range(0, need_rows.shape[0], CHUNK):
        sims = (need_rows[start:start + CHUNK] @ outputs_t).toarray()
        for row in sims:
            _top(row)
    elapsed = time.perf_counter() - t
    result["all_pairs"] = {"seconds": round(elapsed, 2), "needs": need_rows.shape[0],
                           "needs_per_s": round(need_rows.shape[0] / elapsed, 1)}
    _log(f"{result['label']} tfidf: single p95 {result['single']['p95_ms']} ms, "
         f"all-pairs {elapsed:.1f} s")


def _bm25(result, outs, needs, queries, chains, repeat, phases):
    import bm25s
    import jieba

    jieba.setLogLevel(60)
    t = time.perf_counter()
    jieba.initialize()
    result["dictionary_load_s"] = round(time.perf_counter() - t, 2)

    def build():
        retriever = bm25s.BM25()
        retriever.index([jieba_tokens(_text(o)) or ["∅"] for o in outs], show_progress=False)
        return retriever, [jieba_tokens(_text(q)) for q in needs]

    retriever, need_tokens = _build_times(result, repeat, build, phases)
    result["rss_after_build_mb"] = round(_rss_mb(), 1)
    vocab = retriever.vocab_dict

    def scores(tokens):
        tokens = [t for t in tokens if t in vocab]
        return retriever.get_scores(tokens) if tokens else None

    lat = []
    for q in queries:
        t = time.perf_counter()
        s = scores(jieba_tokens(_text(q)))
        if s is not None:
            _top(s)
        lat.append(time.perf_counter() - t)
    result["single"] = _latency(lat)
    t = time.perf_counter()
    for tokens in need_tokens:
        s = scores(tokens)
        if s is not None:
            _top(s)
    elapsed = time.perf_counter() - t
    result["all_pairs"] = {"seconds": round(elapsed, 2), "needs": len(need_tokens),
                           "needs_per_s": round(len(need_tokens) / elapsed, 1)}
    _log(f"{result['label']} bm25: single p95 {result['single']['p95_ms']} ms, "
         f"all-pairs {elapsed:.1f} s")


# --- parent --------------------------------------------------------------------------------


def _run_child(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        out = handle.name
    try:
        command = [sys.executable, "-m", "bench.speed", "--child", json.dumps(spec), "--out", out]
        completed = subprocess.run(command, cwd=ROOT, check=False)
        if completed.returncode != 0:
            return {"label": spec["label"], "system": spec["system"],
                    "error": f"child exited with {completed.returncode}"}
        return json.loads(Path(out).read_text(encoding="utf-8"))
    finally:
        Path(out).unlink(missing_ok=True)


def _label(size: int, base: int | None) -> str:
    name = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    from bench import corpora

    real = len(corpora.output_pool())
    replicated = (base is not None and base < size) or size > real
    return f"{name}-{'replicated' if replicated else 'real'}"


def _fmt(value, spec: str = ".1f") -> str:
    return "—" if value is None else format(value, spec)


def _ratio(a, b) -> str:
    return "—" if not a or not b else f"{a / b:.1f}x"


def render(results: list[dict]) -> str:
    """The figures table, ratios matcher/baseline, and the 100k targets."""
    lines = []
    head = (f"{'corpus':18} {'system':8} {'build s':>8} {'prof/s':>8} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'allpairs s':>10} {'peak MB':>8} {'add p95 ms':>10}")
    lines += [head, "-" * len(head)]
    by_label: dict[str, dict[str, dict]] = {}
    for r in results:
        by_label.setdefault(r["label"], {})[r["system"]] = r
    for label, systems in by_label.items():
        for system in SYSTEMS:
            r = systems.get(system)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"{label:18} {system:8} ERROR {r['error']}")
                continue
            add = r.get("add", {}).get("total", {}).get("p95_ms")
            lines.append(
                f"{label:18} {system:8} {r['build']['median_s']:8.1f} "
                f"{r['build']['profiles_per_s']:8.0f} {r['single']['p50_ms']:8.2f} "
                f"{r['single']['p95_ms']:8.2f} {r['all_pairs']['seconds']:10.1f} "
                f"{r['peak_rss_mb']:8.0f} {_fmt(add, '10.1f'):>10}")
        m = systems.get("matcher")
        if m and m.get("peak_rss_workers_mb"):
            lines.append(f"{'':18} {'matcher analysis workers: peak RSS of the largest':>60} "
                         f"{m['peak_rss_workers_mb']:8.0f}")
        for base in ("tfidf", "bm25"):
            b = systems.get(base)
            if not m or not b or "error" in m or "error" in b:
                continue
            lines.append(
                f"{'':18} {'÷' + base:8} {_ratio(m['build']['median_s'], b['build']['median_s']):>8}"
                f" {'':8} {_ratio(m['single']['p50_ms'], b['single']['p50_ms']):>8} "
                f"{_ratio(m['single']['p95_ms'], b['single']['p95_ms']):>8} "
                f"{_ratio(m['all_pairs']['seconds'], b['all_pairs']['seconds']):>10} "
                f"{_ratio(m['peak_rss_mb'], b['peak_rss_mb']):>8}")
        lines.append("")
    lines.append("build: fit/index outputs + needs (median of runs); prof/s = (outputs + "
                 "needs)/s; p50/p95: one need, top 10, matcher with explanations; allpairs: top "
                 "10 for every indexed need; peak MB: ru_maxrss of the child process (corpus "
                 "included); add: upsert_output + rank_outputs that finds it (p95 of 20).")
    engines = {(r["engine"]["engine_sha256"], r["engine"]["engine_dirty"])
               for r in results if "engine" in r}
    if len(engines) > 1:
        lines.append("WARNING: the engine source changed during this run (see 'engine' per "
                     "result in the JSON); different rows measured different code.")
    for label, systems in by_label.items():
        m = systems.get("matcher")
        if not m or "error" in m or m["corpus"]["n"] < 100_000:
            continue
        lines.append(f"\nTargets for {label} (2-core machine):")
        checks = [("p95 single ranking", m["single"]["p95_ms"], TARGETS["p95_ms"], "ms"),
                  ("all-pairs top-10, 10k needs", m["all_pairs"]["seconds"],
                   TARGETS["all_pairs_s"], "s"),
                  ("peak memory (RSS)", m["peak_rss_mb"], TARGETS["peak_rss_mb"], "MB"),
                  ("one profile added and rankable (p95)", m["add"]["total"]["p95_ms"],
                   TARGETS["add_ms"], "ms")]
        b = systems.get("bm25")
        if b and "error" not in b:
            # Issue 13's targets are ratios to bm25s on plain jieba in the same run.
            checks += [("build ÷ bm25s (jieba)", m["build"]["median_s"] / b["build"]["median_s"],
                        RATIO_TARGETS["build"], "x"),
                       ("single ranking p50 ÷ bm25s (jieba)",
                        m["single"]["p50_ms"] / b["single"]["p50_ms"],
                        RATIO_TARGETS["single"], "x")]
        for name, value, target, unit in checks:
            verdict = "met" if value <= target else "MISSED"
            lines.append(f"  {name:38} {value:10.2f} {unit:3} target <= {target:g} {unit}: "
                         f"{verdict}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="output corpus sizes (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="build repeats, corpora <= 20k")
    parser.add_argument("--big-repeat", type=int, default=1, help="build repeats above 20k")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rep-check", type=int, default=10_000,
                        help="also run a replicated corpus of this size, made with the largest "
                             "size's replication factor, to compare with the real one")
    parser.add_argument("--no-rep-check", dest="rep_check", action="store_const", const=0)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--profile", action="store_true",
                        help="run the children under cProfile (no figures) and write profiles")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = _child(json.loads(args.child))
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return 0

    from bench import corpora

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    systems = [s for s in args.systems.split(",") if s]
    real = len(corpora.output_pool())
    plan = [(size, None) for size in sizes]
    if args.rep_check and max(sizes) > real and args.rep_check <= real:
        base = round(args.rep_check * real / max(sizes))
        plan.append((args.rep_check, base))
    results = []
    started = time.strftime("%Y%m%d-%H%M%S")
    for size, base in plan:
        for system in systems:
            repeat = args.repeat if size <= BIG else args.big_repeat
            spec = {"label": _label(size, base), "size": size, "base": base, "system": system,
                    "needs": args.needs, "queries": args.queries,
                    "repeat": 1 if args.profile else repeat, "profile": args.profile}
            _log(f"start {spec['label']} {system} (repeat {spec['repeat']})")
            results.append(_run_child(spec))
    if args.profile:
        return 0
    table = render(results)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"started": started, "machine": machine(), "engine": engine_state(),
              "args": vars(args), "targets": TARGETS,
              "results": results, "table": table}
    for name in (f"speed-{started}.json", "speed-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                    encoding="utf-8")
    print(f"\nwritten: bench/results/speed-{started}.json (and speed-latest.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
