"""Speed corpora built from the public evaluation data (../shared/eval-data/docs.jsonl).

The data is read where it lies and never copied into the repository: every corpus is rebuilt
in memory, deterministically, each time a benchmark runs (about 2 s).

Outputs (the index side)
    The real pool is every document with a non-empty abstract that is not a technology need:
    CSL ``paper`` (title + abstract + author keywords), ``paper_abstract_only`` (FewCLUE
    abstracts, empty title, keywords for some) and ``research_output`` listings (title +
    description): 13,715 documents. They are shuffled once with a fixed seed, so every prefix
    mixes the three kinds in the same proportions. A corpus of n <= 13,715 outputs is the first
    n real documents (**real corpus**). A larger corpus is the real pool followed by perturbed
    replicas, round by round (replica 1 of every document, then replica 2, ...) until n is
    reached (**replicated corpus**): 100,000 outputs = 13,715 real + 86,285 replicas, a
    replication factor of 7.29.

Needs (the query side, 10,000 for the all-pairs run)
    All real ``tech_need`` listings except the held-out ones (HELD_OUT.md) (title + description), then two perturbed replicas of
    each (3,458), then CSL train-split titles (``paper_title_only``, shuffled with a fixed seed,
    only titles of at least 12 characters so that nearly all are rankable) as short queries with
    an empty description, until 10,000. Single-need latency uses 200 of the real tech needs
    (evenly spaced, those with at least 20 characters of description).

Perturbation of replica k of a document (random.Random seeded with "seed:id:k")
    1. If the text has at least 3 sentences, drop one sentence (never the first).
    2. If at least 2 sentences remain, swap two of them.
    3. Keyword swap: a donor keyword is drawn from all author keywords in docs.jsonl. If the
       document has keywords, one of them is replaced by the donor in the keyword list and
       wherever it occurs in the title and the text; otherwise the donor is inserted, in
       parentheses, at the end of one sentence.
    Sentences end at 。！？；!?; or at a '.' not followed by a digit (CSL abstracts use '.').
    The replica's id is ``<id>#r<k>``; the title is otherwise unchanged.

Caveats (also in bench/README.md): replicas share most of their tokens with their original, so
the vocabulary grows far more slowly than in a real 100k corpus and near-duplicates create
score ties; quote real-corpus and replicated-corpus figures separately.
"""
import json
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from matchmaker.matching import NeedProfile, OutputProfile

ROOT = Path(__file__).resolve().parents[1]
EVAL_DATA = Path(os.environ.get("MATCHMAKER_EVAL_DATA",
                                ROOT.parent / "shared" / "eval-data")).resolve()
DOCS = EVAL_DATA / "docs.jsonl"
HELD_OUT = EVAL_DATA / "HELD_OUT.md"

OUTPUT_KINDS = ("paper", "paper_abstract_only", "research_output")
SEED = 20260501
NEEDS_DEFAULT = 10_000
NEED_REPLICAS = 2
MIN_TITLE_QUERY_CHARS = 12
LATENCY_QUERIES = 200
MIN_QUERY_DESCRIPTION = 20

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=\.)(?=[^\d\s.])")


@lru_cache(maxsize=1)
def held_out_ids(path: str | Path = HELD_OUT) -> frozenset[str]:
    """Return the ids of the needs reserved for independent evaluation (HELD_OUT.md)."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"{path} not found: bench/ must exclude the held-out needs it lists")
    return frozenset(re.findall(r"\btm-need-\d+\b", path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def load_docs(path: str | Path = DOCS) -> tuple[dict, ...]:
    """Return every document of docs.jsonl except the held-out needs (read-only, cached per
    process): no benchmark reads, judges or tunes on those."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"{path} not found: the public evaluation data is expected in "
                         f"../shared/eval-data (or set MATCHMAKER_EVAL_DATA)")
    held_out = held_out_ids()
    with path.open(encoding="utf-8") as handle:
        docs = (json.loads(line) for line in handle if line.strip())
        return tuple(d for d in docs if d["id"] not in held_out)


@lru_cache(maxsize=1)
def donor_keywords() -> tuple[str, ...]:
    """All distinct author keywords of the data, sorted (the keyword-swap donors)."""
    return tuple(sorted({k for d in load_docs() for k in d["keywords"] if k.strip()}))


def _shuffled(docs, salt: str) -> list[dict]:
    docs = sorted(docs, key=lambda d: d["id"])
    random.Random(f"{SEED}:{salt}").shuffle(docs)
    return docs


@lru_cache(maxsize=1)
def output_pool() -> tuple[dict, ...]:
    """The real outputs, shuffled once (13,715 documents)."""
    return tuple(_shuffled([d for d in load_docs() if d["kind"] in OUTPUT_KINDS
                            and d["abstract"].strip()], "outputs"))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def perturb(doc: dict, k: int) -> dict:
    """Return replica k (k >= 1) of doc: one sentence dropped, two swapped, a keyword swapped."""
    rng = random.Random(f"{SEED}:{doc['id']}:{k}")
    title, keywords = doc["title"], list(doc["keywords"])
    parts = sentences(doc["abstract"])
    if len(parts) >= 3:
        del parts[rng.randrange(1, len(parts))]
    if len(parts) >= 2:
        i, j = rng.sample(range(len(parts)), 2)
        parts[i], parts[j] = parts[j], parts[i]
    donors = donor_keywords()
    donor = donors[rng.randrange(len(donors))]
    if keywords:
        index = rng.randrange(len(keywords))
        old = keywords[index]
        keywords[index] = donor
        title = title.replace(old, donor)
        parts = [p.replace(old, donor) for p in parts]
    elif parts:
        index = rng.randrange(len(parts))
        parts[index] = f"{parts[index]}（{donor}）"
    return {**doc, "id": f"{doc['id']}#r{k}", "title": title, "abstract": "".join(parts),
            "keywords": keywords, "replica": k}


def as_output(doc: dict) -> OutputProfile:
    return OutputProfile(id=doc["id"], title=doc["title"], abstract=doc["abstract"],
                         keywords=tuple(doc["keywords"]))


def as_need(doc: dict) -> NeedProfile:
    return NeedProfile(id=doc["id"], title=doc["title"], description=doc["abstract"],
                       keywords=tuple(doc["keywords"]))


@dataclass
class Corpus:
    """Profiles plus a description of how they were made."""

    profiles: list
    real: int
    replicas: int
    kinds: Counter = field(default_factory=Counter)
    note: str = ""

    @property
    def replicated(self) -> bool:
        return self.replicas > 0

    def describe(self) -> dict:
        return {"n": len(self.profiles), "real": self.real, "replicas": self.replicas,
                "factor": round(len(self.profiles) / self.real, 2) if self.real else None,
                "kinds": dict(self.kinds), "note": self.note}


def replicate(base: list[dict], n: int) -> list[dict]:
    """The base documents followed by perturbed replicas, round by round, n in all."""
    docs = list(base[:n])
    k = 0
    while len(docs) < n:
        k += 1
        docs.extend(perturb(d, k) for d in base[:n - len(docs)])
    return docs


def outputs(n: int, *, base: int | None = None) -> Corpus:
    """n outputs: real documents first, perturbed replicas past the real pool (or past base
    real documents when base is given, to measure what replication does at a smaller size)."""
    pool = list(output_pool())
    base = min(n, len(pool)) if base is None else min(base, len(pool), n)
    docs = replicate(pool[:base], n)
    kinds = Counter(d["kind"] for d in docs)
    note = "real" if base == n else f"{base} real documents replicated to {n}"
    return Corpus([as_output(d) for d in docs], real=base, replicas=n - base, kinds=kinds,
                  note=note)


def needs(n: int = NEEDS_DEFAULT) -> Corpus:
    """n needs: the real tech needs, NEED_REPLICAS perturbed replicas of each, then CSL titles."""
    docs = load_docs()
    real = sorted((d for d in docs if d["kind"] == "tech_need"), key=lambda d: d["id"])
    chosen = list(real[:n])
    for k in range(1, NEED_REPLICAS + 1):
        chosen.extend(perturb(d, k) for d in real[:max(0, n - len(chosen))])
    titles = [d for d in _shuffled([d for d in docs if d["kind"] == "paper_title_only"], "titles")
              if len(d["title"]) >= MIN_TITLE_QUERY_CHARS]
    chosen.extend(titles[:max(0, n - len(chosen))])
    kinds = Counter(("tech_need replica" if "replica" in d else d["kind"]) for d in chosen)
    return Corpus([as_need(d) for d in chosen], real=min(len(real), n),
                  replicas=kinds.get("tech_need replica", 0), kinds=kinds,
                  note="real tech needs + perturbed replicas + CSL titles as short queries")


def latency_queries(k: int = LATENCY_QUERIES) -> list[NeedProfile]:
    """k real tech needs with some description, evenly spaced over the id order."""
    real = sorted((d for d in load_docs() if d["kind"] == "tech_need"
                   and len(d["abstract"]) >= MIN_QUERY_DESCRIPTION), key=lambda d: d["id"])
    step = len(real) / k
    return [as_need(real[int(i * step)]) for i in range(k)]


def fresh_outputs(k: int) -> list[OutputProfile]:
    """k outputs that are in no corpus (replicas with a distinct suffix): for upsert timing."""
    pool = output_pool()
    step = max(1, len(pool) // k)
    return [as_output({**perturb(pool[i * step], 99), "id": f"{pool[i * step]['id']}#new"})
            for i in range(k)]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Describe the speed corpora (writes nothing).")
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    print(f"eval data: {DOCS}")
    for n in (int(s) for s in args.sizes.split(",")):
        corpus = outputs(n)
        print(f"outputs {n:>7}: {json.dumps(corpus.describe(), ensure_ascii=False)}")
    corpus = needs()
    print(f"needs   {len(corpus.profiles):>7}: {json.dumps(corpus.describe(), ensure_ascii=False)}")
    sample = perturb(output_pool()[0], 1)
    print("replica example:", json.dumps({k: sample[k] for k in ("id", "title", "keywords")},
                                        ensure_ascii=False))


if __name__ == "__main__":
    main()
