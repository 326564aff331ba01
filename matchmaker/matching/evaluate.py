"""Ranking quality: NDCG@10, MRR@10, Recall@10/100 for the matcher, its ablations and baselines."""
import math
from collections.abc import Callable, Mapping, Sequence

import bm25s
import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.matching.chains import ChainBook
from matchmaker.matching.engine import Matcher
from matchmaker.matching.profiles import NeedProfile, OutputProfile
from matchmaker.matching.rules import is_active_output

RELEVANT = 1  # a grade of at least this counts as relevant for MRR and recall
METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")
DEPTH = 100

# Ablations: each switches rule families off by zeroing their weights.
ABLATIONS = {
    "text only": {"chain": 0.0, "fit_share": 0.0},
    "text + chain rules": {"fit_share": 0.0},
    "all rules (matcher)": {},
}


def ndcg(ranked: Sequence, grades: Mapping, k: int = 10) -> float:
    """Normalised discounted cumulative gain with gain 2^grade − 1."""
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: Sequence, grades: Mapping, k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if grades.get(d, 0) >= RELEVANT:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: Sequence, grades: Mapping, k: int) -> float:
    relevant = {d for d, g in grades.items() if g >= RELEVANT}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def score_run(run: Mapping[str, Sequence], qrels: Mapping[str, Mapping]) -> dict[str, float]:
    """Average the metrics over the queries of qrels that have a relevant document."""
    queries = [q for q, g in qrels.items() if any(v >= RELEVANT for v in g.values())]
    # Ids compare as text: qrels files are text, while JSON ids may be integers.
    run = {str(q): [str(d) for d in ranked] for q, ranked in run.items()}
    totals = dict.fromkeys(METRICS, 0.0)
    for q in queries:
        ranked = run.get(str(q), [])
        grades = {str(d): g for d, g in qrels[q].items()}
        totals["ndcg@10"] += ndcg(ranked, grades)
        totals["mrr@10"] += mrr(ranked, grades)
        totals["recall@10"] += recall(ranked, grades, 10)
        totals["recall@100"] += recall(ranked, grades, 100)
    return {m: (v / len(queries) if queries else 0.0) for m, v in totals.items()} | {
        "queries": len(queries)}


def matcher_run(outputs, needs, chains: ChainBook, *, weights=None, regions=None,
                query_ids=None) -> dict[str, list]:
    """Rank outputs for the needs (only query_ids if given) with the platform's matcher."""
    matcher = Matcher(chains, weights=weights, regions=regions, min_score=0.0).fit(outputs, needs)
    wanted = set(query_ids) if query_ids is not None else None
    return {n.id: [m.candidate_id for m in matcher.rank_outputs(n, limit=DEPTH, explain=False).matches]
            for n in needs if wanted is None or n.id in wanted}


def _output_text(o: OutputProfile) -> str:
    return f"{o.title} {o.abstract} {' '.join(o.keywords)}"


def _need_text(n: NeedProfile) -> str:
    return f"{n.title} {n.description} {' '.join(n.keywords)}"


def tfidf_run(outputs, needs, *, query_ids=None) -> dict[str, list]:
    """Baseline: plain jieba words, TF-IDF (sublinear tf) cosine, no rules."""
    candidates = [o for o in outputs if is_active_output(o.status)]
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, lowercase=True, sublinear_tf=True,
                                 token_pattern=None)
    vectorizer.fit([_output_text(o) for o in outputs] + [_need_text(n) for n in needs])
    matrix = vectorizer.transform([_output_text(o) for o in candidates])
    queries = [n for n in needs if query_ids is None or n.id in set(query_ids)]
    if not queries or not candidates:
        return {n.id: [] for n in queries}
    sims = (vectorizer.transform([_need_text(n) for n in queries]) @ matrix.T).toarray()
    return {n.id: _top_ids(sims[i], candidates) for i, n in enumerate(queries)}


def bm25_run(outputs, needs, analyze: Callable[[str], list[str]], *,
             query_ids=None) -> dict[str, list]:
    """Baseline: BM25 (bm25s) over the matcher's own tokenizer, no rules."""
    candidates = [o for o in outputs if is_active_output(o.status)]
    if not candidates:
        return {n.id: [] for n in needs if query_ids is None or n.id in set(query_ids)}
    retriever = bm25s.BM25()
    retriever.index([analyze(_output_text(o)) or ["∅"] for o in candidates], show_progress=False)
    queries = [n for n in needs if query_ids is None or n.id in set(query_ids)]
    vocab = retriever.vocab_dict
    run = {}
    for n in queries:
        tokens = [t for t in analyze(_need_text(n)) if t in vocab]
        if not tokens:
            run[n.id] = []
            continue
        scores = retriever.get_scores(tokens)
        run[n.id] = _top_ids(scores, candidates)
    return run


def _top_ids(scores: np.ndarray, candidates, depth: int = DEPTH) -> list:
    order = np.lexsort((np.arange(len(scores)), -scores))[:depth]
    return [candidates[i].id for i in order if scores[i] > 0]


def available_qrels(qrels: Mapping, outputs) -> dict:
    """Drop judgments of outputs no system may recommend (drafts, withdrawn, transferred)."""
    available = {str(o.id) for o in outputs if is_active_output(o.status)}
    return {str(q): {str(d): g for d, g in grades.items() if str(d) in available}
            for q, grades in qrels.items()}


def evaluate_all(outputs, needs, qrels, chains: ChainBook, *, regions=None,
                 weights=None) -> dict[str, dict[str, float]]:
    """Return metrics for baselines, ablations and the full matcher on the same queries."""
    qrels = available_qrels(qrels, outputs)
    judged = {q for q in qrels if any(v >= RELEVANT for v in qrels[q].values())}
    query_ids = [n.id for n in needs if str(n.id) in judged]
    # BM25 gets exactly the matcher's tokenizer: domain dictionary, corpus keywords, synonyms.
    analyzer = Matcher(chains).fit(outputs, needs).analyzer_
    results = {
        "baseline: word TF-IDF": score_run(tfidf_run(outputs, needs, query_ids=query_ids), qrels),
        "baseline: BM25": score_run(bm25_run(outputs, needs, analyzer.words,
                                             query_ids=query_ids), qrels),
        "baseline: BM25, plain jieba": score_run(bm25_run(
            outputs, needs, lambda text: [t for t in jieba.lcut(text.lower()) if t.strip()],
            query_ids=query_ids), qrels),
    }
    for name, overrides in ABLATIONS.items():
        run = matcher_run(outputs, needs, chains, weights={**(weights or {}), **overrides},
                          regions=regions, query_ids=query_ids)
        results[name] = score_run(run, qrels)
    return results


def format_table(results: Mapping[str, Mapping[str, float]], *, baseline: str) -> str:
    """Render results as a text table with NDCG@10 relative to baseline."""
    base = results[baseline]["ndcg@10"] or 1.0
    lines = [(f"{'system':30} {'NDCG@10':>8} {'MRR@10':>8} {'R@10':>8} {'R@100':>8} "
              f"{'vs ' + baseline.split(': ')[-1]:>10}")]
    for name, m in results.items():
        lines.append(f"{name:30} {m['ndcg@10']:8.4f} {m['mrr@10']:8.4f} {m['recall@10']:8.4f} "
                     f"{m['recall@100']:8.4f} {m['ndcg@10'] / base:9.3f}x")
    queries = next(iter(results.values()))["queries"]
    lines.append(f"({queries} queries with at least one relevant output)")
    return "\n".join(lines)
