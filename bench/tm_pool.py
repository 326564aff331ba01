"""Benchmark D of the eval README: technology needs -> research outputs on real listings.

No public source pairs needs with outputs, so the team judges them. This script picks the
needs, pools the candidates of three different rankers and writes judging sheets; the
judgments (labels only: need id, doc id, grade) live in ``bench/data/tm/`` and are scored by
``python -m bench.quality --only tm``.

Needs (60, fixed seed): technology-market needs with at least 20 characters of description.
30 chain-related by the eval README's regular expressions (hydrogen, photovoltaics, photonics,
intelligent connected vehicles; the README's named examples first), 30 drawn from all the other
needs. Corpus: every ``research_output`` listing and every CSL ``paper`` (title + abstract),
7,213 documents. Pool: the top 10 of word TF-IDF (plain jieba), BM25 (matcher tokens) and the
matcher, united and shuffled per need so a judge cannot tell which ranker proposed what.

    python -m bench.tm_pool --sheets /tmp/tm-sheets   # writes sheets + the pool, not the repo

Later rounds (``--round N``), TREC style: once a system changed, every document in the top 10
of any scored system (both baselines and every ablation of the current matcher) that no judge
has seen yet is pooled and judged the same way (two judges, files
``judge-rN-<group><a|b>.tsv``), so that no system is scored on unjudged documents counted as
misses. Round 2 pooled the changed matcher's ablations only; round 3 everything still unseen.
"""
import argparse
import json
import random
import re
from pathlib import Path

from bench import corpora

DATA = Path(__file__).resolve().parent / "data" / "tm"
SEED = "tm-pool-2026"
DEPTH = 10
CHAIN_PATTERNS = {
    "hydrogen": r"氢能|制氢|储氢|燃料电池|电解水|氢气",
    "photovoltaics": r"光伏|太阳能电池|太阳电池",
    "photonics": r"激光|光纤|光子|光电子|光通信",
    "icv": r"智能网联|自动驾驶|智能驾驶|车联网",
}
NAMED = ("tm-need-0008", "tm-need-0623", "tm-need-0828", "tm-need-1144", "tm-need-0346",
         "tm-need-0630")
CHAIN_NEEDS = 30
OTHER_NEEDS = 30
MIN_DESCRIPTION = 20


def corpus_docs() -> list[dict]:
    return [d for d in corpora.load_docs()
            if d["kind"] in ("research_output", "paper") and d["abstract"].strip()]


def pick_needs() -> list[dict]:
    """Benchmark D's 60 needs: the ones its round-1 pool recorded (pool.tsv), in that order.

    They were drawn by ``draw_needs`` below before the held-out needs existed; since
    ``corpora.load_docs`` drops those, re-drawing now shuffles another list and picks other
    needs (until this was found, ``--only tm`` scored 25 of the 60 judged needs). The recorded
    ids are the benchmark."""
    path = DATA / "pool.tsv"
    if not path.exists():
        return draw_needs()
    ids = dict.fromkeys(line.split("\t")[0] for line in
                        path.read_text(encoding="utf-8").splitlines() if line.strip())
    by_id = {d["id"]: d for d in corpora.load_docs() if d["kind"] == "tech_need"}
    return [by_id[i] for i in ids]


def draw_needs() -> list[dict]:
    """The original draw (round 1 only; see pick_needs)."""
    needs = [d for d in corpora.load_docs()
             if d["kind"] == "tech_need" and len(d["abstract"].strip()) >= MIN_DESCRIPTION]
    by_id = {d["id"]: d for d in needs}

    def chained(d):
        text = d["title"] + d["abstract"]
        return any(re.search(p, text) for p in CHAIN_PATTERNS.values())

    rng = random.Random(SEED)
    chain = [d for d in needs if chained(d) and d["id"] not in NAMED]
    rng.shuffle(chain)
    picked = [by_id[i] for i in NAMED if i in by_id]
    picked += chain[:CHAIN_NEEDS - len(picked)]
    others = [d for d in needs if not chained(d)]
    rng.shuffle(others)
    picked += others[:OTHER_NEEDS]
    return picked


ROUND_ONE = {"all rules (matcher)": {}}  # round 1 pooled the full matcher and two baselines


def pool(needs, docs) -> dict[str, list[str]]:
    """The union of the top 10 of word TF-IDF, BM25 and the matcher, shuffled per need."""
    runs = system_runs(needs, docs, matchers=ROUND_ONE)
    pooled = {}
    for need in needs:
        union = sorted({d for run in runs.values() for d in run.get(need["id"], [])})
        random.Random(f"{SEED}:{need['id']}").shuffle(union)
        pooled[need["id"]] = union
    return pooled


def unjudged_pool(needs, docs, salt: str) -> dict[str, list[str]]:
    """Documents in the top 10 of any system scored by bench.quality (both baselines and every
    ablation of the current matcher) that no judge has seen yet."""
    from bench.quality import tm_qrels

    judged, _ = tm_qrels()
    runs = system_runs(needs, docs)
    pooled = {}
    for need in needs:
        fresh = sorted({d for run in runs.values() for d in run.get(need["id"], [])}
                       - set(judged.get(need["id"], {})))
        random.Random(f"{SEED}:{salt}:{need['id']}").shuffle(fresh)
        pooled[need["id"]] = fresh
    return pooled


def system_runs(needs, docs, *, depth: int = DEPTH, matchers: dict | None = None,
                baselines: bool = True) -> dict[str, dict]:
    """Ranked doc ids per need, by system: word TF-IDF and BM25 (if baselines) and the matcher
    under each weight override of matchers (default: the three ablations)."""
    from bench.quality import _bm25_runs, _chain_analyzer, _chains, _matcher_runs, _tfidf_runs
    from matchmaker.matching.evaluate import ABLATIONS

    queries = [{"qid": n["id"], "text": f"{n['title']}\n{n['abstract']}",
                "need": corpora.as_need(n)} for n in needs]
    chains = _chains()
    runs = {}
    if baselines:
        ids = [d["id"] for d in docs]
        texts = [f"{d['title']}\n{d['abstract']}" for d in docs]
        runs["baseline: word TF-IDF"] = _tfidf_runs(texts, queries, ids, depth)
        runs["baseline: BM25"] = _bm25_runs(texts, queries, ids, _chain_analyzer(chains), depth)
    outputs = [corpora.as_output(d) for d in docs]
    for name, weights in (ABLATIONS if matchers is None else matchers).items():
        runs[name] = _matcher_runs(chains, outputs, queries, weights=weights, depth=depth)[0]
    return runs


def write_sheets(needs, pooled, docs, out: Path, groups: int = 3) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by_id = {d["id"]: d for d in docs}
    for g in range(groups):
        lines = []
        for need in needs[g::groups]:
            if not pooled[need["id"]]:
                continue
            lines.append(f"## NEED {need['id']}\n{need['title']}\n{need['abstract'].strip()}\n")
            for doc_id in pooled[need["id"]]:
                d = by_id[doc_id]
                lines.append(f"- CANDIDATE {doc_id} | {d['title']} | {d['abstract'].strip()[:500]}")
            lines.append("")
        (out / f"group-{g + 1}.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, required=True,
                        help="directory for the judging sheets (outside the repository)")
    parser.add_argument("--round", type=int, default=1,
                        help="1: pool three rankers; 2 or more: pool what is still unjudged")
    args = parser.parse_args(argv)
    docs = corpus_docs()
    needs = pick_needs()
    pooled = pool(needs, docs) if args.round == 1 else \
        unjudged_pool(needs, docs, salt=f"r{args.round}")
    DATA.mkdir(parents=True, exist_ok=True)
    name = "pool.tsv" if args.round == 1 else f"pool-r{args.round}.tsv"
    with (DATA / name).open("w", encoding="utf-8") as handle:
        for need in needs:
            for doc_id in pooled[need["id"]]:
                handle.write(f"{need['id']}\t{doc_id}\n")
    write_sheets(needs, pooled, docs, args.sheets)
    sizes = [len(v) for v in pooled.values()]
    print(json.dumps({"needs": len(needs), "pairs": sum(sizes), "docs": len(docs),
                      "pool_min": min(sizes), "pool_max": max(sizes)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
