"""Benchmark E: technology needs drawn at random from the real market, judged blind.

Benchmark D (bench/tm_pool.py) picked half of its 60 needs for the sector chains, and the
matcher was tuned on it. Benchmark E measures what a platform really receives: 200 more
``tech_need`` listings drawn at random (fixed seed) from every need with at least 20 characters
of description, except the held-out needs (HELD_OUT.md: never read, never judged) and the 60 of
benchmark D. The corpus is benchmark D's: every ``research_output`` listing and CSL ``paper``
(title + abstract).

Split, fixed before anything was judged: benchmark D's 60 needs and 80 of the new ones are
**dev** (every tuning decision); the other 120 are **test** (reported; their per-need results are
looked at only after a decision is final). ``needs.tsv`` records the draw and the split
(``first_draw`` says how it was made, and why it is the record rather than the code).

Pool (round 1): the union of the top 10 of the four systems compared — the matcher (all rules),
word TF-IDF and BM25 on plain jieba tokens, character 2–3-gram TF-IDF — shuffled per need, so a
judge cannot tell which system proposed what. Sheets go in groups of 20 needs; two judges grade
every pair 0 / 1 / 2 independently under bench/data/tm/GUIDELINES.md (files
``bench/data/real/judge-<group><a|b>.tsv``, TREC format). Later rounds (``--round N``) pool
what any scored system ranks in its top 10 and no judge has seen yet. ``--needs d`` pools
benchmark D's needs the same way: D was pooled from other systems (BM25 on the matcher's
tokens, an older matcher), so the plain baselines' top 10 there is judged first (group d1...).

    python -m bench.real_pool --sheets /tmp/real-sheets      # pool.tsv + judging sheets
    python -m bench.quality --only real                      # scores, kappa, CIs
"""
import argparse
import json
import random
from pathlib import Path

from bench import corpora
from bench.tm_pool import MIN_DESCRIPTION, corpus_docs, pick_needs

DATA = Path(__file__).resolve().parent / "data" / "real"
SEED = "real-needs-2026"
NEEDS = 200
DEV_NEW = 80
DEPTH = 10
GROUP_SIZE = 20
NEEDS_FILE = DATA / "needs.tsv"
SHEET_CHARS = 300  # of each candidate's text on a judging sheet


def draw_needs() -> list[dict]:
    """The 200 random needs of benchmark E, as recorded in needs.tsv (drawing order)."""
    by_id = {d["id"]: d for d in corpora.load_docs() if d["kind"] == "tech_need"}
    return [by_id[qid] for qid in recorded_split()]


def recorded_split() -> dict[str, str]:
    """need id -> "dev" / "test" for benchmark E, from needs.tsv."""
    rows = [line.split("\t") for line in NEEDS_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {row[0]: row[1] for row in rows}


def first_draw(exclude: set[str]) -> list[str]:
    """How needs.tsv was drawn: a seeded sample of every need with at least MIN_DESCRIPTION
    characters of description, minus the held-out needs (never read: corpora.load_docs drops
    them) and minus exclude, then a seeded shuffle whose first DEV_NEW went to dev.

    The draw ran once (commit bdac9f9), with exclude = the needs tm_pool.pick_needs returned
    then, which were not all of benchmark D's (see its docstring). So three of benchmark D's
    needs were drawn; each was replaced by a need drawn with the seed SEED + ":replace" from
    those left, taking its split (needs.tsv marks them "E-replacement"), and keeps benchmark
    D's role (dev). Running this again would not give the recorded list: needs.tsv is the
    benchmark."""
    held_out = corpora.held_out_ids()
    candidates = sorted(d["id"] for d in corpora.load_docs()
                        if d["kind"] == "tech_need"
                        and len(d["abstract"].strip()) >= MIN_DESCRIPTION
                        and d["id"] not in exclude and d["id"] not in held_out)
    return random.Random(SEED).sample(candidates, NEEDS)


def split() -> dict[str, str]:
    """need id -> "dev" or "test" for every need of benchmarks D (all dev) and E."""
    result = recorded_split()
    result.update({n["id"]: "dev" for n in pick_needs()})
    return result


def system_runs(needs, docs, *, depth: int = DEPTH) -> dict[str, dict]:
    """Ranked doc ids per need for the four systems of benchmark E."""
    from bench.quality import _bm25_jieba_runs, _chains, _char_runs, _matcher_runs, _tfidf_runs

    queries = [{"qid": n["id"], "text": f"{n['title']}\n{n['abstract']}",
                "need": corpora.as_need(n)} for n in needs]
    ids = [d["id"] for d in docs]
    texts = [f"{d['title']}\n{d['abstract']}" for d in docs]
    outputs = [corpora.as_output(d) for d in docs]
    return {
        "baseline: word TF-IDF": _tfidf_runs(texts, queries, ids, depth),
        "baseline: BM25": _bm25_jieba_runs(texts, queries, ids, depth),
        "baseline: char 2-3-gram TF-IDF": _char_runs(texts, queries, ids, depth),
        "matcher": _matcher_runs(_chains(), outputs, queries, depth=depth)[0],
    }


def judged_pairs() -> dict[str, set[str]]:
    """(need, doc) pairs any judge of benchmark D or E has graded."""
    from bench.tm_pool import DATA as TM_DATA
    from matchmaker.matching.io import read_qrels

    seen: dict[str, set[str]] = {}
    for path in sorted([*TM_DATA.glob("judge-*.tsv"), *DATA.glob("judge-*.tsv")]):
        for qid, docs in read_qrels(path).items():
            seen.setdefault(qid, set()).update(docs)
    return seen


def pool(needs, docs, salt: str) -> dict[str, list[str]]:
    runs = system_runs(needs, docs)
    seen = judged_pairs()
    pooled = {}
    for need in needs:
        fresh = sorted({d for run in runs.values() for d in run.get(need["id"], [])[:DEPTH]}
                       - seen.get(need["id"], set()))
        random.Random(f"{SEED}:{salt}:{need['id']}").shuffle(fresh)
        pooled[need["id"]] = fresh
    return pooled


def write_sheets(needs, pooled, docs, out: Path, prefix: str,
                 group_size: int = GROUP_SIZE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    by_id = {d["id"]: d for d in docs}
    paths = []
    for g, start in enumerate(range(0, len(needs), group_size)):
        lines = []
        for need in needs[start:start + group_size]:
            if not pooled[need["id"]]:
                continue
            lines.append(f"## NEED {need['id']}\n{need['title']}\n{need['abstract'].strip()}\n")
            for doc_id in pooled[need["id"]]:
                d = by_id[doc_id]
                lines.append(f"- CANDIDATE {doc_id} | {d['title']} | "
                             f"{d['abstract'].strip()[:SHEET_CHARS]}")
            lines.append("")
        path = out / f"{prefix}{g + 1}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, required=True,
                        help="directory for the judging sheets (outside the repository)")
    parser.add_argument("--round", type=int, default=1,
                        help="1: pool the four systems; 2 or more: pool what is still unjudged")
    parser.add_argument("--needs", choices=("e", "d"), default="e",
                        help="e: the 200 random needs; d: benchmark D's 60 needs (their pairs "
                             "that the four systems rank in the top 10 and no judge has seen)")
    args = parser.parse_args(argv)
    docs = corpus_docs()
    needs = draw_needs() if args.needs == "e" else pick_needs()
    tag = "" if args.needs == "e" else "d"
    salt = f"{tag}r{args.round}"
    pooled = pool(needs, docs, salt)
    DATA.mkdir(parents=True, exist_ok=True)
    name = f"pool{'-' + tag if tag else ''}{'' if args.round == 1 else f'-r{args.round}'}.tsv"
    with (DATA / name).open("w", encoding="utf-8") as handle:
        for need in needs:
            for doc_id in pooled[need["id"]]:
                handle.write(f"{need['id']}\t{doc_id}\n")
    prefix = f"{tag + '-' if tag else ''}{'' if args.round == 1 else f'r{args.round}-'}group-"
    paths = write_sheets(needs, pooled, docs, args.sheets, prefix,
                         group_size=GROUP_SIZE if args.round == 1 and args.needs == "e"
                         else len(needs))
    sizes = [len(v) for v in pooled.values()]
    print(json.dumps({"needs": len(needs), "pairs": sum(sizes), "docs": len(docs),
                      "pool_min": min(sizes), "pool_max": max(sizes),
                      "sheets": [str(p) for p in paths]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
