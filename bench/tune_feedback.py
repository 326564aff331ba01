"""Tune the matcher's weights on broker feedback simulated from the seed judgments.

    python -m bench.tune_feedback [--depth 30] [--seed 0] [--favour price]

The development judgments (seed_data/judgments/*.tsv, the "dev" benchmark of bench/quality.py)
become the feedback brokers would have recorded on the matches they were shown: for every need,
the judged outputs among the matcher's top --depth (default weights) are the shown pairs; a
grade ≥ 1 is "relevant", a grade 0 is "declined" with the reason of the pair's weakest component
(simulated_reason: text → not our field, TRL → too early, transfer mode, price). Then
matchmaker.matching.tune.tune splits the needs (seeded), fits on one part and prints the
before/after on the held-out part and whether `flask match tune --apply` would apply.

--as-posted takes the grades "as posted" instead (seed_data/judgments/as-posted/: the technical
grade lowered where the need's own terms rule the output out): a pair lowered to grade < 1 is
declined for its weakest business component (TRL, transfer mode or price), as a broker would
say why. --favour price rewrites the simulation as if brokers declined every pair the matcher sees over
budget (price part < 1) for its price, and judged the rest as above: the fit should raise the
price weight. Reads seed_data only; nothing is written.
"""
import argparse
import json
import sys

from matchmaker.domain import DeclineReason
from matchmaker.matching import ChainBook, Matcher
from matchmaker.matching.io import seed_profiles, seed_regions
from matchmaker.matching.tune import Example, format_report, split_needs, tune

DEPTH = 30
# The component whose weakness a simulated decline names (region has no decline reason).
REASON_OF = {"text": DeclineReason.NOT_OUR_FIELD, "trl": DeclineReason.TOO_EARLY,
             "mode": DeclineReason.TRANSFER_MODE, "price": DeclineReason.PRICE}


def simulated_reason(parts: dict) -> str:
    """Return the decline reason of the pair's weakest component (ties: the text)."""
    return REASON_OF[min(REASON_OF, key=lambda k: (parts[k], k != "text"))]


def shown_pairs(depth: int = DEPTH, *, as_posted: bool = False,
                ) -> list[tuple[str, str, dict, float, int]]:
    """Return (need, output, parts, grade, technical grade) for every judged pair in the
    matcher's top depth; grade is the as-posted one when as_posted, else the technical one."""
    from bench.quality import SEED, as_posted_qrels, seed_qrels

    seed_dir = SEED
    outputs, needs = seed_profiles(seed_dir)
    qrels = seed_qrels()
    posted = as_posted_qrels() if as_posted else qrels
    matcher = Matcher(ChainBook.from_path(seed_dir / "chains"), regions=seed_regions(seed_dir),
                      min_score=0.0).fit(outputs, needs)
    pairs = []
    for need in needs:
        grades = qrels.get(str(need.id))
        if not grades:
            continue
        for match in matcher.rank_outputs(need, limit=depth).matches:
            technical = grades.get(str(match.candidate_id))
            if technical is not None:
                parts = {k: v for k, v in match.parts.items() if k != "relevance"}
                grade = posted[str(need.id)][str(match.candidate_id)]
                pairs.append((str(need.id), str(match.candidate_id), parts, grade, technical))
    return pairs


def simulate(pairs, *, favour: str | None = None) -> list[Example]:
    """Return the feedback brokers would have given on pairs (see the module docstring)."""
    examples = []
    for need, output, parts, grade, technical in pairs:
        if favour == "price" and parts["price"] < 1.0:
            examples.append(Example(need, output, parts, False, DeclineReason.PRICE))
        elif grade >= 1:
            examples.append(Example(need, output, parts, True))
        elif technical >= 1:  # lowered as posted: the need's own terms rule it out
            business = {k: parts[k] for k in ("trl", "mode", "price")}
            examples.append(Example(need, output, parts, False,
                                    REASON_OF[min(business, key=business.get)]))
        else:
            examples.append(Example(need, output, parts, False, simulated_reason(parts)))
    return examples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--favour", choices=("price",))
    parser.add_argument("--as-posted", action="store_true",
                        help="grades as posted: a pair lowered to 0 for the need's own terms is "
                             "declined for its weakest business component")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    pairs = shown_pairs(args.depth, as_posted=args.as_posted)
    examples = simulate(pairs, favour=args.favour)
    report = tune(examples, seed=args.seed)
    held_out = sorted({e.need_id for e in split_needs(examples, seed=args.seed)[1]})
    full = full_rankings(held_out, report.before, report.after, as_posted=args.as_posted)
    if args.json:
        print(json.dumps(report.as_dict() | {"full_ranking": full}, ensure_ascii=False,
                         indent=1))
        return 0
    print(format_report(report))
    print(f"Full rankings of the {len(held_out)} held-out needs against every seed output, "
          f"NDCG@10 on the {'as-posted' if args.as_posted else 'technical'} grades: "
          f"{full['before']:.4f} → {full['after']:.4f}")
    return 0


def full_rankings(need_ids, before: dict, after: dict, *, as_posted: bool) -> dict:
    """Return NDCG@10 of the matcher's full rankings (all seed outputs, not only the judged
    candidates) of need_ids under the weights before and after: what the re-ranking of judged
    candidates cannot show is which candidates enter a top 10."""
    from bench.quality import SEED, _chains, as_posted_qrels, seed_qrels
    from matchmaker.matching.evaluate import available_qrels, matcher_run, score_run

    outputs, needs = seed_profiles(SEED)
    qrels = available_qrels(as_posted_qrels() if as_posted else seed_qrels(), outputs)
    qrels = {n: grades for n, grades in qrels.items() if n in set(need_ids)}
    return {name: round(score_run(matcher_run(outputs, needs, _chains(), weights=weights,
                                              regions=seed_regions(SEED),
                                              query_ids=set(need_ids)), qrels)["ndcg@10"], 4)
            for name, weights in (("before", before), ("after", after))}


if __name__ == "__main__":
    sys.exit(main())
