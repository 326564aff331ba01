"""Tune the matcher's weights on broker feedback simulated from the seed judgments.

    python -m bench.tune_feedback [--depth 30] [--seed 0] [--favour price]

The development judgments (seed_data/judgments/*.tsv, the "dev" benchmark of bench/quality.py)
become the feedback brokers would have recorded on the matches they were shown: for every need,
the judged outputs among the matcher's top --depth (default weights) are the shown pairs; a
grade ≥ 1 is "relevant", a grade 0 is "declined" with the reason of the pair's weakest component
(simulated_reason: text → not our field, TRL → too early, transfer mode, price). Then
matchmaker.matching.tune.tune splits the needs (seeded), fits on one part and prints the
before/after on the held-out part and whether `flask match tune --apply` would apply.

--favour price rewrites the simulation as if brokers declined every pair the matcher sees over
budget (price part < 1) for its price, and judged the rest as above: the fit should raise the
price weight. Reads seed_data only; nothing is written.
"""
import argparse
import json
import sys

from matchmaker.domain import DeclineReason
from matchmaker.matching import ChainBook, Matcher
from matchmaker.matching.io import seed_profiles, seed_regions
from matchmaker.matching.tune import Example, tune

DEPTH = 30
# The component whose weakness a simulated decline names (region has no decline reason).
REASON_OF = {"text": DeclineReason.NOT_OUR_FIELD, "trl": DeclineReason.TOO_EARLY,
             "mode": DeclineReason.TRANSFER_MODE, "price": DeclineReason.PRICE}


def simulated_reason(parts: dict) -> str:
    """Return the decline reason of the pair's weakest component (ties: the text)."""
    return REASON_OF[min(REASON_OF, key=lambda k: (parts[k], k != "text"))]


def shown_pairs(depth: int = DEPTH, seed_dir=None) -> list[tuple[str, str, dict, int]]:
    """Return (need, output, parts, grade) for every judged pair in the matcher's top depth."""
    from bench.quality import SEED, seed_qrels

    seed_dir = seed_dir or SEED
    outputs, needs = seed_profiles(seed_dir)
    qrels = seed_qrels()
    matcher = Matcher(ChainBook.from_path(seed_dir / "chains"), regions=seed_regions(seed_dir),
                      min_score=0.0).fit(outputs, needs)
    pairs = []
    for need in needs:
        grades = qrels.get(str(need.id))
        if not grades:
            continue
        for match in matcher.rank_outputs(need, limit=depth).matches:
            grade = grades.get(str(match.candidate_id))
            if grade is not None:
                parts = {k: v for k, v in match.parts.items() if k != "relevance"}
                pairs.append((str(need.id), str(match.candidate_id), parts, grade))
    return pairs


def simulate(pairs, *, favour: str | None = None) -> list[Example]:
    """Return the feedback brokers would have given on pairs (see the module docstring)."""
    examples = []
    for need, output, parts, grade in pairs:
        if favour == "price" and parts["price"] < 1.0:
            examples.append(Example(need, output, parts, False, DeclineReason.PRICE))
        elif grade >= 1:
            examples.append(Example(need, output, parts, True))
        else:
            examples.append(Example(need, output, parts, False, simulated_reason(parts)))
    return examples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--favour", choices=("price",))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = tune(simulate(shown_pairs(args.depth), favour=args.favour), seed=args.seed)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        return 0
    from matchmaker.matching.tune import format_report

    print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
