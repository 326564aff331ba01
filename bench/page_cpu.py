"""Web CPU per request of the load test's pages, measured one request at a time.

    python -m bench.page_cpu [--n 60] [--warmup 15] [--profile KIND] [--top 30]

bench/load.py measures latency under load on the whole stack; its tail is mostly waiting for a
core, so the lever is the web process's CPU per request. This measures exactly that, without
concurrency or a network: one process builds the app (production config) on the benchmark
database (BENCH_DATABASE_URL, as bench.load; the database must be prepared: flask bench-data
and flask match rebuild, see bench/stack.py), signs in as the load test's broker through the
login form with Flask's test client, then for each of the load test's request kinds (the
outputs list with a search word and a filter, a need page, an output page, /healthz):

1. warms up with --warmup requests (their own listings),
2. times --n requests one by one with time.process_time() (this process only) and prints the
   median and mean CPU ms; beside it, PostgreSQL's CPU per request (psutil: the CPU time the
   benchmark database's backends used over the timed requests, divided by --n),
3. runs --n further requests under cProfile and prints the Python function calls per request.

Each phase draws different listings (and the same ones on every run: a fixed seed), so the
per-process match card cache (recommendations.views.match_card_parts) is as cold as in the
load test, where cards are seldom shown twice within its minute. --profile list|need|output
prints the profiled phase's top functions by own CPU time and by cumulative CPU time; --dump
saves each kind's profile for pstats.

Compare two commits by running the command on each, on the same machine in the same time
window. Figures go to bench/results/page_cpu-<time>.json.
"""
import argparse
import cProfile
import io
import os
import pstats
import random
import re
import statistics
import time
from pathlib import Path

from bench import stack

RESULTS = Path(__file__).resolve().parent / "results"
KINDS = ("list", "need", "output", "health")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def build_app():
    """Build the app as bench.load's stack runs it (production config, benchmark database)."""
    os.environ.update({key: value for key, value in stack.environment(0).items()
                       if key in ("MATCHMAKER_ENV", "DATABASE_URL", "SECRET_KEY",
                                  "LOGIN_RATE_LIMIT")})
    os.environ["MATCH_INDEX_PATH"] = "none"
    # As in production: jobs go to RQ (nothing is queued by these pages) and the rate limits'
    # counters to Redis (BENCH_REDIS_URL, as bench.load).
    os.environ["REDIS_URL"] = stack.REDIS_URL
    os.environ["JOBS_MODE"] = "rq"
    os.environ.pop("RATELIMIT_STORAGE_URI", None)
    from wsgi import app  # the entry point gunicorn loads, with its process settings

    return app


def sign_in(app):
    """Return a test client signed in as the load test's broker (HTTPS: secure cookies)."""
    client = app.test_client()
    page = client.get("/auth/login", base_url="https://localhost")
    # Over HTTPS, Flask-WTF also checks that a form comes from this site (the Referer).
    response = client.post("/auth/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/auth/login"},
                           data={"csrf_token": _CSRF.search(page.text).group(1),
                                 "email": stack.BROKER, "password": stack.PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed ({response.status_code})")
    return client


def paths(kind: str, ids: dict, rng: random.Random, count: int) -> list[str]:
    """Return count request paths of kind (the load test's URLs), drawing listings from ids."""
    if kind == "list":
        from bench.load import FILTERS, WORDS

        return [f"/outputs/?q={rng.choice(WORDS)}&{rng.choice(FILTERS)}" for _ in range(count)]
    if kind == "health":
        return ["/healthz"] * count
    return [f"/{kind}s/{ids[kind].pop()}" for _ in range(count)]


def _get(client, path: str) -> None:
    response = client.get(path, base_url="https://localhost")
    if response.status_code != 200:
        raise SystemExit(f"{path}: status {response.status_code}")


def _count_statements(app):
    """Start counting the SQL statements app's engine runs; return a function that stops
    counting and returns the count."""
    from sqlalchemy import event

    from matchmaker.extensions import db

    with app.app_context():
        engine = db.engine
    count = [0]

    def before(*_args):
        count[0] += 1

    def stop() -> int:
        event.remove(engine, "before_cursor_execute", before)
        return count[0]

    event.listen(engine, "before_cursor_execute", before)
    return stop


def postgres_cpu_seconds() -> float:
    """Return the user + system CPU seconds used so far by the PostgreSQL backends serving the
    benchmark database (its connections' processes; the server's own background processes and
    other databases' clients are left out)."""
    import psutil

    tag = f" {stack.DATABASE_URL.rsplit('/', 1)[1]} "
    total = 0.0
    for proc in psutil.process_iter(["name", "cmdline"]):
        if (proc.info["name"] or "").startswith("postgres") \
                and tag in " ".join(proc.info["cmdline"] or ()) + " ":
            try:
                times = proc.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            total += times.user + times.system
    return total


def measure(client, kind: str, ids: dict, rng: random.Random, n: int, warmup: int,
            profile_top: int, dump: bool = False) -> dict:
    """Warm up, time n requests of kind, then profile n more; return the figures."""
    for path in paths(kind, ids, rng, warmup):
        _get(client, path)
    times = []
    postgres_before = postgres_cpu_seconds()
    for path in paths(kind, ids, rng, n):
        started = time.process_time()
        _get(client, path)
        times.append((time.process_time() - started) * 1000)
    postgres_ms = (postgres_cpu_seconds() - postgres_before) * 1000 / n
    profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL
    statements = _count_statements(client.application)
    for path in paths(kind, ids, rng, n):
        profiler.enable()
        _get(client, path)
        profiler.disable()
    stats = pstats.Stats(profiler)
    figures = {"n": n, "cpu_ms_median": round(statistics.median(times), 2),
               "cpu_ms_mean": round(statistics.fmean(times), 2),
               "postgres_cpu_ms_mean": round(postgres_ms, 2),
               "calls_per_request": round(stats.total_calls / n),
               "sql_per_request": round(statements() / n, 1)}
    if dump:
        profiler.dump_stats(RESULTS / f"page_cpu-{kind}.prof")
    if profile_top:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(profile_top)
            print(f"\n--- {kind}: top {profile_top} by {order} ({n} requests) ---")
            print(out.getvalue().split("\n", 6)[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="requests timed (and profiled) per kind")
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--profile", choices=KINDS, action="append", default=[],
                        help="print the top functions of this kind's profiled requests")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", action="store_true",
                        help="save each kind's profile as bench/results/page_cpu-<kind>.prof")
    args = parser.parse_args()
    if not stack.listing_counts()["generation"]:
        raise SystemExit(f"no stored matches in {stack.DATABASE_URL}: prepare it first "
                         f"(bench/stack.py prepare, or flask bench-data + flask match rebuild)")
    ids = stack.benchmark_ids(limit=2 * (args.n + args.warmup), seed=11)
    app = build_app()
    client = sign_in(app)
    figures = {}
    RESULTS.mkdir(exist_ok=True)
    for kind in KINDS:
        rng = random.Random(f"{kind}-7")
        figures[kind] = measure(client, kind, ids, rng, args.n, args.warmup,
                                args.top if kind in args.profile else 0, args.dump)
    print(f"\n{'request':8} {'n':>4} {'CPU ms median':>14} {'mean':>8} {'PostgreSQL ms':>14} "
          f"{'calls/request':>14} {'SQL/request':>12}")
    for kind, f in figures.items():
        print(f"{kind:8} {f['n']:4d} {f['cpu_ms_median']:14.2f} {f['cpu_ms_mean']:8.2f} "
              f"{f['postgres_cpu_ms_mean']:14.2f} {f['calls_per_request']:14d} "
              f"{f['sql_per_request']:12.1f}")
    stack.write_result("page_cpu", args, figures)


if __name__ == "__main__":
    main()
