"""Freshness of the stored matches at 100k listings: seconds from saving a listing in the web
app to the matches being updated by the worker, through the whole production path.

    python -m bench.freshness [--edits 20] [--outputs 100000] [--needs 20000] [--port 8091]

One command: prepares the benchmark database as bench/load.py does, starts scripts/serve.sh,
signs in as the operator (who may edit any listing) and, one save at a time:

own      edits a published benchmark need's description through its edit form (a real POST:
         validation, commit, signal, job row, RQ, the matching worker) and measures until the
         need's own match set in the current generation carries the need's new version.
enters   rewrites a published benchmark output with the title and description of a need it
         was not matched with, and measures until that need's stored list shows the output:
         the "matches of the profiles it now enters".

The clock starts just before the POST is sent and stops when a poll of the database (every
20 ms) sees the change; the POST's own time is included. Prints median, p95 and max of each,
with the POST alone as the baseline; writes bench/results/freshness-<time>.json.
"""
import argparse
import json
import random
import re
import statistics
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import stack
from bench.common import engine_state, machine, percentile

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN = "admin@demo.example.com"
POLL = 0.02
TIMEOUT = 600.0


class Refused(Exception):
    """The edit form refused the change (a benchmark text below the publishing minimum)."""


def _candidates(engine, rng: random.Random, k: int) -> tuple[list[int], list[tuple[int, int]]]:
    """k needs to edit, and k (output, need) pairs not matched yet, all with real text."""
    with engine.connect() as conn:
        needs = list(conn.scalars(text(
            "SELECT id FROM tech_needs WHERE ref LIKE 'bench-%' AND status = 'published' "
            "AND length(description) BETWEEN 120 AND 4000 ORDER BY id")))
        outputs = list(conn.scalars(text(
            "SELECT id FROM research_outputs WHERE ref LIKE 'bench-%' AND status = 'published' "
            "ORDER BY id")))
    edited = rng.sample(needs, k)
    targets = rng.sample([n for n in needs if n not in edited], k)
    return edited, list(zip(rng.sample(outputs, k), targets, strict=True))


def _save(client: stack.Browser, kind: str, item_id: int, changes: dict) -> float:
    """Post the edit form of a listing with changes; return the POST's own seconds."""
    page = client.get(f"/{kind}/{item_id}/edit")
    fields = [(n, v) for n, v in stack.form_fields(page.text, f"/{kind}/{item_id}/edit")
              if n not in changes]
    fields += list(changes.items())
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    started = time.perf_counter()
    response = client.post(f"/{kind}/{item_id}/edit", data=data)
    if response.status_code != 302:
        errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>([^<]+)<|'
                            r'class="alert alert-danger[^"]*"[^>]*>([^<]+)<', response.text)
        message = [(a or b).strip() for a, b in errors if (a or b).strip()]
        if response.status_code == 200 and message:
            raise Refused(message)
        raise SystemExit(f"saving {kind} {item_id} failed ({response.status_code}): "
                         f"{message or response.text[:300]}")
    return time.perf_counter() - started


def _wait(engine, sql: str, params: dict, started: float) -> float:
    """Poll until sql returns a row; return seconds since started."""
    while time.perf_counter() - started < TIMEOUT:
        with engine.connect() as conn:
            if conn.execute(text(sql), params).first():
                return time.perf_counter() - started
        time.sleep(POLL)
    raise SystemExit(f"no fresh matches after {TIMEOUT:.0f} s: {sql} {params}")


OWN_FRESH = ("SELECT 1 FROM match_sets s JOIN match_generations g ON g.id = s.generation_id "
             "JOIN tech_needs n ON n.id = s.profile_id WHERE g.status = 'current' "
             "AND s.side = 'need' AND s.profile_id = :id AND s.profile_version = n.version")
ENTERED = ("SELECT 1 FROM stored_matches m JOIN match_sets s ON s.id = m.set_id "
           "JOIN match_generations g ON g.id = s.generation_id WHERE g.status = 'current' "
           "AND s.side = 'need' AND s.profile_id = :need AND m.output_id = :output")


def _figures(values: list[float]) -> dict:
    return {"n": len(values), "median_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3), "max_s": round(max(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--outputs", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stack.prepare(args.outputs, args.needs)
    engine = create_engine(stack.DATABASE_URL)
    rng = random.Random(args.seed)
    # Three times as many candidates: a benchmark text the publishing minimum refuses is skipped.
    edited, pairs = _candidates(engine, rng, 3 * args.edits)
    own, enters, posts = [], [], []
    with stack.Stack(args.port) as running:
        client = stack.sign_in(running.base, ADMIN)
        try:
            for need_id in edited:
                if len(own) == args.edits:
                    break
                with engine.connect() as conn:
                    body = conn.scalar(text("SELECT description FROM tech_needs WHERE id = :i"),
                                       {"i": need_id})
                started = time.perf_counter()
                try:
                    post = _save(client, "needs", need_id, {
                        "description": f"{body}（补充说明 {len(own) + 1}：需求方希望尽快对接。）"})
                except Refused as reasons:
                    stack.log(f"need {need_id} skipped: {reasons}")
                    continue
                posts.append(post)
                own.append(_wait(engine, OWN_FRESH, {"id": need_id}, started))
                stack.log(f"own {len(own)}/{args.edits}: {own[-1]:.2f} s")
            for output_id, need_id in pairs:
                if len(enters) == args.edits:
                    break
                with engine.connect() as conn:
                    title, body = conn.execute(text(
                        "SELECT title, description FROM tech_needs WHERE id = :i"),
                        {"i": need_id}).one()
                started = time.perf_counter()
                try:
                    post = _save(client, "outputs", output_id,
                                 {"title": title[:200], "abstract": body})
                except Refused as reasons:
                    stack.log(f"output {output_id} with need {need_id}'s text skipped: {reasons}")
                    continue
                posts.append(post)
                enters.append(_wait(engine, ENTERED, {"need": need_id, "output": output_id},
                                    started))
                stack.log(f"enters {len(enters)}/{args.edits}: {enters[-1]:.2f} s")
        finally:
            client.close()
    figures = {"own": _figures(own), "enters": _figures(enters), "post": _figures(posts)}
    print(f"\nfreshness at {stack.listing_counts()} ({args.edits} saves each, one at a time)")
    for name, label in (("own", "its own matches"), ("enters", "the list it enters"),
                        ("post", "the POST alone")):
        f = figures[name]
        print(f"{label:20} median {f['median_s']:6.2f} s   p95 {f['p95_s']:6.2f} s   "
              f"max {f['max_s']:6.2f} s")
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "args": vars(args),
              "figures": figures, "machine": machine(), "engine": engine_state()}
    path = RESULTS / f"freshness-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"written to {path.relative_to(RESULTS.parent.parent)}")
    engine.dispose()


if __name__ == "__main__":
    main()
