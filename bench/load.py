"""Load test of the production stack at 100k listings, with a bare endpoint as the baseline.

    python -m bench.load [--outputs 100000] [--needs 20000] [--clients 50] [--duration 60]
                         [--think 1.0] [--port 8090] [--web-concurrency N]

What it does, in one command:
1. Makes sure the benchmark PostgreSQL database (BENCH_DATABASE_URL, default
   postgresql+psycopg://postgres@127.0.0.1:5432/mm_bench) holds the benchmark listings with
   their stored matches (flask bench-data + flask match rebuild the first time: ~12 minutes).
2. Starts scripts/serve.sh on loopback (gunicorn, RQ workers, scheduler; Redis at
   BENCH_REDIS_URL) and waits until it is ready and the matching worker has its index.
3. Signs each client in as a broker, then runs --clients concurrent clients (one asyncio
   process, httpx) for --duration seconds. Each client loops: pick one of the four requests
   below at random, send it, wait a think time drawn uniformly from [0, 2 x --think] seconds
   (users read a page before the next click; --think 0 measures saturation instead).
      list    /outputs/?q=<word>&<filter>    search word and a filter, 20 results and a count
      need    /needs/<id>                    a need page with its 10 stored matches
      output  /outputs/<id>                  an output page with its 10 stored matches
      health  /healthz                       no database, no session: the baseline
   Words and filters are drawn from fixed lists; ids from published benchmark listings that
   have matches. Responses other than 200 count as errors (and so do timeouts).
4. Prints, per request kind: count, errors, median, p95, p99 and max latency, and the ratio of
   the median and p95 to the health endpoint's in the same run; writes the figures to
   bench/results/load-<time>.json. The load generator shares the two cores with the stack:
   its own CPU time is part of every figure.
5. Prints where the machine's CPU went during the measured run: CPU seconds used by the web
   processes (gunicorn), the RQ workers and scheduler, PostgreSQL, Redis, the load generator
   itself and everything else, per request and as a share of the machine's capacity (cores x
   duration). A share near 100 % means the figures measure queueing for the cores, not the
   pages.
6. Prints how the clients' keep-alive connections were spread over the web processes halfway
   through the run: each client keeps one connection, and gunicorn serves a connection's
   requests in the process that accepted it, so an uneven spread is uneven load.
"""
import argparse
import asyncio
import os
import random
import statistics
import time
from pathlib import Path

import httpx

from bench import stack
from bench.common import percentile

RESULTS = Path(__file__).resolve().parent / "results"
WORDS = ("电池", "激光", "传感器", "算法", "材料", "控制", "检测", "涂层", "电解", "光纤",
         "机器人", "储能", "薄膜", "芯片", "催化")
FILTERS = ("mode=licence", "trl_from=5", "mode=equity", "trl_to=6", "mode=joint_rd",
           "trl_from=3&trl_to=7")
KINDS = ("list", "need", "output", "health")




def _path(kind: str, ids: dict, rng: random.Random) -> str:
    if kind == "list":
        return f"/outputs/?q={rng.choice(WORDS)}&{rng.choice(FILTERS)}"
    if kind == "need":
        return f"/needs/{rng.choice(ids['need'])}"
    if kind == "output":
        return f"/outputs/{rng.choice(ids['output'])}"
    return "/healthz"


async def _client(number: int, base: str, cookie: str, ids: dict, think: float,
                  deadline: float, samples: list) -> None:
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Cookie": cookie},
                                 follow_redirects=False) as client:
        await asyncio.sleep(rng.uniform(0, max(think, 0.05)))  # do not start in lockstep
        while time.monotonic() < deadline:
            kind = rng.choice(KINDS)
            path = _path(kind, ids, rng)
            started = time.perf_counter()
            try:
                response = await client.get(path)
                ok = response.status_code == 200
                status = response.status_code
            except httpx.HTTPError as error:
                ok, status = False, type(error).__name__
            samples.append((kind, time.perf_counter() - started, ok, status))
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def _run(base: str, cookies: list[str], ids: dict, think: float, duration: float) -> list:
    samples: list = []
    deadline = time.monotonic() + duration
    await asyncio.gather(*(_client(i, base, cookie, ids, think, deadline, samples)
                           for i, cookie in enumerate(cookies)))
    return samples


def summarise(samples: list, duration: float) -> dict:
    """Return per-kind counts, errors and latency figures (ms), with ratios to health."""
    figures = {}
    for kind in KINDS:
        times = [s[1] * 1000 for s in samples if s[0] == kind]
        errors = [s[3] for s in samples if s[0] == kind and not s[2]]
        figures[kind] = {"n": len(times), "errors": len(errors),
                         "error_kinds": sorted({str(e) for e in errors}),
                         "median_ms": round(statistics.median(times), 1) if times else None,
                         "p95_ms": round(percentile(times, 0.95), 1),
                         "p99_ms": round(percentile(times, 0.99), 1),
                         "max_ms": round(max(times), 1) if times else None}
    health = figures["health"]
    for kind in KINDS:
        figures[kind]["median_x_health"] = round(figures[kind]["median_ms"]
                                                 / health["median_ms"], 1)
        figures[kind]["p95_x_health"] = round(figures[kind]["p95_ms"] / health["p95_ms"], 1)
    figures["throughput_rps"] = round(len(samples) / duration, 1)
    return figures


def _cpu_group(proc, stack_pids: set[int]) -> str:
    """Name the component a process belongs to, for the CPU account."""
    import psutil
    try:
        name, cmdline = proc.name(), " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "other"
    if proc.pid == os.getpid():
        return "load generator"
    if proc.pid in stack_pids:
        if "gunicorn" in cmdline:
            return "web (gunicorn)"
        return "workers + scheduler"
    if name.startswith("postgres") or cmdline.startswith("postgres"):
        return "postgresql"
    if name.startswith("redis"):
        return "redis"
    return "other"


def cpu_snapshot(stack_pid: int) -> dict[int, tuple[str, float]]:
    """Return {pid: (component, user + system CPU seconds)} for every process now running."""
    import psutil
    try:
        root = psutil.Process(stack_pid)
        stack_pids = {p.pid for p in root.children(recursive=True)} | {stack_pid}
    except psutil.NoSuchProcess:
        stack_pids = set()
    snapshot = {}
    for proc in psutil.process_iter():
        try:
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        snapshot[proc.pid] = (_cpu_group(proc, stack_pids), times.user + times.system)
    return snapshot


def cpu_account(before: dict, after: dict, duration: float, requests: int) -> dict:
    """Return CPU seconds per component between two snapshots, per request and as a share of
    the machine's capacity (cores x duration). Processes that started during the run count
    from zero; those that ended are lost (none should, in a steady run)."""
    import psutil
    used: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        used[group] = used.get(group, 0.0) + seconds - before.get(pid, (group, 0.0))[1]
    capacity = (psutil.cpu_count() or 1) * duration
    account = {group: {"cpu_s": round(seconds, 1),
                       "ms_per_request": round(seconds * 1000 / max(requests, 1), 1),
                       "share_of_machine": round(seconds / capacity, 3)}
               for group, seconds in sorted(used.items(), key=lambda kv: -kv[1])}
    total = sum(used.values())
    account["total"] = {"cpu_s": round(total, 1),
                        "ms_per_request": round(total * 1000 / max(requests, 1), 1),
                        "share_of_machine": round(total / capacity, 3)}
    return account


def connections_per_web_process(stack_pid: int, port: int) -> list[int]:
    """Return the established connections to port held by each gunicorn worker of the stack,
    most first (the master accepts none)."""
    import psutil
    try:
        processes = psutil.Process(stack_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    counts = []
    for proc in processes:
        try:
            if "gunicorn" not in " ".join(proc.cmdline()) or not proc.parent() or \
                    "gunicorn" not in " ".join(proc.parent().cmdline()):
                continue  # not a gunicorn worker (its parent is the gunicorn master)
            counts.append(sum(1 for c in proc.net_connections(kind="tcp")
                              if c.status == psutil.CONN_ESTABLISHED and c.laddr
                              and c.laddr.port == port))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return sorted(counts, reverse=True)


async def _sample_connections(stack_pid: int, port: int, delay: float, into: list) -> None:
    await asyncio.sleep(delay)
    into.extend(await asyncio.to_thread(connections_per_web_process, stack_pid, port))


async def _measure(base: str, cookies: list[str], ids: dict, think: float, duration: float,
                   stack_pid: int, port: int) -> tuple[list, list[int]]:
    """Run the clients for duration; return their samples and the connection spread."""
    spread: list[int] = []
    samples, _ = await asyncio.gather(
        _run(base, cookies, ids, think, duration),
        _sample_connections(stack_pid, port, duration / 2, spread))
    return samples, spread


def _print_cpu(account: dict) -> None:
    print(f"\n{'CPU during the run':22} {'seconds':>8} {'ms/request':>11} {'of machine':>11}")
    for group, f in account.items():
        print(f"{group:22} {f['cpu_s']:8.1f} {f['ms_per_request']:11.1f} "
              f"{f['share_of_machine'] * 100:10.1f}%")


def _print(figures: dict, args) -> None:
    print(f"\n{args.clients} clients, {args.duration:.0f} s, think time uniform "
          f"[0, {2 * args.think:g}] s; {figures['throughput_rps']} requests/s\n")
    print(f"{'request':8} {'n':>6} {'errors':>6} {'median':>8} {'p95':>8} {'p99':>8} "
          f"{'max':>8} {'median/health':>14} {'p95/health':>11}")
    for kind in KINDS:
        f = figures[kind]
        print(f"{kind:8} {f['n']:6d} {f['errors']:6d} {f['median_ms']:7.1f}ms "
              f"{f['p95_ms']:7.1f}ms {f['p99_ms']:7.1f}ms {f['max_ms']:7.1f}ms "
              f"{f['median_x_health']:13.1f}x {f['p95_x_health']:10.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outputs", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean think time in seconds between a client's requests")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--web-concurrency", type=int, default=None,
                        help="gunicorn workers (serve.sh's default: 2 x cores + 1)")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stack.prepare(args.outputs, args.needs)
    ids = stack.benchmark_ids()
    with stack.Stack(args.port, web_concurrency=args.web_concurrency) as running:
        stack.log(f"stack ready at {running.base}; signing in {args.clients} clients")
        cookies = []
        for _ in range(args.clients):
            browser = stack.sign_in(running.base)
            cookies.append(stack.cookie_header(browser.cookies))
            browser.close()
        asyncio.run(_run(running.base, cookies, ids, args.think, 5))  # warm-up, not counted
        stack.log(f"measuring for {args.duration:.0f} s")
        before, started = cpu_snapshot(running.process.pid), time.perf_counter()
        samples, spread = asyncio.run(_measure(running.base, cookies, ids, args.think,
                                               args.duration, running.process.pid, args.port))
        account = cpu_account(before, cpu_snapshot(running.process.pid),
                              time.perf_counter() - started, len(samples))
    figures = summarise(samples, args.duration)
    figures["cpu"] = account
    figures["connections_per_web_process"] = spread
    _print(figures, args)
    _print_cpu(account)
    print(f"\nkeep-alive connections per web process, halfway: {' / '.join(map(str, spread))} "
          f"(of {args.clients} clients)")
    stack.write_result("load", args, figures)


if __name__ == "__main__":
    main()
